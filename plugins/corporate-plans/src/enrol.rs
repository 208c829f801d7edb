//! Enrolling employees in a plan, one by one or from a table, and their activation.
//!
//! **Who the employee is.** Employees are accounts on the instance, named by their username
//! (HR asks each employee for it, or the company sets a convention such as the work e-mail
//! address). The kernel lets anyone register any free username and cannot tell a plugin
//! whether an account exists, so a username alone must not hand a wallet to whoever registers
//! it first. An enrolment is therefore created *pending*, with a one-time **activation code**
//! that HR hands to the employee (the table of codes is in the enrolment report and its CSV):
//! the employee logs in — or signs up — with that username, sees the pending enrolment and
//! enters the code. Both are needed: the code is refused from any other account, and the
//! username without the code gets nothing. Five wrong codes lock the enrolment until HR issues
//! a new code.
//!
//! **Money.** Enrolling moves the employee's credit from the plan's budget to their wallet at
//! once (`plan/{p}/budget` → `wallet/{e}`, key `enrol/{e}`), and, if the plan has a
//! reimbursable share, opens their allowance (`memo/allowance` → `allowance/{e}`, key
//! `enrol/{e}/allowance`); both in one `transfer_all`. The budget is funded, so the plan can
//! never promise more than it holds: a row that does not fit is reported, not enrolled. The
//! enrolment's id is `{plan}.{username}`, so an employee is enrolled once per plan however
//! often the table is uploaded, and the idempotency keys make a retried upload pay nobody
//! twice. Money moves before the enrolment is written: an enrolment that exists is funded.
//!
//! **Tables: good rows in, bad rows reported.** An upload enrols every valid row and answers
//! with the rows it could not enrol, each with its line number and what is wrong; nothing is
//! all-or-nothing. A company of two thousand employees should not wait for one mistyped level
//! to be fixed before everyone else can use their credit, and the report tells HR exactly
//! which lines to correct. Uploading the corrected file again is safe: rows already enrolled
//! with the same details are counted as unchanged, not as errors. Problems with the file
//! itself (no `username` column, an unknown column, an unclosed quote, too many rows) refuse
//! the whole upload before anything is enrolled.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};
use trama_sdk::i18n::Lang;
use trama_sdk::identity::User;
use trama_sdk::input::{Input, Problems};
use trama_sdk::ledger::{self, AccountKind, LedgerError, TransferRequest};
use trama_sdk::money::format_cents;
use trama_sdk::store::{Batch, Cmp, Collection, Doc};
use trama_sdk::{Error, Result, audit, clock};

use crate::accounts;
use crate::credit::{self, Credit, CreditRule};
use crate::fields::{CODE_LEN, shown_code};
use crate::plan::Plan;
use crate::table::{self, Table};
use trama_sdk::code;

pub const ENROLMENTS: Collection<Enrolment> = Collection::new("enrolments");

/// Fields of a single enrolment in JSON.
pub const JSON_FIELDS: &[&str] = &[
    "username",
    "full_name",
    "employee_code",
    "level",
    "dependants",
];
/// The most rows one upload may hold; larger companies upload in parts.
pub const MAX_ROWS: usize = 1000;
/// Wrong activation codes before an enrolment locks.
pub const MAX_FAILED_ATTEMPTS: u32 = 5;
/// Rows funded by one ledger `transfer_all` and written by one store batch.
const GROUP: usize = 50;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Funded, waiting for the employee's activation code.
    Pending,
    /// Linked to the employee's account.
    Active,
}

/// An employee in a plan, id `{plan}.{username}`. `plan`, `company`, `username`, `user_id` and
/// `status` are indexed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Enrolment {
    pub plan: String,
    pub company: String,
    pub username: String,
    pub full_name: String,
    #[serde(default)]
    pub employee_code: Option<String>,
    #[serde(default)]
    pub level: Option<String>,
    pub dependants: u32,
    pub credit_cents: i64,
    pub reimbursable_cents: i64,
    pub status: Status,
    /// Present while pending.
    #[serde(default)]
    pub activation_code: Option<String>,
    #[serde(default)]
    pub failed_attempts: u32,
    #[serde(default)]
    pub user_id: Option<String>,
    pub enrolled_at: i64,
    pub enrolled_by: String,
    #[serde(default)]
    pub activated_at: Option<i64>,
}

/// The enrolment id of `username` in `plan`.
pub fn enrolment_id(plan: &str, username: &str) -> String {
    format!("{plan}.{username}")
}

/// An employee to enrol, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewEnrolment {
    pub username: String,
    pub full_name: String,
    pub employee_code: Option<String>,
    /// As the plan spells it.
    pub level: Option<String>,
    pub dependants: u32,
    pub credit: Credit,
}

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
            problems.push(
                "username",
                lang.pick(
                    "manca il nome utente del dipendente sulla piattaforma",
                    "the employee's username on the platform is missing",
                ),
            );
            String::new()
        }
        Some(text) => parse_username(text).unwrap_or_else(|| {
            problems.push(
                "username",
                match lang {
                    Lang::It => format!("«{text}» non è un nome utente valido: da 3 a 64 caratteri tra lettere minuscole, cifre, «.», «_», «-» e «@»"),
                    Lang::En => format!("`{text}` is not a valid username: 3 to 64 lower-case letters, digits, `.`, `_`, `-` or `@`"),
                },
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
        problems.push(
            "full_name",
            lang.pick(
                "scrivi nome e cognome del dipendente, da 2 a 120 caratteri",
                "write the employee's full name, 2 to 120 characters",
            ),
        );
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
            lang.pick(
                "la matricola ha al massimo 40 caratteri",
                "the employee code has at most 40 characters",
            ),
        );
    }
    let dependants = match fields.dependants.map(str::trim).filter(|d| !d.is_empty()) {
        None => 0,
        Some(text) => match text.parse::<u32>() {
            Ok(n) if n <= credit::MAX_DEPENDANTS => n,
            _ => {
                problems.push(
                    "dependants",
                    match lang {
                        Lang::It => format!(
                            "«{text}» non è un numero di familiari a carico: scrivi un numero intero da 0 a {}",
                            credit::MAX_DEPENDANTS
                        ),
                        Lang::En => format!(
                            "`{text}` is not a number of dependants: write a whole number from 0 to {}",
                            credit::MAX_DEPENDANTS
                        ),
                    },
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
        table::read(text).map_err(|err| Error::invalid(err.describe(lang)))?;
    let mut columns: Vec<&'static str> = Vec::with_capacity(header.len());
    for (i, name) in header.iter().enumerate() {
        match column_of(name) {
            Some(column) if columns.contains(&column) => {
                return Err(Error::invalid(match lang {
                    Lang::It => format!("la colonna «{name}» compare due volte nell'intestazione"),
                    Lang::En => format!("the column `{name}` appears twice in the header"),
                }));
            }
            Some(column) => columns.push(column),
            None if name.is_empty() => {
                return Err(Error::invalid(match lang {
                    Lang::It => format!("la colonna {} dell'intestazione non ha nome", i + 1),
                    Lang::En => format!("column {} of the header has no name", i + 1),
                }));
            }
            None => {
                return Err(Error::invalid(match lang {
                    Lang::It => format!(
                        "la colonna «{name}» non è prevista: le colonne sono username, nome, matricola, livello, familiari a carico"
                    ),
                    Lang::En => format!(
                        "the column `{name}` is not known: the columns are username, full_name, employee_code, level, dependants"
                    ),
                }));
            }
        }
    }
    for required in ["username", "full_name"] {
        if !columns.contains(&required) {
            return Err(Error::invalid(match lang {
                Lang::It => format!(
                    "manca la colonna «{}»: la prima riga deve essere l'intestazione, ad esempio username;nome;livello;familiari a carico",
                    if required == "username" {
                        "username"
                    } else {
                        "nome"
                    }
                ),
                Lang::En => format!(
                    "the column `{required}` is missing: the first line must be the header, e.g. username,full_name,level,dependants"
                ),
            }));
        }
    }
    if !rule.levels.is_empty() && !columns.contains(&"level") {
        return Err(Error::invalid(lang.pick(
            "il piano assegna il credito per livello: serve la colonna «livello»",
            "the plan gives credit by level: the column `level` is needed",
        )));
    }
    if rows.len() > MAX_ROWS {
        return Err(Error::invalid(match lang {
            Lang::It => format!(
                "il file ha {} righe: se ne caricano al massimo {MAX_ROWS} alla volta, dividilo in più parti",
                rows.len()
            ),
            Lang::En => format!(
                "the file has {} rows: at most {MAX_ROWS} are uploaded at a time, split it into parts",
                rows.len()
            ),
        }));
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
                message: match lang {
                    Lang::It => format!(
                        "la riga ha {} campi ma l'intestazione {} colonne: controlla i separatori",
                        row.fields.len(),
                        header.len()
                    ),
                    Lang::En => format!(
                        "the row has {} fields but the header {} columns: check the separators",
                        row.fields.len(),
                        header.len()
                    ),
                },
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
                    .map(|p| format!("{}: {}", column_label(&p.field, lang), p.message))
                    .collect::<Vec<_>>()
                    .join("; "),
            }),
            Ok(new) => {
                if let Some(first) = seen.get(&new.username) {
                    checked.errors.push(RowError {
                        line: row.line,
                        username,
                        message: match lang {
                            Lang::It => {
                                format!("il dipendente «{}» è già alla riga {first}", new.username)
                            }
                            Lang::En => format!(
                                "the employee `{}` is already on line {first}",
                                new.username
                            ),
                        },
                    });
                    continue;
                }
                if let Some(code) = &new.employee_code {
                    if let Some(first) = seen_codes.get(code) {
                        checked.errors.push(RowError {
                            line: row.line,
                            username,
                            message: match lang {
                                Lang::It => {
                                    format!("la matricola «{code}» è già alla riga {first}")
                                }
                                Lang::En => {
                                    format!("the employee code `{code}` is already on line {first}")
                                }
                            },
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
fn column_label(field: &str, lang: Lang) -> &'static str {
    match (field, lang) {
        ("username", _) => "username",
        ("full_name", Lang::It) => "nome",
        ("employee_code", Lang::It) => "matricola",
        ("level", Lang::It) => "livello",
        ("dependants", Lang::It) => "familiari a carico",
        ("full_name", Lang::En) => "full_name",
        ("employee_code", Lang::En) => "employee_code",
        ("level", Lang::En) => "level",
        ("dependants", Lang::En) => "dependants",
        _ => "?",
    }
}

/// What an enrolment run did.
#[derive(Debug, Clone, Default)]
pub struct Outcome {
    pub enrolled: Vec<(usize, Doc<Enrolment>)>,
    /// Rows already enrolled with the same details: line and enrolment id.
    pub unchanged: Vec<(usize, String)>,
    pub errors: Vec<RowError>,
}

/// Whether an existing enrolment says the same as a new row (a re-upload).
fn same(existing: &Enrolment, new: &NewEnrolment) -> bool {
    existing.full_name == new.full_name
        && existing.employee_code == new.employee_code
        && existing.level == new.level
        && existing.dependants == new.dependants
        && existing.credit_cents == new.credit.total_cents
}

fn funding(plan: &str, id: &str, credit: Credit) -> Vec<TransferRequest> {
    let mut transfers = vec![
        TransferRequest::new(
            accounts::plan_budget(plan),
            accounts::wallet(id),
            credit.total_cents,
            format!("enrol/{id}"),
        )
        .memo("credit of the plan"),
    ];
    if credit.reimbursable_cents > 0 {
        transfers.push(
            TransferRequest::new(
                accounts::MEMO_ALLOWANCE,
                accounts::allowance(id),
                credit.reimbursable_cents,
                format!("enrol/{id}/allowance"),
            )
            .memo("reimbursable part of the credit"),
        );
    }
    transfers
}

fn budget_error(left: i64, credit: i64, lang: Lang) -> String {
    match lang {
        Lang::It => format!(
            "il budget del piano ha ancora {}: non basta per il credito di questo dipendente, {}. Aumenta il budget e ricarica questa riga",
            format_cents(left, lang),
            format_cents(credit, lang)
        ),
        Lang::En => format!(
            "the plan's budget has {} left: not enough for this employee's credit, {}. Top up the budget and upload this row again",
            format_cents(left, lang),
            format_cents(credit, lang)
        ),
    }
}

/// Enrols `rows` (each with its line; 0 for a single enrolment) in `plan`: see the module
/// documentation for what happens to each.
pub fn enrol(
    plan: &Doc<Plan>,
    rows: Vec<(usize, NewEnrolment)>,
    actor: &User,
    lang: Lang,
) -> Result<Outcome> {
    let today = clock::today();
    if plan.data.is_over(today) {
        return Err(Error::invalid(match lang {
            Lang::It => format!(
                "il piano «{}» è chiuso: non si possono iscrivere dipendenti",
                plan.data.title
            ),
            Lang::En => format!(
                "the plan “{}” is closed: no employee can be enrolled",
                plan.data.title
            ),
        }));
    }
    let now = clock::now_ms();
    let mut outcome = Outcome::default();
    let mut left = accounts::balance(&accounts::plan_budget(&plan.id))?;
    let mut accepted: Vec<(usize, String, NewEnrolment)> = Vec::new();
    for (line, new) in rows {
        let id = enrolment_id(&plan.id, &new.username);
        if let Some(existing) = ENROLMENTS.get(&id)? {
            if same(&existing.data, &new) {
                outcome.unchanged.push((line, id));
            } else {
                outcome.errors.push(RowError {
                    line,
                    username: Some(new.username.clone()),
                    message: match lang {
                        Lang::It => format!("«{}» è già iscritto a questo piano con dati diversi ({}, credito {})", new.username, existing.data.full_name, format_cents(existing.data.credit_cents, lang)),
                        Lang::En => format!("`{}` is already enrolled in this plan with other details ({}, credit {})", new.username, existing.data.full_name, format_cents(existing.data.credit_cents, lang)),
                    },
                });
            }
            continue;
        }
        if new.credit.total_cents > left {
            outcome.errors.push(RowError {
                line,
                username: Some(new.username.clone()),
                message: budget_error(left, new.credit.total_cents, lang),
            });
            continue;
        }
        left -= new.credit.total_cents;
        accepted.push((line, id, new));
    }
    for group in accepted.chunks(GROUP) {
        for (_, id, new) in group {
            ledger::open(&accounts::wallet(id), AccountKind::Funded)?;
            if new.credit.reimbursable_cents > 0 {
                ledger::open(&accounts::allowance(id), AccountKind::Funded)?;
            }
        }
        let transfers: Vec<TransferRequest> = group
            .iter()
            .flat_map(|(_, id, new)| funding(&plan.id, id, new.credit))
            .collect();
        let funded: Vec<&(usize, String, NewEnrolment)> = match ledger::transfer_all(&transfers) {
            Ok(_) => group.iter().collect(),
            // Someone else drew on the budget meanwhile, or a row was half-enrolled before
            // with other details: fund the rows one by one to find which.
            Err(LedgerError::InsufficientFunds(_) | LedgerError::Conflict(_)) => {
                let mut funded = Vec::new();
                for row in group {
                    let (line, id, new) = row;
                    match ledger::transfer_all(&funding(&plan.id, id, new.credit)) {
                        Ok(_) => funded.push(row),
                        Err(LedgerError::InsufficientFunds(_)) => {
                            let left = accounts::balance(&accounts::plan_budget(&plan.id))?;
                            outcome.errors.push(RowError {
                                line: *line,
                                username: Some(new.username.clone()),
                                message: budget_error(left, new.credit.total_cents, lang),
                            });
                        }
                        Err(LedgerError::Conflict(_)) => outcome.errors.push(RowError {
                            line: *line,
                            username: Some(new.username.clone()),
                            message: lang
                                .pick(
                                    "un'iscrizione precedente di questo dipendente, con un credito diverso, si è interrotta: contatta la cooperativa",
                                    "an earlier enrolment of this employee, with another credit, was interrupted: contact the cooperative",
                                )
                                .to_owned(),
                        }),
                        Err(err) => return Err(err.into()),
                    }
                }
                funded
            }
            Err(err) => return Err(err.into()),
        };
        let docs: Vec<(usize, String, Enrolment)> = funded
            .into_iter()
            .map(|(line, id, new)| {
                let enrolment = Enrolment {
                    plan: plan.id.clone(),
                    company: plan.data.company.clone(),
                    username: new.username.clone(),
                    full_name: new.full_name.clone(),
                    employee_code: new.employee_code.clone(),
                    level: new.level.clone(),
                    dependants: new.dependants,
                    credit_cents: new.credit.total_cents,
                    reimbursable_cents: new.credit.reimbursable_cents,
                    status: Status::Pending,
                    activation_code: Some(code::draw(CODE_LEN)),
                    failed_attempts: 0,
                    user_id: None,
                    enrolled_at: now,
                    enrolled_by: actor.username.clone(),
                    activated_at: None,
                };
                (*line, id.clone(), enrolment)
            })
            .collect();
        let mut batch = Batch::new();
        for (_, id, enrolment) in &docs {
            batch.create(&ENROLMENTS, id, enrolment);
        }
        if batch.is_empty() {
            continue;
        }
        match batch.commit() {
            Ok(versions) => {
                for ((line, id, data), version) in docs.into_iter().zip(versions) {
                    outcome.enrolled.push((line, Doc { id, version, data }));
                }
            }
            // A concurrent upload enrolled some of these rows first (with the same credit, or
            // the ledger would have refused the replay): write the others one by one.
            Err(Error::Conflict(_)) => {
                for (line, id, data) in docs {
                    match ENROLMENTS.create(&id, data) {
                        Ok(doc) => outcome.enrolled.push((line, doc)),
                        Err(Error::Conflict(_)) => outcome.unchanged.push((line, id)),
                        Err(err) => return Err(err),
                    }
                }
            }
            Err(err) => return Err(err),
        }
    }
    if !outcome.enrolled.is_empty() {
        let usernames: Vec<&str> = outcome
            .enrolled
            .iter()
            .take(500)
            .map(|(_, doc)| doc.data.username.as_str())
            .collect();
        audit::record(
            "plan.employees_enrolled",
            &plan.id,
            &serde_json::json!({
                "count": outcome.enrolled.len(),
                "credit_cents": outcome.enrolled.iter().map(|(_, d)| d.data.credit_cents).sum::<i64>(),
                "usernames": usernames,
            }),
        )?;
    }
    outcome.enrolled.sort_by_key(|(line, _)| *line);
    outcome.errors.sort_by_key(|e| e.line);
    Ok(outcome)
}

/// The enrolment `id` as HR of `company` sees it (another company's is "not found").
pub fn load_for_company(id: &str, company: &str, lang: Lang) -> Result<Doc<Enrolment>> {
    match ENROLMENTS.get(id)? {
        Some(doc) if doc.data.company == company => Ok(doc),
        _ => Err(not_found(id, lang)),
    }
}

/// The caller's enrolment `id`: active and theirs, or "not found".
pub fn load_own(id: &str, user: &User, lang: Lang) -> Result<Doc<Enrolment>> {
    match ENROLMENTS.get(id)? {
        Some(doc) if doc.data.user_id.as_deref() == Some(user.id.as_str()) => Ok(doc),
        _ => Err(not_found(id, lang)),
    }
}

fn not_found(id: &str, lang: Lang) -> Error {
    Error::not_found(match lang {
        Lang::It => format!("non esiste un'iscrizione «{id}»"),
        Lang::En => format!("there is no enrolment `{id}`"),
    })
}

/// The enrolments of one person.
#[derive(Debug, Clone, Default)]
pub struct Mine {
    /// Linked to their account.
    pub active: Vec<Doc<Enrolment>>,
    /// Waiting for the activation code of their username.
    pub pending: Vec<Doc<Enrolment>>,
}

/// The caller's enrolments: active ones linked to their account, pending ones waiting for
/// their username's activation code.
pub fn of_user(user: &User) -> Result<Mine> {
    let active = ENROLMENTS
        .query()
        .filter("user_id", Cmp::Eq, user.id.as_str())
        .limit(100)
        .fetch()?;
    let pending = ENROLMENTS
        .query()
        .filter("username", Cmp::Eq, user.username.as_str())
        .filter("status", Cmp::Eq, "pending")
        .limit(100)
        .fetch()?;
    Ok(Mine { active, pending })
}

/// The caller activates enrolment `id` with the code HR gave them.
pub fn activate(id: &str, user: &User, text: &str, lang: Lang) -> Result<Doc<Enrolment>> {
    let mut doc = match ENROLMENTS.get(id)? {
        // Another username's enrolment does not exist, as far as this caller knows.
        Some(doc) if doc.data.username == user.username => doc,
        _ => return Err(not_found(id, lang)),
    };
    if doc.data.status == Status::Active {
        if doc.data.user_id.as_deref() == Some(user.id.as_str()) {
            return Ok(doc);
        }
        return Err(not_found(id, lang));
    }
    if doc.data.failed_attempts >= MAX_FAILED_ATTEMPTS {
        return Err(Error::forbidden(lang.pick(
            "troppi codici sbagliati: chiedi all'ufficio del personale un nuovo codice di attivazione",
            "too many wrong codes: ask your HR office for a new activation code",
        )));
    }
    let typed = code::normalize(text, CODE_LEN).map_err(|err| err.into_error(text, lang))?;
    if doc.data.activation_code.as_deref() != Some(typed.as_str()) {
        doc.data.failed_attempts += 1;
        record_failure(&doc)?;
        let left = MAX_FAILED_ATTEMPTS.saturating_sub(doc.data.failed_attempts);
        return Err(Error::invalid(match lang {
            Lang::It => {
                format!("il codice di attivazione non è quello giusto (tentativi rimasti: {left})")
            }
            Lang::En => format!("that is not the right activation code ({left} attempts left)"),
        }));
    }
    doc.data.status = Status::Active;
    doc.data.user_id = Some(user.id.clone());
    doc.data.activation_code = None;
    doc.data.failed_attempts = 0;
    doc.data.activated_at = Some(clock::now_ms());
    doc.version = ENROLMENTS
        .put_if_version(&doc.id, &doc.data, doc.version)
        .map_err(|err| match err {
            Error::Conflict(_) => Error::conflict(lang.pick(
                "l'iscrizione è appena cambiata: riprova",
                "the enrolment just changed: try again",
            )),
            other => other,
        })?;
    audit::record(
        "enrolment.activated",
        &doc.id,
        &serde_json::json!({ "user_id": user.id, "username": user.username }),
    )?;
    Ok(doc)
}

/// Writes a failed attempt only if nobody changed the enrolment meanwhile: losing the count
/// of one attempt that raced another is harmless, overwriting an activation is not.
fn record_failure(doc: &Doc<Enrolment>) -> Result<()> {
    match ENROLMENTS.put_if_version(&doc.id, &doc.data, doc.version) {
        Ok(_) | Err(Error::Conflict(_)) => Ok(()),
        Err(err) => Err(err),
    }
}

/// HR issues a new activation code for a pending enrolment (lost, or locked by wrong tries).
pub fn new_code(doc: &Doc<Enrolment>, actor: &User, lang: Lang) -> Result<Doc<Enrolment>> {
    if doc.data.status != Status::Pending {
        return Err(Error::invalid(lang.pick(
            "il dipendente ha già attivato la sua iscrizione",
            "the employee has already activated their enrolment",
        )));
    }
    let mut doc = doc.clone();
    doc.data.activation_code = Some(code::draw(CODE_LEN));
    doc.data.failed_attempts = 0;
    doc.version = ENROLMENTS.put_if_version(&doc.id, &doc.data, doc.version)?;
    audit::record(
        "enrolment.code_reissued",
        &doc.id,
        &serde_json::json!({ "by": actor.username }),
    )?;
    Ok(doc)
}

/// An enrolment as pages and the API show it, with its live balances.
#[derive(Debug, Clone, Serialize)]
pub struct EnrolmentView {
    pub id: String,
    pub plan: String,
    pub username: String,
    pub full_name: String,
    pub employee_code: Option<String>,
    pub level: Option<String>,
    pub dependants: u32,
    pub credit_cents: i64,
    pub credit_text: String,
    pub reimbursable_cents: i64,
    pub status: Status,
    pub status_label: &'static str,
    /// Shown to HR while pending, in groups for reading out.
    pub activation_code: Option<String>,
    pub locked: bool,
    pub balance_cents: i64,
    pub balance_text: String,
    /// What may still be claimed as reimbursements: the allowance left, but never more than
    /// the wallet holds.
    pub reimbursable_left_cents: i64,
    pub reimbursable_left_text: String,
}

impl EnrolmentView {
    pub fn new(doc: &Doc<Enrolment>, lang: Lang) -> Result<Self> {
        let e = &doc.data;
        let balance_cents = accounts::balance(&accounts::wallet(&doc.id))?;
        let allowance = if e.reimbursable_cents > 0 {
            accounts::balance(&accounts::allowance(&doc.id))?
        } else {
            0
        };
        let reimbursable_left_cents = allowance.min(balance_cents);
        Ok(Self {
            id: doc.id.clone(),
            plan: e.plan.clone(),
            username: e.username.clone(),
            full_name: e.full_name.clone(),
            employee_code: e.employee_code.clone(),
            level: e.level.clone(),
            dependants: e.dependants,
            credit_cents: e.credit_cents,
            credit_text: format_cents(e.credit_cents, lang),
            reimbursable_cents: e.reimbursable_cents,
            status: e.status,
            status_label: match e.status {
                Status::Pending => lang.pick("In attesa di attivazione", "Waiting for activation"),
                Status::Active => lang.pick("Attiva", "Active"),
            },
            activation_code: e.activation_code.as_deref().map(shown_code),
            locked: e.failed_attempts >= MAX_FAILED_ATTEMPTS,
            balance_cents,
            balance_text: format_cents(balance_cents, lang),
            reimbursable_left_cents,
            reimbursable_left_text: format_cents(reimbursable_left_cents, lang),
        })
    }
}

/// How many employees a plan has, pending and active.
pub fn count(plan: &str) -> Result<(u64, u64)> {
    let pending = ENROLMENTS
        .query()
        .filter("plan", Cmp::Eq, plan)
        .filter("status", Cmp::Eq, "pending")
        .count()?;
    let active = ENROLMENTS
        .query()
        .filter("plan", Cmp::Eq, plan)
        .filter("status", Cmp::Eq, "active")
        .count()?;
    Ok((pending, active))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule() -> CreditRule {
        CreditRule {
            flat_cents: 0,
            levels: credit::parse_levels(&["Q1 = 1.000", "2 = 800"], Lang::It).unwrap_or_default(),
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
