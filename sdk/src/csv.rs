//! Writing CSV (RFC 4180) that spreadsheets open safely.
//!
//! Exports from a welfare service end up in an operator's spreadsheet, and their cells hold
//! what citizens typed. A cell starting with `=`, `+`, `-` or `@` would run there as a formula
//! (CSV injection), so such cells get a leading `'`, which spreadsheets show as text.
//!
//! ```
//! let mut out = String::new();
//! trama_sdk::csv::record(&mut out, &["name", "note"]);
//! trama_sdk::csv::record(&mut out, &["Anna", "=HYPERLINK(\"x\")"]);
//! assert_eq!(out, "name,note\r\nAnna,\"'=HYPERLINK(\"\"x\"\")\"\r\n");
//! ```

/// Appends one record to `out`: fields separated by commas, ended by CRLF.
pub fn record<S: AsRef<str>>(out: &mut String, fields: &[S]) {
    for (i, field) in fields.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        push_field(out, field.as_ref());
    }
    out.push_str("\r\n");
}

/// Quotes a field when it holds a comma, a quote, a line break or edge spaces, doubling inner
/// quotes. A field a spreadsheet would run as a formula (`=`, `+`, `-`, `@`, tab, CR first) is
/// prefixed with `'`, so a name like `=HYPERLINK(…)` stays text on an operator's computer.
fn push_field(out: &mut String, field: &str) {
    let guarded;
    let field = if field.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        guarded = format!("'{field}");
        guarded.as_str()
    } else {
        field
    };
    let needs_quotes =
        field.contains([',', '"', '\r', '\n']) || field.starts_with(' ') || field.ends_with(' ');
    if needs_quotes {
        out.push('"');
        out.push_str(&field.replace('"', "\"\""));
        out.push('"');
    } else {
        out.push_str(field);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_are_quoted_only_when_needed() {
        let mut out = String::new();
        record(
            &mut out,
            &["a", "b, c", "say \"ciao\"", "two\nlines", " pad"],
        );
        assert_eq!(
            out,
            "a,\"b, c\",\"say \"\"ciao\"\"\",\"two\nlines\",\" pad\"\r\n"
        );
    }

    #[test]
    fn formulas_are_neutralised() {
        let mut out = String::new();
        record(&mut out, &["=1+1", "-2", "@x", "Anna"]);
        assert_eq!(out, "'=1+1,'-2,'@x,Anna\r\n");
    }
}
