//! Human-friendly codes: voucher codes a cashier types and claim codes an operator reads out.
//!
//! Codes use Crockford's base 32 (`0-9`, `A-Z` without `I L O U`), which cannot be misread
//! (`0`/`O`, `1`/`I`/`L`) and is case-insensitive. Plugins have no randomness of their own, so a
//! code is derived from a fresh kernel id (`store::new_id`, which carries 64 random bits): the
//! id is hashed (FNV-1a, then the SplitMix64 finaliser to spread every input bit over the
//! output) and the top bits are written in base 32. A voucher code has 12 characters — 60 bits,
//! so a collision among a million vouchers has a probability of about one in two million — and
//! every voucher document is created with "must not exist", so even that collision is caught
//! and a new code drawn.
//!
//! The instance's `voucher_code_prefix` (say `BS`) is only shown, as in `BS-K3JX-9P2M-7QRT`:
//! codes are stored without it, and input is read from its last 12 characters after removing
//! spaces and dashes, so changing the prefix never invalidates a voucher already printed.

use std::fmt;

use trama_sdk::i18n::Lang;

/// Characters of a voucher code.
pub const VOUCHER_LEN: usize = 12;
/// Characters of a claim code.
pub const CLAIM_LEN: usize = 8;
const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/// 64 well-mixed bits of `seed`.
fn hash64(seed: &str) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in seed.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    // SplitMix64's finaliser.
    h = (h ^ (h >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    h = (h ^ (h >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    h ^ (h >> 31)
}

/// `len` base-32 characters (at most 12) from the top bits of the hash of `seed`.
fn encode(seed: &str, len: usize) -> String {
    let bits = hash64(seed);
    (0..len.min(VOUCHER_LEN))
        .map(|i| {
            let shift = 64 - 5 * (i + 1);
            char::from(ALPHABET[((bits >> shift) & 31) as usize])
        })
        .collect()
}

/// A voucher code from a fresh kernel id.
pub fn voucher_code(seed: &str) -> String {
    encode(seed, VOUCHER_LEN)
}

/// A one-time claim code from a fresh kernel id.
pub fn claim_code(seed: &str) -> String {
    encode(seed, CLAIM_LEN)
}

/// Why typed text is not a code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CodeError {
    /// Fewer characters than a code has.
    TooShort { expected: usize },
    /// A character outside the alphabet.
    BadCharacter(char),
}

impl CodeError {
    pub fn describe(&self, text: &str, lang: Lang) -> String {
        let text = text.trim();
        match (self, lang) {
            (Self::TooShort { expected }, Lang::It) => {
                format!("il codice «{text}» è troppo corto: ha {expected} caratteri")
            }
            (Self::TooShort { expected }, Lang::En) => {
                format!("the code `{text}` is too short: it has {expected} characters")
            }
            (Self::BadCharacter(c), Lang::It) => {
                format!("il codice «{text}» contiene «{c}», che non può far parte di un codice")
            }
            (Self::BadCharacter(c), Lang::En) => {
                format!("the code `{text}` contains `{c}`, which cannot be part of a code")
            }
        }
    }
}

impl fmt::Display for CodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.describe("", Lang::En))
    }
}

impl std::error::Error for CodeError {}

/// Reads a code as typed: spaces and dashes are dropped, letters upper-cased, the last `len`
/// characters kept (anything before them is a prefix), and the look-alikes `O`, `I`, `L`
/// read as `0`, `1`, `1`.
fn normalize(text: &str, len: usize) -> Result<String, CodeError> {
    let chars: Vec<char> = text
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .map(|c| c.to_ascii_uppercase())
        .collect();
    if chars.len() < len {
        return Err(CodeError::TooShort { expected: len });
    }
    chars[chars.len() - len..]
        .iter()
        .map(|&c| {
            let c = match c {
                'O' => '0',
                'I' | 'L' => '1',
                other => other,
            };
            if c.is_ascii() && ALPHABET.contains(&(c as u8)) {
                Ok(c)
            } else {
                Err(CodeError::BadCharacter(c))
            }
        })
        .collect()
}

/// A voucher code as stored, from what a cashier typed.
pub fn normalize_voucher(text: &str) -> Result<String, CodeError> {
    normalize(text, VOUCHER_LEN)
}

/// A claim code as stored, from what a merchant typed.
pub fn normalize_claim(text: &str) -> Result<String, CodeError> {
    normalize(text, CLAIM_LEN)
}

/// A code in groups of four for people to read, after the optional prefix:
/// `BS-K3JX-9P2M-7QRT`.
pub fn display(code: &str, prefix: &str) -> String {
    let groups: Vec<String> = code
        .as_bytes()
        .chunks(4)
        .map(|chunk| String::from_utf8_lossy(chunk).into_owned())
        .collect();
    let body = groups.join("-");
    let prefix = prefix.trim();
    if prefix.is_empty() {
        body
    } else {
        format!("{prefix}-{body}")
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    #[test]
    fn codes_have_the_right_length_and_alphabet_and_differ() {
        let mut seen = HashSet::new();
        for i in 0..50_000 {
            let code = voucher_code(&format!("019a2b3c4d5e{i:016x}"));
            assert_eq!(code.len(), VOUCHER_LEN);
            assert!(code.bytes().all(|b| ALPHABET.contains(&b)), "{code}");
            assert!(seen.insert(code), "collision at {i}");
        }
        assert_eq!(claim_code("x").len(), CLAIM_LEN);
        assert_eq!(voucher_code("same"), voucher_code("same"));
    }

    #[test]
    fn typed_codes_are_read_forgivingly() {
        let code = voucher_code("seed");
        let shown = display(&code, "BS");
        assert!(shown.starts_with("BS-"));
        assert_eq!(shown.len(), 2 + 1 + 14);
        assert_eq!(normalize_voucher(&shown), Ok(code.clone()));
        assert_eq!(normalize_voucher(&code.to_lowercase()), Ok(code.clone()));
        assert_eq!(
            normalize_voucher("oil0-1111-2222"),
            Ok("011011112222".into())
        );
        assert_eq!(
            normalize_voucher("ABC"),
            Err(CodeError::TooShort { expected: 12 })
        );
        assert_eq!(
            normalize_voucher("ABCD-EFGH-123U"),
            Err(CodeError::BadCharacter('U'))
        );
        assert_eq!(display("K3JX9P2M7QRT", ""), "K3JX-9P2M-7QRT");
    }
}
