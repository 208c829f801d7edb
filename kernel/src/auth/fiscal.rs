//! The fiscal number (codice fiscale) an identity provider asserts, as the kernel binds it to an
//! account.
//!
//! SPID and CIE gateways send it as a claim such as `"TINIT-RSSMRA80A01H501U"`: the prefix
//! names the kind of identifier (TIN) and the country (IT). The code is checked with its check
//! character by `trama_common::fiscal`, the same rule the plugins apply to a code typed into a
//! form, so the spelling bound here is the one every plugin stores and compares.

use trama_common::fiscal::{TaxIdError, tax_code};

/// The prefix of a fiscal number in SPID and CIE assertions (ETSI EN 319 412-1).
const TIN_PREFIX: &str = "TINIT-";

/// Why an asserted fiscal number is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FiscalError {
    /// A prefix of another country or identifier type: not an Italian fiscal number.
    #[error("{0:?} is not an Italian fiscal number (expected TINIT- or no prefix)")]
    Foreign(String),
    #[error("the fiscal number is not valid: {0}")]
    Invalid(TaxIdError),
}

/// The fiscal number in `claim`, without the `TINIT-` prefix, upper-case, its check
/// character verified.
pub fn from_claim(claim: &str) -> Result<String, FiscalError> {
    let text = claim.trim();
    let upper = text.to_ascii_uppercase();
    let code = match upper.strip_prefix(TIN_PREFIX) {
        Some(code) => code,
        // Another prefix (`TINES-…`, `VATIT-…`) is a foreign or company identifier.
        None if upper.len() > 6 && upper.as_bytes().get(5) == Some(&b'-') => {
            return Err(FiscalError::Foreign(text.chars().take(6).collect()));
        }
        None => upper.as_str(),
    };
    tax_code(code).map_err(FiscalError::Invalid)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_spid_prefix_is_stripped_and_the_code_upper_cased() {
        assert_eq!(
            from_claim("TINIT-RSSMRA85T10A562S").as_deref(),
            Ok("RSSMRA85T10A562S")
        );
        assert_eq!(
            from_claim("tinit-rssmra85t10a562s").as_deref(),
            Ok("RSSMRA85T10A562S")
        );
        assert_eq!(
            from_claim("RSSMRA85T10A562S").as_deref(),
            Ok("RSSMRA85T10A562S")
        );
    }

    #[test]
    fn a_wrong_check_character_or_a_foreign_identifier_is_refused() {
        assert_eq!(
            from_claim("TINIT-RSSMRA85T10A562T"),
            Err(FiscalError::Invalid(TaxIdError::Check))
        );
        assert!(matches!(
            from_claim("TINES-12345678Z"),
            Err(FiscalError::Foreign(_))
        ));
        assert!(from_claim("").is_err());
    }
}
