//! One-time activation codes: what an operator hands to a company's HR office, to a provider's
//! owner, and what HR hands to each enrolled employee.
//!
//! Codes use Crockford's base 32 (`0-9`, `A-Z` without `I L O U`), which cannot be misread
//! (`0`/`O`, `1`/`I`/`L`) and is case-insensitive. Plugins have no randomness of their own, so a
//! code is derived from a fresh kernel id (`store::new_id`, which carries 64 random bits): the
//! id is hashed (FNV-1a, then the SplitMix64 finaliser, so every input bit reaches the output)
//! and the top 50 bits are written as 10 characters. A code is never enough on its own: it is
//! bound to one company, provider or enrolment (and an employee's code to one username), so
//! guessing one means guessing 50 bits for a single target.

use std::fmt;

use trama_sdk::i18n::Lang;

/// Characters of a code.
pub const LEN: usize = 10;
const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/// 64 well-mixed bits of `seed`.
fn hash64(seed: &str) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in seed.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h = (h ^ (h >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    h = (h ^ (h >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    h ^ (h >> 31)
}

/// A code from a fresh kernel id.
pub fn from_seed(seed: &str) -> String {
    let bits = hash64(seed);
    (0..LEN)
        .map(|i| {
            let shift = 64 - 5 * (i + 1);
            char::from(ALPHABET[((bits >> shift) & 31) as usize])
        })
        .collect()
}

/// A short identifier (16 hex digits) derived from `seed`: how documents whose id must follow
/// from what they are (a plan from its company and request id) keep ledger account names and
/// idempotency keys well under the kernel's 200 bytes. Two seeds share an id with a
/// probability of about 2^-64; the documents are created with "must not exist", so even that
/// would be refused rather than merged.
pub fn short_id(seed: &str) -> String {
    format!("{:016x}", hash64(seed))
}

/// A code in two groups of five for people to read: `K3JX9-P2M7Q`.
pub fn display(code: &str) -> String {
    if code.len() == LEN && code.is_ascii() {
        format!("{}-{}", &code[..LEN / 2], &code[LEN / 2..])
    } else {
        code.to_owned()
    }
}

/// Why typed text is not a code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CodeError {
    /// Not exactly [`LEN`] characters once spaces and dashes are removed.
    Length(usize),
    /// A character outside the alphabet.
    BadCharacter(char),
}

impl CodeError {
    pub fn describe(&self, text: &str, lang: Lang) -> String {
        let text = text.trim();
        match (self, lang) {
            (Self::Length(n), Lang::It) => {
                format!("il codice «{text}» ha {n} caratteri: un codice di attivazione ne ha {LEN}")
            }
            (Self::Length(n), Lang::En) => {
                format!("the code `{text}` has {n} characters: an activation code has {LEN}")
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

/// Reads a code as typed: spaces and dashes dropped, letters upper-cased, and the look-alikes
/// `O`, `I`, `L` read as `0`, `1`, `1`.
pub fn normalize(text: &str) -> Result<String, CodeError> {
    let chars: Vec<char> = text
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .map(|c| c.to_ascii_uppercase())
        .collect();
    if chars.len() != LEN {
        return Err(CodeError::Length(chars.len()));
    }
    chars
        .into_iter()
        .map(|c| {
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

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    #[test]
    fn codes_are_distinct_and_read_back_as_typed() {
        let mut seen = HashSet::new();
        for i in 0..20_000 {
            let code = from_seed(&format!("019a2b3c4d5e{i:016x}"));
            assert_eq!(code.len(), LEN);
            assert!(seen.insert(code.clone()), "collision at {i}");
            assert_eq!(normalize(&display(&code)), Ok(code.clone()));
            assert_eq!(normalize(&code.to_lowercase()), Ok(code));
        }
    }

    #[test]
    fn mistyped_codes_say_what_is_wrong() {
        assert_eq!(normalize("oil00-11111"), Ok("0110011111".into()));
        assert_eq!(normalize("ABC"), Err(CodeError::Length(3)));
        assert_eq!(normalize("ABCDE-FGH1U"), Err(CodeError::BadCharacter('U')));
        assert!(
            CodeError::Length(3)
                .describe("ABC", Lang::It)
                .contains("10")
        );
    }
}
