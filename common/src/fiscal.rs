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
//! plugins, and the kernel binds the codice fiscale an identity provider asserts to the
//! account: one validator, here, means a code the kernel accepts is accepted by every plugin,
//! in the same normalised spelling. The SDK's `fiscal` module re-exports it and gives
//! [`TaxIdError::describe`] its catalogues (through [`Catalogue`]), so there is one error type.

use std::fmt;

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

/// Where a reader's sentences come from: the SDK implements it for its `Lang` from the
/// catalogues, so [`TaxIdError::describe`] is a method of the one enum and needs no import,
/// while this crate stays free of the SDK's catalogues.
pub trait Catalogue {
    /// The catalogue's sentence for `key`, with `{position}` filled in.
    fn tax_id_text(&self, key: &str, position: usize) -> String;
}

impl TaxIdError {
    /// The catalogue key of the sentence a person reads about this mistake (`sdk.fiscal.*`,
    /// which the SDK's catalogues carry in every language).
    pub fn catalogue_key(&self) -> &'static str {
        match self {
            Self::Length => "sdk.fiscal.length",
            Self::Layout { .. } => "sdk.fiscal.layout",
            Self::Month => "sdk.fiscal.month",
            Self::Day => "sdk.fiscal.day",
            Self::Check => "sdk.fiscal.check",
        }
    }

    /// A plain sentence about the mistake for a reader of `lang`, to show next to the field.
    pub fn describe<L: Catalogue>(&self, lang: L) -> String {
        let position = match self {
            Self::Layout { position } => *position,
            _ => 0,
        };
        lang.tax_id_text(self.catalogue_key(), position)
    }
}

/// The letters that stand for digits 0–9 in an *omocodia* code.
const OMOCODIA: &[u8; 10] = b"LMNPQRSTUV";
/// Month letters, January to December.
const MONTHS: &[u8; 12] = b"ABCDEHLMPRST";
/// Values of characters in odd positions, for `0`–`9` and `A`–`Z` alike (by rank).
const ODD: [u32; 26] = [
    1, 0, 5, 7, 9, 13, 15, 17, 19, 21, 2, 4, 18, 20, 11, 3, 6, 8, 12, 14, 16, 10, 22, 25, 24, 23,
];

/// Removes spaces and upper-cases.
fn clean(text: &str) -> String {
    text.chars()
        .filter(|c| !c.is_whitespace())
        .map(|c| c.to_ascii_uppercase())
        .collect()
}

/// Checks a codice fiscale, either 16 characters or 11 digits, and returns it upper-case
/// without spaces.
pub fn tax_code(text: &str) -> Result<String, TaxIdError> {
    let code = clean(text);
    if code.len() == 11 && code.bytes().all(|b| b.is_ascii_digit()) {
        check_numeric(&code)?;
        return Ok(code);
    }
    if code.len() != 16 || !code.is_ascii() {
        return Err(TaxIdError::Length);
    }
    let bytes = code.as_bytes();
    for (i, &b) in bytes.iter().enumerate() {
        let ok = match i {
            0..=5 | 8 | 11 | 15 => b.is_ascii_uppercase(),
            _ => b.is_ascii_digit() || OMOCODIA.contains(&b),
        };
        if !ok {
            return Err(TaxIdError::Layout { position: i + 1 });
        }
    }
    if !MONTHS.contains(&bytes[8]) {
        return Err(TaxIdError::Month);
    }
    let day = digit(bytes[9]) * 10 + digit(bytes[10]);
    if !(1..=31).contains(&day) && !(41..=71).contains(&day) {
        return Err(TaxIdError::Day);
    }
    if check_letter(&bytes[..15]) != bytes[15] {
        return Err(TaxIdError::Check);
    }
    Ok(code)
}

/// The digit a character stands for, undoing *omocodia*.
fn digit(b: u8) -> u32 {
    match OMOCODIA.iter().position(|&l| l == b) {
        Some(d) => d as u32,
        None => u32::from(b.saturating_sub(b'0')),
    }
}

/// The rank of a digit or letter: `0`/`A` → 0, `1`/`B` → 1, …
fn rank(b: u8) -> usize {
    if b.is_ascii_digit() {
        usize::from(b - b'0')
    } else {
        usize::from(b.saturating_sub(b'A'))
    }
}

/// The check letter of the first 15 characters of a codice fiscale.
fn check_letter(first15: &[u8]) -> u8 {
    let sum: u32 = first15
        .iter()
        .enumerate()
        .map(|(i, &b)| {
            let r = rank(b).min(25);
            // Positions count from 1, so index 0 is an odd position.
            if i % 2 == 0 { ODD[r] } else { r as u32 }
        })
        .sum();
    b'A' + (sum % 26) as u8
}

/// Whether the last of 11 ASCII digits is the Luhn check digit of the first ten, the rule of
/// the partita IVA and of the numeric codice fiscale; anything but 11 digits is `false`. Public
/// for plugins that normalise or report a partita IVA their own way but must check it the same.
pub fn check_digit_matches(digits: &str) -> bool {
    if digits.len() != 11 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return false;
    }
    let d: Vec<u32> = digits.bytes().map(|b| u32::from(b - b'0')).collect();
    let sum: u32 = d[..10]
        .iter()
        .enumerate()
        .map(|(i, &v)| {
            if i % 2 == 0 {
                v
            } else if v * 2 > 9 {
                v * 2 - 9
            } else {
                v * 2
            }
        })
        .sum();
    (10 - sum % 10) % 10 == d[10]
}

/// Checks the Luhn digit of an 11-digit number (partita IVA, numeric codice fiscale).
fn check_numeric(digits: &str) -> Result<(), TaxIdError> {
    if check_digit_matches(digits) {
        Ok(())
    } else {
        Err(TaxIdError::Check)
    }
}

/// Checks a partita IVA (11 digits, spaces and an `IT` prefix allowed) and returns the digits.
pub fn vat_number(text: &str) -> Result<String, TaxIdError> {
    let code = clean(text);
    let code = code.strip_prefix("IT").unwrap_or(&code);
    if code.len() != 11 {
        return Err(TaxIdError::Length);
    }
    if let Some(i) = code.bytes().position(|b| !b.is_ascii_digit()) {
        return Err(TaxIdError::Layout { position: i + 1 });
    }
    check_numeric(code)?;
    Ok(code.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn valid_codes_are_accepted_and_normalised() {
        for code in [
            "RSSMRA85T10A562S",
            "VRDGPP80A01H501U",
            "BNCLCU90M41F205Q",
            // Omocodia: the last digit of the place replaced by N (2).
            "RSSMRA85T10A56NH",
        ] {
            assert_eq!(tax_code(code).as_deref(), Ok(code));
        }
        assert_eq!(
            tax_code(" rssmra85t10a562s ").as_deref(),
            Ok("RSSMRA85T10A562S")
        );
        assert_eq!(tax_code("02760100962").as_deref(), Ok("02760100962"));
    }

    #[test]
    fn a_mistyped_code_is_refused_with_the_reason() {
        assert_eq!(tax_code("RSSMRA85T10A562T"), Err(TaxIdError::Check));
        assert_eq!(tax_code("RSSMRA85T10A562"), Err(TaxIdError::Length));
        assert_eq!(
            tax_code("RSSMR485T10A562S"),
            Err(TaxIdError::Layout { position: 6 })
        );
        assert_eq!(tax_code("RSSMRA85Z10A562S"), Err(TaxIdError::Month));
        assert_eq!(tax_code("RSSMRA85T35A562S"), Err(TaxIdError::Day));
        assert_eq!(tax_code("02760100961"), Err(TaxIdError::Check));
        // Swapping two characters changes the check letter.
        assert_eq!(tax_code("SRSMRA85T10A562S"), Err(TaxIdError::Check));
    }

    /// A catalogue that answers with the key and the position, to see what is asked of it.
    struct Keys;

    impl Catalogue for Keys {
        fn tax_id_text(&self, key: &str, position: usize) -> String {
            format!("{key}@{position}")
        }
    }

    #[test]
    fn a_mistake_is_described_from_the_catalogue_with_its_position() {
        assert_eq!(TaxIdError::Check.describe(Keys), "sdk.fiscal.check@0");
        assert_eq!(
            TaxIdError::Layout { position: 9 }.describe(Keys),
            "sdk.fiscal.layout@9"
        );
    }

    #[test]
    fn vat_numbers_have_a_luhn_check_digit() {
        for vat in ["01234567897", "12345678903", "07981080158"] {
            assert_eq!(vat_number(vat).as_deref(), Ok(vat));
        }
        assert_eq!(vat_number("IT 0123 4567 897").as_deref(), Ok("01234567897"));
        assert_eq!(vat_number("01234567890"), Err(TaxIdError::Check));
        assert_eq!(vat_number("0123456789"), Err(TaxIdError::Length));
        assert_eq!(
            vat_number("0123456789A"),
            Err(TaxIdError::Layout { position: 11 })
        );
    }

    #[test]
    fn the_check_digit_alone_is_checked_on_eleven_digits_only() {
        assert!(check_digit_matches("01234567897"));
        assert!(!check_digit_matches("01234567890"));
        assert!(!check_digit_matches("0123456789"));
        assert!(!check_digit_matches("0123456789A"));
    }
}
