//! Who may see a case file, and the audit of every read.
//!
//! Only the assigned care manager, the supervisors of the case's care team and the person
//! themselves see a case; anyone else is told it does not exist (`404`, never `403`, which
//! would confirm that somebody is followed by the social services). Every read is recorded in
//! the instance's audit log with the reader (the kernel adds the actor) and their relation.

use serde::{Deserialize, Serialize};
use trama_sdk::identity::{self, User};
use trama_sdk::store::{Collection, Doc};
use trama_sdk::{Error, Result, audit, t};

use crate::case::{CASES, Case};

/// A member of staff and the care teams they belong to (id: the account id).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Staff {
    pub username: String,
    pub name: String,
    pub teams: Vec<String>,
}

pub const STAFF: Collection<Staff> = Collection::new("staff");

/// The care teams of an account (none when not recorded).
pub fn teams_of(user: &str) -> Result<Vec<String>> {
    Ok(STAFF
        .get(user)?
        .map(|doc| doc.data.teams)
        .unwrap_or_default())
}

/// Why a reader may see a case: the word recorded with every read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Relation {
    Assigned,
    Supervisor,
    Person,
}

impl Relation {
    pub fn key(self) -> &'static str {
        match self {
            Self::Assigned => "assigned",
            Self::Supervisor => "supervisor",
            Self::Person => "self",
        }
    }

    /// Staff work on the case; the person reads a summary of it.
    pub fn is_staff(self) -> bool {
        !matches!(self, Self::Person)
    }
}

/// The reader's relation to the case, if any.
pub fn relation(case: &Case, user: &User) -> Result<Option<Relation>> {
    if user.has_role("care_manager") && case.care_manager == user.id {
        return Ok(Some(Relation::Assigned));
    }
    if user.has_role("supervisor") && teams_of(&user.id)?.contains(&case.team) {
        return Ok(Some(Relation::Supervisor));
    }
    let own_account = case.account.as_deref() == Some(user.id.as_str());
    let own_code = identity::fiscal_number().is_some_and(|code| code == case.tax_code);
    if own_account || own_code {
        return Ok(Some(Relation::Person));
    }
    Ok(None)
}

/// The one refusal for a case the reader may not see, or that does not exist.
pub fn no_case() -> Error {
    Error::not_found(t!("casework.errors.no_case"))
}

/// The case and the reader's relation, or `404`; no audit (see [`read`]).
pub fn load(id: &str, user: &User) -> Result<(Doc<Case>, Relation)> {
    let doc = CASES.get(id)?.ok_or_else(no_case)?;
    match relation(&doc.data, user)? {
        Some(relation) => Ok((doc, relation)),
        None => Err(no_case()),
    }
}

/// [`load`] for showing the file, recorded in the audit log as `case.read.<relation>` with who
/// read it and why (`purpose`: the page or the export).
pub fn read(id: &str, user: &User, purpose: &str) -> Result<(Doc<Case>, Relation)> {
    let (doc, relation) = load(id, user)?;
    audit::record(
        &format!("case.read.{}", relation.key()),
        id,
        &serde_json::json!({ "reader": user.id, "relation": relation.key(), "purpose": purpose }),
    )?;
    Ok((doc, relation))
}

/// [`load`] for changing the case: staff only, anyone else `404`.
pub fn for_staff(id: &str, user: &User) -> Result<(Doc<Case>, Relation)> {
    let (doc, relation) = load(id, user)?;
    if relation.is_staff() {
        Ok((doc, relation))
    } else {
        Err(no_case())
    }
}
