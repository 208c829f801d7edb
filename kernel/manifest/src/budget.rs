//! The `[budget]` table: who puts money into the territory's fund, so that the coordination
//! table can allocate it to measures (a voucher campaign, a service) by vote.
//!
//! ```toml
//! [budget.funders.comune]
//! name = "Comune di Borgo Marino"
//! kind = "municipality"
//!
//! [budget.funders.fondazione-mare]
//! name = "Fondazione Mare"
//! kind = "foundation"
//! ```
//!
//! The ids end up in ledger account names and in the budget's CSV, so they are kept to
//! lower-case letters, digits and dashes, and never renamed once money moved under them.

use std::collections::BTreeMap;

use figment::value::Value;
use serde::{Deserialize, Serialize};

use crate::diagnostic::Diagnostics;
use crate::extract::section;
use crate::locate::Locator;
use crate::names::is_slug;

/// The longest funder id: it is part of ledger account names.
const MAX_ID: usize = 40;

/// What kind of body a funder is: the budget page groups and labels them by it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FunderKind {
    Municipality,
    Foundation,
    Company,
}

impl FunderKind {
    pub const ALL: [FunderKind; 3] = [Self::Municipality, Self::Foundation, Self::Company];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Municipality => "municipality",
            Self::Foundation => "foundation",
            Self::Company => "company",
        }
    }

    fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|kind| kind.as_str() == text)
    }
}

/// One `[budget.funders.ID]` table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Funder {
    pub id: String,
    /// As people know it: "Comune di Borgo Marino".
    pub name: String,
    pub kind: FunderKind,
}

/// The `[budget]` table, checked; empty when the manifest has none (the territory allocates
/// nothing through the table).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BudgetSection {
    /// By id.
    pub funders: BTreeMap<String, Funder>,
}

impl BudgetSection {
    pub fn funder(&self, id: &str) -> Option<&Funder> {
        self.funders.get(id)
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawBudget {
    #[serde(default)]
    funders: BTreeMap<String, Value>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFunder {
    name: String,
    kind: String,
}

/// Reads and checks `[budget]`; `None` (with its faults) when it is wrong.
pub(crate) fn read(
    value: &Value,
    at: &Locator,
    diagnostics: &mut Diagnostics,
) -> Option<BudgetSection> {
    let raw = section::<RawBudget>(value, &["budget"], at)
        .map_err(|faults| diagnostics.extend(faults))
        .ok()?;
    let before = diagnostics.len();
    let mut funders = BTreeMap::new();
    for (id, table) in &raw.funders {
        if let Some(funder) = read_funder(id, table, at, diagnostics) {
            funders.insert(id.clone(), funder);
        }
    }
    (diagnostics.len() == before).then_some(BudgetSection { funders })
}

fn read_funder(
    id: &str,
    table: &Value,
    at: &Locator,
    diagnostics: &mut Diagnostics,
) -> Option<Funder> {
    let path = ["budget", "funders", id];
    if !is_slug(id) || id.len() > MAX_ID {
        diagnostics.push(at.diagnostic(
            &path,
            format!("{id:?} is not a valid funder id: use up to {MAX_ID} lower-case letters, digits and dashes, such as \"comune\""),
        ));
        return None;
    }
    let raw = section::<RawFunder>(table, &path, at)
        .map_err(|faults| diagnostics.extend(faults))
        .ok()?;
    let before = diagnostics.len();
    let name = raw.name.trim().to_owned();
    if name.is_empty() || name.chars().count() > 120 || name.chars().any(char::is_control) {
        diagnostics.push(at.diagnostic(
            &["budget", "funders", id, "name"],
            "the funder's name must be one line of 1 to 120 characters, such as \"Comune di Borgo Marino\"",
        ));
    }
    let kind = FunderKind::parse(raw.kind.trim());
    if kind.is_none() {
        diagnostics.push(at.diagnostic(
            &["budget", "funders", id, "kind"],
            format!(
                "{:?} is not a kind of funder: write \"municipality\", \"foundation\" or \"company\"",
                raw.kind
            ),
        ));
    }
    let kind = kind?;
    (diagnostics.len() == before).then(|| Funder {
        id: id.to_owned(),
        name,
        kind,
    })
}
