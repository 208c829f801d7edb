//! How events name a person without their tax code.
//!
//! Some events must let another plugin recognise a person it already knows (casework follows a
//! referral to the person's application, [`crate::vouchers::ApplicationSubmitted`]). The tax
//! code itself would do, but it would then sit in every event row, every delivery and every
//! backup of the event store, readable by anyone who reads those, for a purpose that needs
//! only "is this the person I know?". So events carry [`key`]: the SHA-256 of the code under a
//! fixed domain prefix, in hexadecimal. A subscriber computes the key of the codes it holds and
//! compares; the event alone does not give the code back to a reader who does not already have
//! it.
//!
//! It is a pseudonym, not anonymity: tax codes are few enough (a name, a birth date and a
//! place) that someone holding the event store and guessing a person's code can confirm it. A
//! key shared by all instances and plugins is what lets publisher and subscriber match without
//! a secret in common; the event store stays personal data, kept and erased as such.

use sha2::{Digest, Sha256};

/// The domain prefix: a key from another use of SHA-256 over a tax code never matches.
const DOMAIN: &str = "trama/person/v1:";

/// The key of a person with `tax_code` (upper-cased and trimmed first, as
/// `trama_sdk::fiscal::tax_code` writes codes): 64 lowercase hexadecimal digits.
pub fn key(tax_code: &str) -> String {
    let mut hasher = Sha256::new();
    hasher.update(DOMAIN.as_bytes());
    hasher.update(tax_code.trim().to_uppercase().as_bytes());
    hasher
        .finalize()
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::key;

    #[test]
    fn one_person_one_key_whatever_the_case_of_the_letters() {
        let a = key("RSSMRA80A01H501U");
        assert_eq!(a.len(), 64);
        assert_eq!(a, key(" rssmra80a01h501u "));
        assert_ne!(a, key("VRDGPP80A01H501U"));
        assert!(!a.contains("RSSMRA"));
    }
}
