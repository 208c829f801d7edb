//! Checking employees before they are enrolled: one from a form or JSON, or a whole table
//! (see the notes of [`crate::enrol`] on tables). Nothing here writes: it turns text into
//! [`NewEnrolment`]s against the plan's rules, and says what is wrong with the rest, by field
//! or by line.

use std::collections::HashMap;

use serde::Serialize;
use trama_sdk::i18n::Lang;
use trama_sdk::input::{Input, Problems};
use trama_sdk::{Error, Result, t};

use super::{MAX_ROWS, NewEnrolment};
use crate::credit::{self, CreditRule};
use crate::table::{self, Table};

/// Reads a username as the kernel writes them: 3 to 64 lower-case letters, digits, `.`, `_`,
/// `-` or `@` (upper case is folded).
pub fn parse_username(text: &str) -> Option<String> {
    let username = text.trim().to_lowercase();
    let valid = (3..=64).contains(&username.len())
        && username.bytes().all(|b| {
            b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'.' | b'_' | b'-' | b'@')
        });
    valid.then_some(username)
}

/// The fields of one employee as text, from a form, JSON or a table row.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Fields<'a> {
    pub username: Option<&'a str>,
    pub full_name: Option<&'a str>,
    pub employee_code: Option<&'a str>,
    pub level: Option<&'a str>,
    pub dependants: Option<&'a str>,
}

impl<'a> Fields<'a> {
    pub fn from_input(input: &'a Input) -> Self {
        Self {
            username: input.one("username"),
            full_name: input.one("full_name"),
            employee_code: input.one("employee_code"),
            level: input.one("level"),
            dependants: input.one("dependants"),
        }
    }
}

/// Checks one employee against the plan's rules: every problem, by field.
pub fn check(
    fields: &Fields,
    rule: &CreditRule,
    lang: Lang,
) -> std::result::Result<NewEnrolment, Problems> {
    let mut problems = Problems::default();
    let username = match fields.username.map(str::trim).filter(|u| !u.is_empty()) {
        None => {
            problems.push("username", t!("corporate_plans.enrol.username_missing"));
            String::new()
        }
        Some(text) => parse_username(text).unwrap_or_else(|| {
            problems.push(
                "username",
                t!("corporate_plans.enrol.username_invalid", text = text),
            );
            String::new()
        }),
    };
    let full_name = fields
        .full_name
        .map(str::trim)
        .unwrap_or_default()
        .to_owned();
    if !(2..=120).contains(&full_name.chars().count()) {
        problems.push("full_name", t!("corporate_plans.enrol.full_name"));
    }
    let employee_code = fields
        .employee_code
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .map(str::to_owned);
    if employee_code
        .as_ref()
        .is_some_and(|c| c.chars().count() > 40)
    {
        problems.push(
            "employee_code",
            t!("corporate_plans.enrol.employee_code_long"),
        );
    }
    let dependants = match fields.dependants.map(str::trim).filter(|d| !d.is_empty()) {
        None => 0,
        Some(text) => match text.parse::<u32>() {
            Ok(n) if n <= credit::MAX_DEPENDANTS => n,
            _ => {
                problems.push(
                    "dependants",
                    t!(
                        "corporate_plans.enrol.dependants_invalid",
                        text = text,
                        max = credit::MAX_DEPENDANTS
                    ),
                );
                0
            }
        },
    };
    let level_text = fields.level.map(str::trim).filter(|l| !l.is_empty());
    let credit = match rule.credit(level_text, dependants) {
        Ok(credit) => Some(credit),
        Err(err) => {
            if problems.for_field("dependants").is_none() {
                let field = match err {
                    credit::CreditError::LevelMissing | credit::CreditError::UnknownLevel(_) => {
                        "level"
                    }
                    _ => "dependants",
                };
                problems.push(field, err.describe(rule, lang));
            }
            None
        }
    };
    let level = if rule.levels.is_empty() {
        None
    } else {
        level_text
            .and_then(|l| rule.level_name(l))
            .map(str::to_owned)
    };
    match credit {
        Some(credit) if problems.is_empty() => Ok(NewEnrolment {
            username,
            full_name,
            employee_code,
            level,
            dependants,
            credit,
        }),
        _ => Err(problems),
    }
}

/// What a table's column is called, in Italian or English.
fn column_of(name: &str) -> Option<&'static str> {
    let key: String = name
        .chars()
        .map(|c| if c == '_' || c == '-' { ' ' } else { c })
        .collect::<String>()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    match key.as_str() {
        "username" | "user" | "utente" | "nome utente" | "account" => Some("username"),
        "full name" | "name" | "nome" | "nominativo" | "nome e cognome" | "cognome e nome"
        | "dipendente" | "employee" => Some("full_name"),
        "employee code" | "matricola" | "codice dipendente" => Some("employee_code"),
        "level" | "livello" | "contract level" | "livello contrattuale" => Some("level"),
        "dependants" | "dependents" | "familiari a carico" | "familiari" | "carichi familiari" => {
            Some("dependants")
        }
        _ => None,
    }
}

/// A row that could not be enrolled: its line in the file and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RowError {
    pub line: usize,
    /// The username as written, when there was one.
    pub username: Option<String>,
    pub message: String,
}

/// A table read against a plan: the valid rows, each with its line, and the invalid ones.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CheckedTable {
    pub rows: Vec<(usize, NewEnrolment)>,
    pub errors: Vec<RowError>,
}

/// Reads an uploaded table against the plan's rules. `Err` is a problem with the whole file
/// (nothing is enrolled); row problems are in [`CheckedTable::errors`].
pub fn check_table(text: &str, rule: &CreditRule, lang: Lang) -> Result<CheckedTable> {
    let Table { header, rows, .. } =
        table::read(text).map_err(|err| Error::invalid(err.describe()))?;
    let mut columns: Vec<&'static str> = Vec::with_capacity(header.len());
    for (i, name) in header.iter().enumerate() {
        match column_of(name) {
            Some(column) if columns.contains(&column) => {
                return Err(Error::invalid(t!(
                    "corporate_plans.enrol.column_twice",
                    name = name
                )));
            }
            Some(column) => columns.push(column),
            None if name.is_empty() => {
                return Err(Error::invalid(t!(
                    "corporate_plans.enrol.column_unnamed",
                    number = i + 1
                )));
            }
            None => {
                return Err(Error::invalid(t!(
                    "corporate_plans.enrol.column_unknown",
                    name = name
                )));
            }
        }
    }
    for required in ["username", "full_name"] {
        if !columns.contains(&required) {
            return Err(Error::invalid(t!(
                "corporate_plans.enrol.column_missing",
                column = column_label(required)
            )));
        }
    }
    if !rule.levels.is_empty() && !columns.contains(&"level") {
        return Err(Error::invalid(t!(
            "corporate_plans.enrol.level_column_needed"
        )));
    }
    if rows.len() > MAX_ROWS {
        return Err(Error::invalid(t!(
            "corporate_plans.enrol.too_many_rows",
            rows = rows.len(),
            max = MAX_ROWS
        )));
    }
    let mut checked = CheckedTable::default();
    let mut seen: HashMap<String, usize> = HashMap::new();
    let mut seen_codes: HashMap<String, usize> = HashMap::new();
    for row in rows {
        let get = |column: &str| {
            columns
                .iter()
                .position(|c| *c == column)
                .and_then(|i| row.fields.get(i))
                .map(String::as_str)
        };
        let username = get("username").filter(|u| !u.is_empty()).map(str::to_owned);
        if row.fields.len() > header.len() {
            checked.errors.push(RowError {
                line: row.line,
                username,
                message: t!(
                    "corporate_plans.enrol.row_fields",
                    fields = row.fields.len(),
                    columns = header.len()
                ),
            });
            continue;
        }
        let fields = Fields {
            username: get("username"),
            full_name: get("full_name"),
            employee_code: get("employee_code"),
            level: get("level"),
            dependants: get("dependants"),
        };
        match check(&fields, rule, lang) {
            Err(problems) => checked.errors.push(RowError {
                line: row.line,
                username,
                message: problems
                    .0
                    .iter()
                    .map(|p| {
                        t!(
                            "corporate_plans.enrol.row_problem",
                            column = column_label(&p.field),
                            problem = p.message
                        )
                    })
                    .collect::<Vec<_>>()
                    .join("; "),
            }),
            Ok(new) => {
                if let Some(first) = seen.get(&new.username) {
                    checked.errors.push(RowError {
                        line: row.line,
                        username,
                        message: t!(
                            "corporate_plans.enrol.username_twice",
                            username = new.username,
                            line = first
                        ),
                    });
                    continue;
                }
                if let Some(code) = &new.employee_code {
                    if let Some(first) = seen_codes.get(code) {
                        checked.errors.push(RowError {
                            line: row.line,
                            username,
                            message: t!(
                                "corporate_plans.enrol.employee_code_twice",
                                code = code,
                                line = first
                            ),
                        });
                        continue;
                    }
                    seen_codes.insert(code.clone(), row.line);
                }
                seen.insert(new.username.clone(), row.line);
                checked.rows.push((row.line, new));
            }
        }
    }
    Ok(checked)
}

/// A field's name as the table's header says it.
fn column_label(field: &str) -> String {
    match field {
        "username" => t!("corporate_plans.columns.username"),
        "full_name" => t!("corporate_plans.columns.full_name"),
        "employee_code" => t!("corporate_plans.columns.employee_code"),
        "level" => t!("corporate_plans.columns.level"),
        "dependants" => t!("corporate_plans.columns.dependants"),
        _ => "?".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule() -> CreditRule {
        CreditRule {
            flat_cents: 0,
            levels: credit::parse_levels(&["Q1 = 1.000", "2 = 800"]).unwrap_or_default(),
            per_dependant_cents: 10_000,
            max_dependants: Some(2),
            refund_share_bp: 2500,
        }
    }

    #[test]
    fn a_table_enrols_good_rows_and_reports_bad_ones_by_line() {
        let text = "Username;Nome;Matricola;Livello;Familiari a carico\n\
                    anna.rossi;Anna Rossi;M001;Q1;1\n\
                    bruno;Bruno Verdi;M002;Q9;0\n\
                    \n\
                    carla;Carla Bianchi;M003;2;tre\n\
                    ANNA.ROSSI;Anna Rossi bis;M004;2;0\n\
                    dario;Dario Neri;M001;2;0\n\
                    x;;;2;0\n\
                    elena;Elena Gialli;;2;5\n";
        let checked = check_table(text, &rule(), Lang::It).unwrap();
        let good: Vec<(usize, &str, i64, i64)> = checked
            .rows
            .iter()
            .map(|(line, n)| {
                (
                    *line,
                    n.username.as_str(),
                    n.credit.total_cents,
                    n.credit.reimbursable_cents,
                )
            })
            .collect();
        assert_eq!(
            good,
            vec![
                (2, "anna.rossi", 110_000, 27_500),
                // Five dependants, counted up to two.
                (9, "elena", 100_000, 25_000),
            ]
        );
        let lines: Vec<usize> = checked.errors.iter().map(|e| e.line).collect();
        assert_eq!(lines, vec![3, 5, 6, 7, 8]);
        assert!(
            checked.errors[0].message.contains("«Q9»"),
            "{:?}",
            checked.errors[0]
        );
        assert!(checked.errors[1].message.starts_with("familiari a carico:"));
        assert!(checked.errors[2].message.contains("riga 2"));
        assert!(checked.errors[3].message.contains("matricola «M001»"));
        assert!(checked.errors[4].message.contains("username:"));
        assert!(checked.errors[4].message.contains("nome:"));
    }

    #[test]
    fn problems_with_the_whole_file_refuse_it() {
        let flat = CreditRule {
            flat_cents: 50_000,
            levels: Vec::new(),
            per_dependant_cents: 0,
            max_dependants: None,
            refund_share_bp: 0,
        };
        trama_sdk::i18n::set_locale("en");
        for (text, expected) in [
            ("nome\nAnna", "username"),
            ("username,nome,stipendio\nanna,Anna,1", "stipendio"),
            ("username,nome,utente\nanna,Anna,b", "twice"),
            ("", "empty"),
        ] {
            let err = check_table(text, &flat, Lang::En).unwrap_err();
            assert!(err.message().contains(expected), "{text}: {err}");
        }
        // A plan by level needs the level column.
        let err = check_table("username,name\nanna,Anna", &rule(), Lang::En).unwrap_err();
        assert!(err.message().contains("level"), "{err}");
        let many = format!("username,name\n{}", "anna,Anna\n".repeat(MAX_ROWS + 1));
        assert!(check_table(&many, &flat, Lang::En).is_err());
        let extra = check_table("username,name\nanna,Anna,oops", &flat, Lang::En).unwrap();
        assert!(extra.errors[0].message.contains("3 fields"));
        let missing = check_table("username\nanna", &flat, Lang::En).unwrap_err();
        trama_sdk::i18n::set_locale("it");
        assert_eq!(
            missing.message(),
            "the column `full_name` is missing: the first line must be the header, e.g. username,full_name,level,dependants"
        );
        let missing = check_table("username\nanna", &flat, Lang::It).unwrap_err();
        assert!(
            missing.message().starts_with("manca la colonna «nome»:"),
            "{missing}"
        );
    }

    #[test]
    fn usernames_follow_the_kernel_rules() {
        assert_eq!(
            parse_username(" Anna.Rossi@Acme.it ").as_deref(),
            Some("anna.rossi@acme.it")
        );
        assert_eq!(parse_username("ab"), None);
        assert_eq!(parse_username("anna rossi"), None);
    }
}
