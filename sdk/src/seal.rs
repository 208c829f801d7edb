//! Text kept encrypted at rest (host API 1.9, capability `seal`): a care manager's sensitive
//! notes, what a person confided at the desk. The kernel encrypts with the instance's own keys,
//! held outside the database, and binds what it seals to this plugin and to `context` — what
//! the text is, as the plugin names it (`case/01J…/note/3`) — so a sealed note copied into
//! another case does not open. Keep the sealed text in the document; open it only for someone
//! allowed to read it, and audit that read.
//!
//! ```no_run
//! # fn note() -> trama_sdk::Result<()> {
//! let sealed = trama_sdk::seal::seal_text("case/7/note/1", "Riferisce difficoltà con l'affitto")?;
//! let note = trama_sdk::seal::open_text("case/7/note/1", &sealed)?;
//! # Ok(()) }
//! ```

use crate::host::seal as wit;
use crate::{Error, Result};

/// `text` sealed under `context`: printable, to keep in a document.
pub fn seal_text(context: &str, text: &str) -> Result<String> {
    wit::seal(context, text.as_bytes()).map_err(|err| Error::internal(format!("sealing: {err}")))
}

/// What [`seal_text`] sealed under `context`. An error when it was sealed for something else or
/// altered since: a note that does not open is never shown as if it were empty.
pub fn open_text(context: &str, sealed: &str) -> Result<String> {
    let bytes = wit::open(context, sealed)
        .map_err(|err| Error::internal(format!("opening a sealed text: {err}")))?;
    String::from_utf8(bytes).map_err(|_| Error::internal("a sealed text is not UTF-8".to_owned()))
}
