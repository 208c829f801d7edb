//! Writing CSV (RFC 4180) that spreadsheets open safely — and, through [`Sheet`], right.
//!
//! An Italian spreadsheet reads a CSV file as Windows-1252 unless it starts with a byte-order
//! mark (so "sì" comes out as "sÃ¬"), and splits fields at `;`, because `,` is its decimal mark
//! (so a comma-separated file shows as one column). A [`Sheet`] writes the mark, separates
//! fields with `;` in Italian and `,` in English, writes amounts with the decimal mark of the
//! language, and takes its column headers in both languages.
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

use crate::http::Response;
use crate::i18n::Lang;

/// Appends one record to `out`: fields separated by commas, ended by CRLF.
pub fn record<S: AsRef<str>>(out: &mut String, fields: &[S]) {
    record_with(out, fields, ',');
}

fn record_with<S: AsRef<str>>(out: &mut String, fields: &[S], separator: char) {
    trama_common::csv::push_record(out, fields, separator);
}

/// A CSV export for people, in their language (see the module's notes).
///
/// ```
/// use trama_sdk::csv::Sheet;
/// use trama_sdk::i18n::Lang;
///
/// let mut sheet = Sheet::new(Lang::It);
/// // Column names are catalogue keys; a plugin names its own (`rides.csv.person`).
/// sheet.header(&["sdk.csv.example_name", "sdk.csv.example_amount"]);
/// let amount = sheet.cents(123_456);
/// sheet.row(&["Anna Rossi, sì", amount.as_str()]);
/// assert_eq!(sheet.finish(), "\u{feff}Nome;Importo (€)\r\nAnna Rossi, sì;1234,56\r\n");
/// ```
#[derive(Debug, Clone)]
pub struct Sheet {
    out: String,
    separator: char,
    lang: Lang,
}

impl Sheet {
    /// An empty sheet for a person who reads `lang`.
    pub fn new(lang: Lang) -> Self {
        Self {
            out: String::from(trama_common::csv::BOM),
            separator: match lang {
                Lang::It => ';',
                Lang::En => ',',
            },
            lang,
        }
    }

    /// The header row, each column named by its catalogue key, in the reader's language.
    pub fn header(&mut self, columns: &[&str]) {
        let names: Vec<String> = columns
            .iter()
            .map(|key| crate::i18n::text_for(self.lang, key, &[]))
            .collect();
        record_with(&mut self.out, &names, self.separator);
    }

    /// The header row: the columns named by catalogue key, then `raw` names as they are
    /// (names a person chose, such as a form's own questions).
    pub fn header_with(&mut self, columns: &[&str], raw: &[&str]) {
        let mut names: Vec<String> = columns
            .iter()
            .map(|key| crate::i18n::text_for(self.lang, key, &[]))
            .collect();
        names.extend(raw.iter().map(|name| (*name).to_owned()));
        record_with(&mut self.out, &names, self.separator);
    }

    /// One row.
    pub fn row<S: AsRef<str>>(&mut self, fields: &[S]) {
        record_with(&mut self.out, fields, self.separator);
    }

    /// An amount in cents as the spreadsheet reads a number in this language: `1234,56` or
    /// `1234.56`, without thousands separators (which would make it text).
    pub fn cents(&self, cents: i64) -> String {
        trama_common::csv::cents(cents, self.lang.pick(',', '.'))
    }

    /// "sì"/"yes"/"ja" or "no"/"nein".
    pub fn yes_no(&self, value: bool) -> String {
        crate::i18n::yes_no(self.lang, value)
    }

    /// The text of the file.
    pub fn finish(self) -> String {
        self.out
    }

    /// The sheet as a file the browser saves as `filename`.
    pub fn download(self, filename: impl Into<String>) -> Response {
        Response::download(filename, "text/csv; charset=utf-8", self.out.into_bytes())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_italian_sheet_opens_in_columns_with_accents_and_amounts() {
        let mut sheet = Sheet::new(Lang::It);
        // Column names from the catalogues, then one a person chose, as it is.
        sheet.header_with(
            &["sdk.csv.example_name", "sdk.csv.example_amount"],
            &["Nota"],
        );
        let refund = sheet.cents(-1_250);
        sheet.row(&["Anna; Rossi", refund.as_str(), "sì, grazie"]);
        sheet.row(&["-x", "0,05", "=SUM(A1)"]);
        assert_eq!(
            sheet.finish(),
            "\u{feff}Nome;Importo (€);Nota\r\n\"Anna; Rossi\";-12,50;sì, grazie\r\n'-x;0,05;'=SUM(A1)\r\n"
        );
        let mut sheet = Sheet::new(Lang::En);
        sheet.header(&["sdk.csv.example_name", "sdk.csv.example_amount"]);
        let amount = sheet.cents(5);
        sheet.row(&["Rossi, Anna", amount.as_str()]);
        assert_eq!(
            sheet.finish(),
            "\u{feff}Name,Amount (€)\r\n\"Rossi, Anna\",0.05\r\n"
        );
    }
}
