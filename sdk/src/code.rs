//! Codes people read out and type: voucher codes at a till, one-time claim codes handed over a
//! desk, and the secret tokens in calendar addresses.
//!
//! Codes use Crockford's base 32 (`0-9`, `A-Z` without `I L O U`), which cannot be misread
//! (`0`/`O`, `1`/`I`/`L`) and is read case-insensitively. A plugin has no randomness of its
//! own, so a code is derived from a fresh kernel id ([`store::new_id`], which carries 64
//! random bits): the id is hashed (FNV-1a, then the SplitMix64 finaliser, so that every input
//! bit reaches the output) and the top bits are written 5 to a character. Codes are at most 12
//! characters (60 bits); a code is unique only where it is stored with "must not exist" —
//! [`create_unique`] does that and draws again on the rare collision.
//!
//! ```
//! use trama_sdk::code;
//!
//! let code = code::from_seed("019a2b3c4d5e6f70", 12);
//! let shown = code::display(&code, "BS"); // "BS-XXXX-XXXX-XXXX"
//! assert_eq!(code::normalize(&shown.to_lowercase(), 12), Ok(code));
//! ```

use std::fmt;

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::i18n::Lang;
use crate::store::{self, Collection, Doc};
use crate::{Error, Result};

/// The longest code: 12 characters carry 60 of the hash's 64 bits.
pub const MAX_LEN: usize = 12;
/// Crockford's base-32 alphabet.
const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
/// Draws [`create_unique`] makes before giving up: at 60 bits, a third collision in a row means
/// something other than chance.
const DRAWS: usize = 3;

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

/// `len` characters (at most [`MAX_LEN`]) from the hash of `seed`: the same seed always gives
/// the same code, which is what tests and idempotent derivations want.
pub fn from_seed(seed: &str, len: usize) -> String {
    let bits = hash64(seed);
    (0..len.min(MAX_LEN))
        .map(|i| {
            let shift = 64 - 5 * (i + 1);
            char::from(ALPHABET[((bits >> shift) & 31) as usize])
        })
        .collect()
}

/// A fresh code of `len` characters, from a new kernel id.
pub fn draw(len: usize) -> String {
    from_seed(&store::new_id(), len)
}

/// A secret of 128 bits as 32 hex digits, from two fresh kernel ids: the part of an address
/// that whoever holds it may use without logging in (a calendar feed).
pub fn token() -> String {
    format!(
        "{:016x}{:016x}",
        hash64(&store::new_id()),
        hash64(&store::new_id())
    )
}

/// Whether `text` has the shape of a [`token`] (checked before any lookup).
pub fn is_token(text: &str) -> bool {
    text.len() == 32 && text.bytes().all(|b| b.is_ascii_hexdigit())
}

/// A short identifier (16 hex digits) that follows from `seed`: how documents whose id must
/// follow from what they are keep ledger account names and idempotency keys short. Two seeds
/// share one with a probability of about 2^-64; stored with "must not exist", even that is
/// refused rather than merged.
pub fn short_id(seed: &str) -> String {
    format!("{:016x}", hash64(seed))
}

/// Stores a new document under a fresh code of `len` characters, built by `make` from the code;
/// a code already taken (about one draw in 2^(5·len)) is drawn again.
pub fn create_unique<T: Serialize + DeserializeOwned>(
    collection: &Collection<T>,
    len: usize,
    mut make: impl FnMut(&str) -> T,
) -> Result<Doc<T>> {
    let mut last = None;
    for _ in 0..DRAWS {
        let code = draw(len);
        match collection.create(&code, make(&code)) {
            Ok(doc) => return Ok(doc),
            Err(Error::Conflict(message)) => last = Some(message),
            Err(other) => return Err(other),
        }
    }
    Err(Error::internal(format!(
        "no free code of {len} characters in `{}` after {DRAWS} draws: {}",
        collection.name(),
        last.unwrap_or_default()
    )))
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
    /// The sentence shown next to the field where `text` was typed.
    pub fn describe(&self, text: &str, lang: Lang) -> String {
        let text = text.trim();
        match self {
            Self::TooShort { expected } => crate::i18n::text_for(
                lang,
                "sdk.code.too_short",
                &[("code", &text), ("expected", expected)],
            ),
            Self::BadCharacter(c) => crate::i18n::text_for(
                lang,
                "sdk.code.bad_character",
                &[("code", &text), ("character", c)],
            ),
        }
    }

    /// [`CodeError::describe`] as a `422`.
    pub fn into_error(self, text: &str, lang: Lang) -> Error {
        Error::invalid(self.describe(text, lang))
    }
}

impl fmt::Display for CodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // For developers (logs, `?` into another error): fixed English, not the catalogue.
        match self {
            Self::TooShort { expected } => {
                write!(f, "the code is too short: it has {expected} characters")
            }
            Self::BadCharacter(c) => write!(f, "“{c}” cannot be part of a code"),
        }
    }
}

impl std::error::Error for CodeError {}

/// A code as stored, from what a person typed: spaces and dashes dropped, letters upper-cased,
/// the last `len` characters kept (anything before them is a prefix), and the look-alikes `O`,
/// `I`, `L` read as `0`, `1`, `1`.
pub fn normalize(text: &str, len: usize) -> std::result::Result<String, CodeError> {
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

/// A code in groups of four for people to read, after an optional prefix:
/// `BS-K3JX-9P2M-7QRT`. The prefix is only shown: [`normalize`] reads past it, so changing it
/// never invalidates a code already printed.
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
            let code = from_seed(&format!("019a2b3c4d5e{i:016x}"), MAX_LEN);
            assert_eq!(code.len(), MAX_LEN);
            assert!(code.bytes().all(|b| ALPHABET.contains(&b)), "{code}");
            assert!(seen.insert(code), "collision at {i}");
        }
        assert_eq!(from_seed("x", 8).len(), 8);
        assert_eq!(from_seed("x", 40).len(), MAX_LEN);
        assert_eq!(from_seed("same", 10), from_seed("same", 10));
        assert!(from_seed("same", 12).starts_with(&from_seed("same", 8)));
    }

    #[test]
    fn typed_codes_are_read_forgivingly() {
        let code = from_seed("seed", 12);
        let shown = display(&code, "BS");
        assert!(shown.starts_with("BS-"));
        assert_eq!(shown.len(), 2 + 1 + 14);
        assert_eq!(normalize(&shown, 12), Ok(code.clone()));
        assert_eq!(normalize(&code.to_lowercase(), 12), Ok(code.clone()));
        assert_eq!(normalize("oil0-1111-2222", 12), Ok("011011112222".into()));
        assert_eq!(
            normalize("ABC", 12),
            Err(CodeError::TooShort { expected: 12 })
        );
        assert_eq!(
            normalize("ABCD-EFGH-123U", 12),
            Err(CodeError::BadCharacter('U'))
        );
        assert_eq!(display("K3JX9P2M7QRT", ""), "K3JX-9P2M-7QRT");
        assert!(
            CodeError::TooShort { expected: 8 }
                .describe(" AB ", Lang::It)
                .contains("«AB»")
        );
    }

    #[test]
    fn tokens_and_short_ids_have_their_shape() {
        assert!(is_token(&format!("{:016x}{:016x}", 1u64, u64::MAX)));
        assert!(!is_token("abc"));
        assert!(!is_token(&"g".repeat(32)));
        assert_eq!(short_id("plan/a/b").len(), 16);
        assert_ne!(short_id("plan/a/b"), short_id("plan/a/c"));
    }
}
