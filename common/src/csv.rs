//! CSV fields and records (RFC 4180) that spreadsheets open safely, written once for the
//! kernel's exports (the budget, the indicators) and the plugins' (`trama_sdk::csv::Sheet`).
//!
//! Exports from a welfare service end up in an operator's spreadsheet, and their cells hold
//! what citizens typed. A cell starting with `=`, `+`, `-`, `@`, a tab or a carriage return
//! would run there as a formula (CSV injection), so such cells get a leading `'`, which
//! spreadsheets show as text — except a negative amount, which must stay a number.
//!
//! An Italian spreadsheet reads a file as Windows-1252 unless it starts with [`BOM`], and
//! splits fields at `;` because `,` is its decimal mark.

/// The byte-order mark that makes a spreadsheet read the file as UTF-8 ("sì", not "sÃ¬").
pub const BOM: char = '\u{feff}';

/// Appends one record to `out`: `fields` separated by `separator`, ended by CRLF.
pub fn push_record<S: AsRef<str>>(out: &mut String, fields: &[S], separator: char) {
    for (i, field) in fields.iter().enumerate() {
        if i > 0 {
            out.push(separator);
        }
        push_field(out, field.as_ref(), separator);
    }
    out.push_str("\r\n");
}

/// Appends one field, quoted when it holds the separator, a quote, a line break or edge
/// spaces (inner quotes doubled), and guarded with `'` when a spreadsheet would run it.
pub fn push_field(out: &mut String, field: &str, separator: char) {
    let guarded;
    let field = if field.starts_with(['=', '+', '-', '@', '\t', '\r']) && !is_negative_number(field)
    {
        guarded = format!("'{field}");
        guarded.as_str()
    } else {
        field
    };
    let needs_quotes = field.contains([separator, '"', '\r', '\n'])
        || field.starts_with(' ')
        || field.ends_with(' ');
    if needs_quotes {
        out.push('"');
        out.push_str(&field.replace('"', "\"\""));
        out.push('"');
    } else {
        out.push_str(field);
    }
}

/// An amount in cents as a spreadsheet reads a number: `1234,56` with `mark` `,`, without
/// thousands separators (which would make it text).
pub fn cents(cents: i64, mark: char) -> String {
    let sign = if cents < 0 { "-" } else { "" };
    let abs = cents.unsigned_abs();
    format!("{sign}{}{mark}{:02}", abs / 100, abs % 100)
}

/// `-12`, `-12,50`, `-12.50`: a negative amount, which a spreadsheet must read as a number.
fn is_negative_number(field: &str) -> bool {
    let Some(rest) = field.strip_prefix('-') else {
        return false;
    };
    let mut parts = rest.splitn(2, [',', '.']);
    let whole = parts.next().unwrap_or_default();
    let fraction = parts.next().unwrap_or("0");
    !whole.is_empty()
        && whole.bytes().all(|b| b.is_ascii_digit())
        && !fraction.is_empty()
        && fraction.bytes().all(|b| b.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_are_quoted_only_when_needed() {
        let mut out = String::new();
        push_record(
            &mut out,
            &["a", "b, c", "say \"ciao\"", "two\nlines", " pad"],
            ',',
        );
        assert_eq!(
            out,
            "a,\"b, c\",\"say \"\"ciao\"\"\",\"two\nlines\",\" pad\"\r\n"
        );
        let mut out = String::new();
        push_record(&mut out, &["a;b", "c,d"], ';');
        assert_eq!(out, "\"a;b\";c,d\r\n");
    }

    #[test]
    fn formulas_are_neutralised_but_negative_amounts_stay_numbers() {
        let mut out = String::new();
        push_record(
            &mut out,
            &["=1+1", "-2+3", "@x", "Anna", "-2", "-2.50"],
            ',',
        );
        assert_eq!(out, "'=1+1,'-2+3,'@x,Anna,-2,-2.50\r\n");
    }

    #[test]
    fn amounts_use_the_decimal_mark_given() {
        assert_eq!(cents(123_456, ','), "1234,56");
        assert_eq!(cents(-1_250, ','), "-12,50");
        assert_eq!(cents(5, '.'), "0.05");
    }
}
