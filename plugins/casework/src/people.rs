//! Which cases a person key names. Other plugins' events name a person by
//! [`trama_contracts::person::key`] of their tax code, never the code (see that module for
//! why); casework keeps the key of each case's tax code beside the case (`keys`, id = the case
//! id, indexed by key) so an event finds its cases with one indexed query.
//!
//! The keys are brought up to date before each look-up from the cases opened since the newest
//! key ([`sync`]): one indexed query, and a case opened by any path (the desk, online intake)
//! is covered without that path knowing about keys.

use serde::{Deserialize, Serialize};
use trama_sdk::Result;
use trama_sdk::store::{Cmp, Collection};

use crate::case::CASES;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Key {
    pub person: String,
    /// When the case was opened: where the next [`sync`] starts.
    pub opened_at: i64,
}

pub const KEYS: Collection<Key> = Collection::new("keys");

/// The key of a tax code.
pub fn key(tax_code: &str) -> String {
    trama_contracts::person::key(tax_code)
}

/// Writes the keys of the cases opened since the newest key (those opened in the same
/// millisecond again, harmlessly).
pub fn sync() -> Result<()> {
    let since = KEYS
        .query()
        .order_by_desc("opened_at")
        .limit(1)
        .fetch()?
        .first()
        .map_or(i64::MIN, |k| k.data.opened_at);
    for case in CASES
        .query()
        .filter("opened_at", Cmp::Ge, since)
        .fetch_all()?
    {
        if KEYS.get(&case.id)?.is_none() {
            let person = key(&case.data.tax_code);
            KEYS.put(
                &case.id,
                &Key {
                    person,
                    opened_at: case.data.opened_at,
                },
            )?;
        }
    }
    Ok(())
}

/// The ids of the cases of the person with `person` key.
pub fn cases_of(person: &str) -> Result<Vec<String>> {
    sync()?;
    Ok(KEYS
        .query()
        .filter("person", Cmp::Eq, person)
        .fetch_all()?
        .into_iter()
        .map(|k| k.id)
        .collect())
}
