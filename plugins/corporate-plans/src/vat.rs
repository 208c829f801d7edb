//! The partita IVA (VAT number) of companies and providers: 11 digits, the last a Luhn check
//! digit (DPR 633/1972), so most typing mistakes are caught before a company is registered
//! twice under two spellings of its number.
//!
//! The check digit is [`trama_sdk::fiscal`]'s; what stays here is this plugin's own reading
//! (dots and dashes allowed too) and its messages, which name the digit that is wrong.

use trama_sdk::t;

/// Why a text is not a partita IVA.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VatError {
    /// Not 11 characters once spaces and an `IT` prefix are removed.
    Length,
    /// A character that is not a digit, at this position (from 1).
    NotDigit(usize),
    /// The check digit does not match the others.
    Check,
}

impl VatError {
    pub fn describe(&self) -> String {
        match self {
            Self::Length => t!("corporate_plans.vat.length"),
            Self::NotDigit(at) => t!("corporate_plans.vat.not_digit", position = at),
            Self::Check => t!("corporate_plans.vat.check"),
        }
    }
}

/// Checks a partita IVA (spaces, dots and an `IT` prefix allowed) and returns its 11 digits.
pub fn parse(text: &str) -> Result<String, VatError> {
    let cleaned: String = text
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '.' && *c != '-')
        .collect::<String>()
        .to_ascii_uppercase();
    let digits = cleaned.strip_prefix("IT").unwrap_or(&cleaned);
    if digits.chars().count() != 11 {
        return Err(VatError::Length);
    }
    if let Some(at) = digits.chars().position(|c| !c.is_ascii_digit()) {
        return Err(VatError::NotDigit(at + 1));
    }
    if trama_sdk::fiscal::check_digit_matches(digits) {
        Ok(digits.to_owned())
    } else {
        Err(VatError::Check)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn valid_numbers_are_normalised_and_mistakes_named() {
        assert_eq!(parse("01234567897").as_deref(), Ok("01234567897"));
        assert_eq!(parse("IT 0123456789 7").as_deref(), Ok("01234567897"));
        assert_eq!(parse("02760100962").as_deref(), Ok("02760100962"));
        assert_eq!(parse("01234567890"), Err(VatError::Check));
        assert_eq!(parse("0123456789"), Err(VatError::Length));
        assert_eq!(parse("0123456789A"), Err(VatError::NotDigit(11)));
    }
}
