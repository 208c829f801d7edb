//! Italian tax identifiers: the codice fiscale of a person and the partita IVA (VAT number).
//!
//! Both end with a check character, so most typing mistakes are caught before a person applies
//! twice under two spellings of the same code or a merchant is registered with a wrong number.
//!
//! **Codice fiscale** (16 characters, DM 23/12/1976): three letters of the surname, three of
//! the name, two digits of the year of birth, a month letter (`ABCDEHLMPRST`), two digits of the
//! day (plus 40 for women), a letter and three digits of the place of birth, and a check letter.
//! When two people would get the same code, the Agenzia delle Entrate replaces digits from the
//! right with the letters `LMNPQRSTUV` (0–9), the *omocodia*; those codes are valid too. The
//! check letter: each of the first 15 characters is turned into a number — characters in odd
//! positions (1st, 3rd, …) through the table of the decree (`A`/`0` → 1, `B`/`1` → 0, `C`/`2` → 5,
//! …), those in even positions as their rank (`A`/`0` → 0, `B`/`1` → 1, …) — and the sum modulo
//! 26 is the check letter (`0` → `A`).
//!
//! **Partita IVA** (11 digits, DPR 633/1972): seven digits of the taxpayer, three of the tax
//! office, and a Luhn check digit: the digits in odd positions are added as they are, those in
//! even positions are doubled (minus 9 above 9), and the check digit brings the total to a
//! multiple of 10. Companies and people without a 16-character code also use an 11-digit
//! numeric codice fiscale with the same check digit, so [`tax_code`] accepts that form too.
//!
//! Citizens, merchants, companies and providers are identified by these codes in several
//! plugins; one shared validator (`trama-common`, which the kernel also uses for the fiscal
//! number an identity provider asserts) means a code accepted by one plugin is accepted by all,
//! and is stored in the same normalised spelling.

use std::fmt;

use trama_common::fiscal as common;

use crate::i18n::Lang;

/// Why a text is not a valid tax identifier.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TaxIdError {
    /// Neither 16 characters nor 11 digits (after removing spaces).
    Length,
    /// A character where the layout wants another kind (a digit for a letter, say).
    Layout { position: usize },
    /// A month letter outside `ABCDEHLMPRST`.
    Month,
    /// A day of birth outside 1–31 and 41–71.
    Day,
    /// The check character does not match the others: a typing mistake.
    Check,
}

impl TaxIdError {
    /// A plain sentence about the mistake for a reader of `lang`, to show next to the field
    /// (from the catalogues, `sdk.fiscal.*`).
    pub fn describe(&self, lang: Lang) -> String {
        let key = match self {
            Self::Length => "sdk.fiscal.length",
            Self::Layout { .. } => "sdk.fiscal.layout",
            Self::Month => "sdk.fiscal.month",
            Self::Day => "sdk.fiscal.day",
            Self::Check => "sdk.fiscal.check",
        };
        let position = match self {
            Self::Layout { position } => *position,
            _ => 0,
        };
        crate::i18n::text_for(lang, key, &[("position", &position)])
    }
}

impl fmt::Display for TaxIdError {
    /// For developers (logs, `?` into another error): fixed English, not the catalogue.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Length => f.write_str("neither 16 characters nor 11 digits"),
            Self::Layout { position } => write!(f, "unexpected character at position {position}"),
            Self::Month => f.write_str("no such month letter"),
            Self::Day => f.write_str("no such day of birth"),
            Self::Check => f.write_str("the check character does not match"),
        }
    }
}

impl std::error::Error for TaxIdError {}

impl From<common::TaxIdError> for TaxIdError {
    fn from(err: common::TaxIdError) -> Self {
        match err {
            common::TaxIdError::Length => Self::Length,
            common::TaxIdError::Layout { position } => Self::Layout { position },
            common::TaxIdError::Month => Self::Month,
            common::TaxIdError::Day => Self::Day,
            common::TaxIdError::Check => Self::Check,
        }
    }
}

/// Checks a codice fiscale, either 16 characters or 11 digits, and returns it upper-case
/// without spaces.
pub fn tax_code(text: &str) -> Result<String, TaxIdError> {
    common::tax_code(text).map_err(TaxIdError::from)
}

/// Whether the last of 11 ASCII digits is the Luhn check digit of the first ten, the rule of
/// the partita IVA and of the numeric codice fiscale; anything but 11 digits is `false`. Public
/// for plugins that normalise or report a partita IVA their own way but must check it the same.
pub fn check_digit_matches(digits: &str) -> bool {
    common::check_digit_matches(digits)
}

/// Checks a partita IVA (11 digits, spaces and an `IT` prefix allowed) and returns the digits.
pub fn vat_number(text: &str) -> Result<String, TaxIdError> {
    common::vat_number(text).map_err(TaxIdError::from)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shared_rule_is_the_one_plugins_get() {
        assert_eq!(
            tax_code(" rssmra85t10a562s ").as_deref(),
            Ok("RSSMRA85T10A562S")
        );
        assert_eq!(tax_code("RSSMRA85T10A562T"), Err(TaxIdError::Check));
        assert_eq!(
            vat_number("0123456789A"),
            Err(TaxIdError::Layout { position: 11 })
        );
        assert!(check_digit_matches("01234567897"));
    }

    #[test]
    fn messages_are_written_in_both_languages() {
        assert!(TaxIdError::Check.describe(Lang::It).contains("controllo"));
        assert!(
            TaxIdError::Check
                .describe(Lang::En)
                .contains("check character")
        );
    }
}
