//! The end of every registration and edit of a stored record (a tutor, a space, a family, a
//! child, a calendar secret): stored, or written back only if nobody changed it since it was
//! read, then noted in the audit log.

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;
use trama_sdk::store::{Collection, Doc};
use trama_sdk::{Result, audit};

/// Writes `doc` back to `collection` at the version it was read at (a `409` if someone else
/// wrote it meanwhile, so no edit silently undoes another) and records `action` on it with
/// `detail`; the record as now stored.
pub fn save<T: Serialize + DeserializeOwned>(
    collection: &Collection<T>,
    mut doc: Doc<T>,
    action: &str,
    detail: &Value,
) -> Result<Doc<T>> {
    doc.version = collection.put_if_version(&doc.id, &doc.data, doc.version)?;
    audit::record(action, &doc.id, detail)?;
    Ok(doc)
}

/// Stores `data` as a new record of `collection` under a fresh id and records `action` on it
/// with `detail`; the record as stored.
pub fn insert<T: Serialize + DeserializeOwned>(
    collection: &Collection<T>,
    data: T,
    action: &str,
    detail: &Value,
) -> Result<Doc<T>> {
    let doc = collection.insert(data)?;
    audit::record(action, &doc.id, detail)?;
    Ok(doc)
}
