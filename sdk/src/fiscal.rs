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

use trama_common::fiscal as common;

pub use common::TaxIdError;

use crate::i18n::Lang;

/// The SDK's catalogues give [`TaxIdError::describe`] its sentences (`sdk.fiscal.*`), so a
/// plugin writes `err.describe(lang)` on the one error type the kernel uses too.
impl common::Catalogue for Lang {
    fn tax_id_text(&self, key: &str, position: usize) -> String {
        crate::i18n::text_for(*self, key, &[("position", &position)])
    }
}

/// Checks a codice fiscale, either 16 characters or 11 digits, and returns it upper-case
/// without spaces.
pub fn tax_code(text: &str) -> Result<String, TaxIdError> {
    common::tax_code(text)
}

/// Whether the last of 11 ASCII digits is the Luhn check digit of the first ten, the rule of
/// the partita IVA and of the numeric codice fiscale; anything but 11 digits is `false`. Public
/// for plugins that normalise or report a partita IVA their own way but must check it the same.
pub fn check_digit_matches(digits: &str) -> bool {
    common::check_digit_matches(digits)
}

/// Checks a partita IVA (11 digits, spaces and an `IT` prefix allowed) and returns the digits.
pub fn vat_number(text: &str) -> Result<String, TaxIdError> {
    common::vat_number(text)
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
