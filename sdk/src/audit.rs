//! The instance's append-only, hash-chained audit log: who changed what, and when.

use serde::Serialize;

use crate::host::audit as wit;
use crate::{Error, Result};

/// Records that the caller did `action` (e.g. `greeting.created`) on `subject` (usually a
/// document id), with `detail` serialized as a JSON object. The kernel adds the actor, the
/// plugin and the time; if it cannot write the entry the whole call fails, because an
/// unaudited change is worse than a refused one.
pub fn record<T: Serialize + ?Sized>(action: &str, subject: &str, detail: &T) -> Result<()> {
    let detail = serde_json::to_string(detail).map_err(|err| {
        Error::internal(format!(
            "could not write the audit detail of `{action}`: {err}"
        ))
    })?;
    wit::append(action, subject, &detail);
    Ok(())
}
