//! Euros as people write them, and integer cents as the ledger keeps them.
//!
//! Amounts never pass through a float: text is read digit by digit into cents, and cents are
//! written back with integer division. People write `12,50` in Italian and `12.50` in English,
//! often with thousands separators (`1.234,56`, `1,234.56`) and a euro sign; all of these are
//! read exactly. A single separator followed by exactly three digits (`1.500`, `1,500`) is a
//! thousands separator, because amounts have at most two decimals.
//!
//! Every plugin that handles money reads and writes euros the same way, so the SDK keeps one
//! tested copy: an amount typed in one plugin's form reads the same in another's.

use std::fmt;

use crate::i18n::Lang;

/// Largest amount accepted in a form: ten billion euros, well inside the ledger's limits.
pub const MAX_CENTS: i64 = trama_common::money::MAX_CENTS;

/// Why a text is not an amount of euros.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MoneyError {
    Empty,
    Negative,
    /// Something other than digits, one decimal separator and thousands separators.
    Malformed,
    /// More than two decimals.
    TooPrecise,
    TooLarge,
}

impl MoneyError {
    /// A plain sentence about `text` for a reader of `lang` (from the catalogues,
    /// `sdk.money.*`).
    pub fn describe(&self, text: &str, lang: Lang) -> String {
        let text = text.trim();
        let key = match self {
            Self::Empty => "sdk.money.empty",
            Self::Negative => "sdk.money.negative",
            Self::Malformed => "sdk.money.malformed",
            Self::TooPrecise => "sdk.money.too_precise",
            Self::TooLarge => "sdk.money.too_large",
        };
        let max = format_cents(MAX_CENTS, lang);
        crate::i18n::text_for(lang, key, &[("text", &text), ("max", &max)])
    }
}

impl fmt::Display for MoneyError {
    /// For developers (logs, `?` into another error): fixed English, not the catalogue.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Empty => "no amount",
            Self::Negative => "a negative amount",
            Self::Malformed => "not an amount of euros",
            Self::TooPrecise => "more than two decimals",
            Self::TooLarge => "above the largest amount",
        })
    }
}

impl std::error::Error for MoneyError {}

/// Reads an amount of euros (`12`, `12,5`, `12,50`, `12.50`, `1.234,56`, `€ 1,234.56`,
/// `12,50 €`) into cents (the reader shared with the kernel, `trama_common::money`).
pub fn parse_euros(text: &str) -> Result<i64, MoneyError> {
    use trama_common::money::Fault;
    trama_common::money::parse_euros(text).map_err(|fault| match fault {
        Fault::Empty => MoneyError::Empty,
        Fault::Negative => MoneyError::Negative,
        Fault::Malformed => MoneyError::Malformed,
        Fault::TooPrecise => MoneyError::TooPrecise,
        Fault::TooLarge => MoneyError::TooLarge,
    })
}

/// A whole number with its thousands grouped as the reader groups them: `12.500` in
/// Italian, `12,500` in English.
pub fn group_digits(n: u64, lang: Lang) -> String {
    let digits = n.to_string();
    let separator = match lang {
        Lang::It => '.',
        Lang::En => ',',
    };
    let mut grouped = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, digit) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            grouped.push(separator);
        }
        grouped.push(digit);
    }
    grouped
}

/// Writes cents as people read them: `1.234,56 €` in Italian, `€1,234.56` in English.
pub fn format_cents(cents: i64, lang: Lang) -> String {
    let negative = cents < 0;
    let abs = cents.unsigned_abs();
    let (euros, rest) = (abs / 100, abs % 100);
    let grouped = group_digits(euros, lang);
    let sign = if negative { "-" } else { "" };
    match lang {
        Lang::It => format!("{sign}{grouped},{rest:02} €"),
        Lang::En => format!("{sign}€{grouped}.{rest:02}"),
    }
}

/// Cents as plain decimal text with a dot (`1234.56`), for CSV files and form values that must
/// read back exactly whatever the locale.
pub fn plain(cents: i64) -> String {
    let sign = if cents < 0 { "-" } else { "" };
    let abs = cents.unsigned_abs();
    format!("{sign}{}.{:02}", abs / 100, abs % 100)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_mistyped_amount_is_explained_in_the_readers_language() {
        // German formats amounts as Italian does, and reads its own sentence from the
        // catalogues (the repository's, from disk, under a native test).
        crate::i18n::set_locale("de");
        let german = MoneyError::Malformed.describe("12,5x", crate::i18n::current());
        crate::i18n::set_locale("it");
        assert_eq!(
            german,
            "„12,5x“ ist kein Betrag in Euro: schreiben Sie ihn zum Beispiel als 1.234,50"
        );
        assert_eq!(
            MoneyError::TooLarge.describe("1e9", Lang::En),
            format!(
                "`1e9` is above the largest amount, {}",
                format_cents(MAX_CENTS, Lang::En)
            )
        );
    }

    #[test]
    fn italian_and_english_amounts_are_read_exactly() {
        let cases = [
            ("12", 1200),
            ("12,5", 1250),
            ("12,50", 1250),
            ("12.50", 1250),
            ("0,01", 1),
            (",99", 99),
            ("1.234,56", 123_456),
            ("1,234.56", 123_456),
            ("1.500", 150_000),
            ("1,500", 150_000),
            ("1.500.000", 150_000_000),
            ("15.000,00 €", 1_500_000),
            ("€ 1,234.56", 123_456),
            ("  7  ", 700),
            ("EUR 3,10", 310),
            ("1 234,56", 123_456),
            ("0,1", 10),
            // A float would make this 0.30000000000000004.
            ("0.30", 30),
        ];
        for (text, cents) in cases {
            assert_eq!(parse_euros(text), Ok(cents), "{text}");
        }
    }

    #[test]
    fn malformed_amounts_say_why() {
        assert_eq!(parse_euros(""), Err(MoneyError::Empty));
        assert_eq!(parse_euros(" € "), Err(MoneyError::Empty));
        assert_eq!(parse_euros("-5"), Err(MoneyError::Negative));
        assert_eq!(
            parse_euros("12,505"),
            Ok(1_250_500),
            "three digits group thousands"
        );
        assert_eq!(parse_euros("1,2345"), Err(MoneyError::TooPrecise));
        assert_eq!(parse_euros("12.3.4"), Err(MoneyError::Malformed));
        assert_eq!(parse_euros("12,50.3"), Err(MoneyError::Malformed));
        assert_eq!(parse_euros("1.2,50"), Err(MoneyError::Malformed));
        assert_eq!(parse_euros("dodici"), Err(MoneyError::Malformed));
        assert_eq!(parse_euros("1e3"), Err(MoneyError::Malformed));
        assert_eq!(parse_euros("."), Err(MoneyError::Malformed));
        assert_eq!(
            parse_euros("99999999999999999999999"),
            Err(MoneyError::TooLarge)
        );
        assert_eq!(parse_euros("10000000001"), Err(MoneyError::TooLarge));
        assert_eq!(
            MoneyError::TooPrecise.describe("1,234", Lang::It),
            "«1,234»: un importo in euro ha al massimo due decimali"
        );
    }

    #[test]
    fn cents_are_written_for_each_locale() {
        assert_eq!(format_cents(1250, Lang::It), "12,50 €");
        assert_eq!(format_cents(1250, Lang::En), "€12.50");
        assert_eq!(format_cents(1_800_000, Lang::It), "18.000,00 €");
        assert_eq!(format_cents(123_456_789, Lang::En), "€1,234,567.89");
        assert_eq!(format_cents(5, Lang::It), "0,05 €");
        assert_eq!(format_cents(-100_000, Lang::It), "-1.000,00 €");
        assert_eq!(format_cents(0, Lang::En), "€0.00");
        assert_eq!(plain(123_456), "1234.56");
        assert_eq!(plain(-5), "-0.05");
    }

    #[test]
    fn formatting_then_parsing_gives_back_the_cents() {
        for cents in [0, 1, 99, 100, 12_345, 1_000_000, 987_654_321] {
            for lang in [Lang::It, Lang::En] {
                assert_eq!(parse_euros(&format_cents(cents, lang)), Ok(cents));
            }
            assert_eq!(parse_euros(&plain(cents)), Ok(cents));
        }
    }
}
