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
pub const MAX_CENTS: i64 = 1_000_000_000_000;

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
/// `12,50 €`) into cents.
pub fn parse_euros(text: &str) -> Result<i64, MoneyError> {
    let cleaned: String = text
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '€' && *c != '\'')
        .collect();
    let cleaned = cleaned
        .strip_prefix("EUR")
        .or_else(|| cleaned.strip_suffix("EUR"))
        .unwrap_or(&cleaned);
    if cleaned.is_empty() {
        return Err(MoneyError::Empty);
    }
    if cleaned.starts_with('-') {
        return Err(MoneyError::Negative);
    }
    let cleaned = cleaned.strip_prefix('+').unwrap_or(cleaned);
    if !cleaned
        .chars()
        .all(|c| c.is_ascii_digit() || c == '.' || c == ',')
    {
        return Err(MoneyError::Malformed);
    }
    let (whole, decimals) = split_decimals(cleaned)?;
    let whole_digits = ungroup(whole)?;
    if decimals.len() > 2 {
        return Err(MoneyError::TooPrecise);
    }
    if whole_digits.is_empty() && decimals.is_empty() {
        return Err(MoneyError::Malformed);
    }
    let mut cents: i64 = 0;
    for digit in whole_digits.bytes() {
        cents = cents
            .checked_mul(10)
            .and_then(|c| c.checked_add(i64::from(digit - b'0')))
            .ok_or(MoneyError::TooLarge)?;
    }
    cents = cents.checked_mul(100).ok_or(MoneyError::TooLarge)?;
    let mut fraction = 0;
    for (i, digit) in decimals.bytes().enumerate() {
        let weight = if i == 0 { 10 } else { 1 };
        fraction += i64::from(digit - b'0') * weight;
    }
    cents += fraction;
    if cents > MAX_CENTS {
        return Err(MoneyError::TooLarge);
    }
    Ok(cents)
}

/// Splits `text` (digits, dots and commas only) into the whole part, still with its thousands
/// separators, and the decimals.
fn split_decimals(text: &str) -> Result<(&str, &str), MoneyError> {
    let last_dot = text.rfind('.');
    let last_comma = text.rfind(',');
    let decimal_at = match (last_dot, last_comma) {
        (None, None) => None,
        // Both kinds: the last one written is the decimal separator.
        (Some(dot), Some(comma)) => Some(dot.max(comma)),
        (Some(at), None) | (None, Some(at)) => {
            let separator = text.as_bytes()[at];
            let occurrences = text.bytes().filter(|b| *b == separator).count();
            let after = text.len() - at - 1;
            // `1.500.000` or `1.500`: thousands; `12,5` and `12.50`: decimals.
            if occurrences > 1 || after == 3 {
                None
            } else {
                Some(at)
            }
        }
    };
    match decimal_at {
        Some(at) => {
            let decimals = &text[at + 1..];
            if decimals.contains(['.', ',']) {
                return Err(MoneyError::Malformed);
            }
            Ok((&text[..at], decimals))
        }
        None => Ok((text, "")),
    }
}

/// The digits of a whole part whose thousands separators (one kind only) sit every three
/// digits from the right.
fn ungroup(whole: &str) -> Result<String, MoneyError> {
    let has_dot = whole.contains('.');
    let has_comma = whole.contains(',');
    if has_dot && has_comma {
        return Err(MoneyError::Malformed);
    }
    if !has_dot && !has_comma {
        return Ok(whole.to_owned());
    }
    let groups: Vec<&str> = whole.split(['.', ',']).collect();
    let first_ok = groups.first().is_some_and(|g| (1..=3).contains(&g.len()));
    let rest_ok = groups.iter().skip(1).all(|g| g.len() == 3);
    if !first_ok || !rest_ok {
        return Err(MoneyError::Malformed);
    }
    Ok(groups.concat())
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
