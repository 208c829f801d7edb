//! Codes people read out and secrets in calendar addresses.
//!
//! Plugins have no randomness of their own, so both come from fresh kernel ids
//! (`store::new_id`, which carry random bits), mixed by a 64-bit hash (FNV-1a, then the
//! SplitMix64 finaliser).
//!
//! - A **claim code** (8 characters of Crockford's base 32, which has no `I L O U` to misread)
//!   is what an operator hands a tutor to link their account to their tutor record; it is
//!   cleared once used.
//! - A **feed token** (32 hex digits, 128 bits from two ids) is the secret part of a calendar
//!   address: calendar apps cannot log in, so whoever holds the address sees the calendar, and
//!   a new token revokes the old address.

use trama_sdk::i18n::Lang;

pub const CLAIM_LEN: usize = 8;
const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

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

/// A claim code from a fresh kernel id.
pub fn claim_code(seed: &str) -> String {
    let bits = hash64(seed);
    (0..CLAIM_LEN)
        .map(|i| {
            let shift = 64 - 5 * (i + 1);
            char::from(ALPHABET[((bits >> shift) & 31) as usize])
        })
        .collect()
}

/// A feed token from two fresh kernel ids.
pub fn feed_token(seed_a: &str, seed_b: &str) -> String {
    format!("{:016x}{:016x}", hash64(seed_a), hash64(seed_b))
}

/// Whether `text` has the shape of a feed token (checked before any lookup).
pub fn is_feed_token(text: &str) -> bool {
    text.len() == 32 && text.bytes().all(|b| b.is_ascii_hexdigit())
}

/// A claim code as typed: spaces and dashes dropped, upper case, `O I L` read as `0 1 1`.
pub fn normalize_claim(text: &str, lang: Lang) -> Result<String, String> {
    let chars: Vec<char> = text
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .map(|c| c.to_ascii_uppercase())
        .map(|c| match c {
            'O' => '0',
            'I' | 'L' => '1',
            other => other,
        })
        .collect();
    let valid = chars.len() == CLAIM_LEN
        && chars
            .iter()
            .all(|c| c.is_ascii() && ALPHABET.contains(&(*c as u8)));
    if valid {
        Ok(chars.into_iter().collect())
    } else {
        Err(match lang {
            Lang::It => format!(
                "«{}» non è un codice di attivazione: ha {CLAIM_LEN} tra lettere e cifre",
                text.trim()
            ),
            Lang::En => format!(
                "`{}` is not a claim code: it has {CLAIM_LEN} letters and digits",
                text.trim()
            ),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn claim_codes_are_read_forgivingly() {
        let code = claim_code("019a2b3c4d5e0000000000000001");
        assert_eq!(code.len(), CLAIM_LEN);
        assert_eq!(
            normalize_claim(&code.to_lowercase(), Lang::It),
            Ok(code.clone())
        );
        let spaced = format!("{}-{}", &code[..4], &code[4..]);
        assert_eq!(normalize_claim(&spaced, Lang::It), Ok(code));
        assert_eq!(
            normalize_claim("ol00 1111", Lang::It),
            Ok("01001111".into())
        );
        assert!(
            normalize_claim("ABC", Lang::En)
                .unwrap_err()
                .contains("`ABC`")
        );
        assert!(normalize_claim("ABCDEFGU", Lang::En).is_err());
    }

    #[test]
    fn feed_tokens_are_32_hex_digits_and_differ() {
        let a = feed_token("one", "two");
        let b = feed_token("one", "three");
        assert!(is_feed_token(&a) && is_feed_token(&b));
        assert_ne!(a, b);
        assert!(!is_feed_token("../etc/passwd"));
    }
}
