//! Reading the tables HR offices upload: CSV files saved from a spreadsheet, or cells pasted
//! straight from one.
//!
//! Italian spreadsheets save CSV with `;` (the comma is the decimal separator), English ones
//! with `,`, and cells copied from a spreadsheet paste as tab-separated text, so the separator
//! is whichever of tab, `;` and `,` appears most in the header line (outside quotes). Fields
//! follow RFC 4180: a field in double quotes may hold separators, line breaks and doubled
//! quotes. A byte-order mark, blank lines and spaces around fields are ignored.
//!
//! Every row keeps the number of the line it starts on in the file (the header is line 1), so
//! an error report can say "line 7" and HR finds the row in their spreadsheet.

use trama_sdk::t;

/// A row of the table: the line it starts on and its fields, trimmed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    pub line: usize,
    pub fields: Vec<String>,
}

/// A table: the header's column names (trimmed, lower-cased) and the rows below it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Table {
    pub header: Vec<String>,
    pub rows: Vec<Row>,
    pub separator: char,
}

/// Why a text could not be read as a table at all.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TableError {
    /// Nothing but blank lines.
    Empty,
    /// A quoted field still open at the end of the text, starting on this line.
    UnclosedQuote(usize),
}

impl TableError {
    pub fn describe(&self) -> String {
        match self {
            Self::Empty => t!("corporate_plans.table.empty"),
            Self::UnclosedQuote(line) => t!("corporate_plans.table.unclosed_quote", line = line),
        }
    }
}

/// The separator of a table whose first line is `header_line`.
fn detect_separator(header_line: &str) -> char {
    let mut counts = [(0usize, '\t'), (0, ';'), (0, ',')];
    let mut quoted = false;
    for c in header_line.chars() {
        if c == '"' {
            quoted = !quoted;
        } else if !quoted && let Some(entry) = counts.iter_mut().find(|(_, s)| *s == c) {
            entry.0 += 1;
        }
    }
    // Ties go to the earlier entry: tab, then `;`, then `,`.
    counts
        .iter()
        .fold(
            (0, ','),
            |best, &(n, s)| if n > best.0 { (n, s) } else { best },
        )
        .1
}

/// Splits `text` into records, each with the line it starts on.
fn records(text: &str, separator: char) -> Result<Vec<Row>, TableError> {
    let mut rows = Vec::new();
    let mut fields: Vec<String> = Vec::new();
    let mut field = String::new();
    let mut quoted = false;
    // Whether the current field was quoted: its spaces are kept, others are trimmed.
    let mut was_quoted = false;
    let mut line = 1;
    let mut start_line = 1;
    let mut chars = text.chars().peekable();
    let finish_field = |field: &mut String, fields: &mut Vec<String>, was_quoted: &mut bool| {
        let value = if *was_quoted {
            std::mem::take(field)
        } else {
            std::mem::take(field).trim().to_owned()
        };
        fields.push(value);
        *was_quoted = false;
    };
    while let Some(c) = chars.next() {
        if quoted {
            match c {
                '"' if chars.peek() == Some(&'"') => {
                    chars.next();
                    field.push('"');
                }
                '"' => quoted = false,
                '\n' => {
                    line += 1;
                    field.push('\n');
                }
                '\r' => {}
                other => field.push(other),
            }
            continue;
        }
        match c {
            '"' if field.trim().is_empty() => {
                field.clear();
                quoted = true;
                was_quoted = true;
            }
            c if c == separator => finish_field(&mut field, &mut fields, &mut was_quoted),
            '\r' => {}
            '\n' => {
                finish_field(&mut field, &mut fields, &mut was_quoted);
                let record = std::mem::take(&mut fields);
                if record.iter().any(|f| !f.is_empty()) {
                    rows.push(Row {
                        line: start_line,
                        fields: record,
                    });
                }
                line += 1;
                start_line = line;
            }
            other => field.push(other),
        }
    }
    if quoted {
        return Err(TableError::UnclosedQuote(start_line));
    }
    if !field.is_empty() || !fields.is_empty() || was_quoted {
        finish_field(&mut field, &mut fields, &mut was_quoted);
        if fields.iter().any(|f| !f.is_empty()) {
            rows.push(Row {
                line: start_line,
                fields,
            });
        }
    }
    Ok(rows)
}

/// Reads `text` as a table whose first non-blank record is the header.
pub fn read(text: &str) -> Result<Table, TableError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let first_line = text
        .lines()
        .find(|l| !l.trim().is_empty())
        .ok_or(TableError::Empty)?;
    let separator = detect_separator(first_line);
    let mut rows = records(text, separator)?.into_iter();
    let header = rows
        .next()
        .ok_or(TableError::Empty)?
        .fields
        .into_iter()
        .map(|name| name.trim().to_lowercase())
        .collect();
    Ok(Table {
        header,
        rows: rows.collect(),
        separator,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn semicolons_commas_and_tabs_are_all_read() {
        for (text, separator) in [
            ("Username;Nome\nanna;Anna Rossi\n", ';'),
            ("username,nome\r\nanna,Anna Rossi\r\n", ','),
            ("username\tnome\nanna\tAnna Rossi", '\t'),
        ] {
            let table = read(text).unwrap();
            assert_eq!(table.separator, separator, "{text:?}");
            assert_eq!(table.header, vec!["username", "nome"]);
            assert_eq!(
                table.rows,
                vec![Row {
                    line: 2,
                    fields: vec!["anna".into(), "Anna Rossi".into()]
                }]
            );
        }
    }

    #[test]
    fn quoted_fields_keep_separators_quotes_and_line_breaks_and_lines_are_counted() {
        let text = "\u{feff}username;nome;note\n\
                    anna;\"Rossi; Anna\";\"disse \"\"sì\"\"\"\n\
                    \n\
                    bruno;\"Verdi\nBruno\";x\n\
                    carla ; Carla ;  \n";
        let table = read(text).unwrap();
        assert_eq!(table.rows.len(), 3);
        assert_eq!(table.rows[0].line, 2);
        assert_eq!(table.rows[0].fields[1], "Rossi; Anna");
        assert_eq!(table.rows[0].fields[2], "disse \"sì\"");
        // The blank line 3 is skipped; Bruno's record spans lines 4 and 5.
        assert_eq!(table.rows[1].line, 4);
        assert_eq!(table.rows[1].fields[1], "Verdi\nBruno");
        assert_eq!(table.rows[2].line, 6);
        assert_eq!(table.rows[2].fields, vec!["carla", "Carla", ""]);
    }

    #[test]
    fn broken_files_say_where() {
        assert_eq!(read(" \n\n"), Err(TableError::Empty));
        assert_eq!(
            read("username;nome\nanna;\"Rossi\nbruno;Verdi\n"),
            Err(TableError::UnclosedQuote(2))
        );
        assert!(TableError::UnclosedQuote(2).describe().contains("riga 2"));
        let only_header = read("username;nome").unwrap();
        assert!(only_header.rows.is_empty());
    }
}
