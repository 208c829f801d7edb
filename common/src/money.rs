//! Euros as people write them, read into integer cents without a float: the one reader the
//! kernel (the coordination table's amounts) and every plugin (through `trama_sdk::money`)
//! share, so an amount typed anywhere reads the same. People write `12,50` in Italian and
//! `12.50` in English, often with thousands separators (`1.234,56`, `1,234.56`) and a euro
//! sign; a single separator followed by exactly three digits (`1.500`) is a thousands
//! separator, because amounts have at most two decimals.

/// Largest amount accepted in a form: ten billion euros, well inside the ledger's limits.
pub const MAX_CENTS: i64 = 1_000_000_000_000;

/// Why a text is not an amount of euros.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    Empty,
    Negative,
    /// Something other than digits, one decimal separator and thousands separators.
    Malformed,
    /// More than two decimals.
    TooPrecise,
    TooLarge,
}

/// Reads an amount of euros (`12`, `12,5`, `12,50`, `12.50`, `1.234,56`, `€ 1,234.56`,
/// `12,50 €`) into cents.
pub fn parse_euros(text: &str) -> Result<i64, Fault> {
    let cleaned: String = text
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '€' && *c != '\'')
        .collect();
    let cleaned = cleaned
        .strip_prefix("EUR")
        .or_else(|| cleaned.strip_suffix("EUR"))
        .unwrap_or(&cleaned);
    if cleaned.is_empty() {
        return Err(Fault::Empty);
    }
    if cleaned.starts_with('-') {
        return Err(Fault::Negative);
    }
    let cleaned = cleaned.strip_prefix('+').unwrap_or(cleaned);
    if !cleaned
        .chars()
        .all(|c| c.is_ascii_digit() || c == '.' || c == ',')
    {
        return Err(Fault::Malformed);
    }
    let (whole, decimals) = split_decimals(cleaned)?;
    let whole_digits = ungroup(whole)?;
    if decimals.len() > 2 {
        return Err(Fault::TooPrecise);
    }
    if whole_digits.is_empty() && decimals.is_empty() {
        return Err(Fault::Malformed);
    }
    let mut cents: i64 = 0;
    for digit in whole_digits.bytes() {
        cents = cents
            .checked_mul(10)
            .and_then(|c| c.checked_add(i64::from(digit - b'0')))
            .ok_or(Fault::TooLarge)?;
    }
    cents = cents.checked_mul(100).ok_or(Fault::TooLarge)?;
    let mut fraction = 0;
    for (i, digit) in decimals.bytes().enumerate() {
        let weight = if i == 0 { 10 } else { 1 };
        fraction += i64::from(digit - b'0') * weight;
    }
    cents += fraction;
    if cents > MAX_CENTS {
        return Err(Fault::TooLarge);
    }
    Ok(cents)
}

/// Splits `text` (digits, dots and commas only) into the whole part, still with its thousands
/// separators, and the decimals.
fn split_decimals(text: &str) -> Result<(&str, &str), Fault> {
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
                return Err(Fault::Malformed);
            }
            Ok((&text[..at], decimals))
        }
        None => Ok((text, "")),
    }
}

/// The digits of a whole part whose thousands separators (one kind only) sit every three
/// digits from the right.
fn ungroup(whole: &str) -> Result<String, Fault> {
    let has_dot = whole.contains('.');
    let has_comma = whole.contains(',');
    if has_dot && has_comma {
        return Err(Fault::Malformed);
    }
    if !has_dot && !has_comma {
        return Ok(whole.to_owned());
    }
    let groups: Vec<&str> = whole.split(['.', ',']).collect();
    let first_ok = groups.first().is_some_and(|g| (1..=3).contains(&g.len()));
    let rest_ok = groups.iter().skip(1).all(|g| g.len() == 3);
    if !first_ok || !rest_ok {
        return Err(Fault::Malformed);
    }
    Ok(groups.concat())
}

/// A whole number with its thousands separated by `separator` (`12.500`, `12,500`).
pub fn group_digits(n: u64, separator: char) -> String {
    let digits = n.to_string();
    let mut grouped = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, digit) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            grouped.push(separator);
        }
        grouped.push(digit);
    }
    grouped
}

/// Cents as Italian pages and spreadsheets write them: `1.234,56 €`.
pub fn italian(cents: i64) -> String {
    format!("{} €", italian_number(cents))
}

/// Cents as an Italian number without the sign of the euro: `1.234,56` (a spreadsheet cell).
pub fn italian_number(cents: i64) -> String {
    let sign = if cents < 0 { "-" } else { "" };
    let abs = cents.unsigned_abs();
    format!("{sign}{},{:02}", group_digits(abs / 100, '.'), abs % 100)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn italian_amounts_read_and_write_back() {
        assert_eq!(parse_euros("1.250,50"), Ok(125_050));
        assert_eq!(parse_euros("5.000"), Ok(500_000));
        assert_eq!(parse_euros("12,5 €"), Ok(1250));
        assert_eq!(parse_euros("-3"), Err(Fault::Negative));
        assert_eq!(parse_euros("dodici"), Err(Fault::Malformed));
        assert_eq!(italian(125_050), "1.250,50 €");
        assert_eq!(italian_number(-5), "-0,05");
        for cents in [0, 5, 99, 100, 123_456_789] {
            assert_eq!(parse_euros(&italian(cents)), Ok(cents));
        }
    }
}
