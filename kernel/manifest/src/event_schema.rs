//! The JSON schemas of the events a plugin publishes (`[events.schemas]` in `plugin.toml`).
//!
//! An event's payload is a contract with every plugin that subscribes to it; the schema is
//! that contract in a form the kernel can check, so a publisher that breaks it is refused at
//! `publish` time, naming the field, instead of a subscriber failing later on a payload it
//! cannot read. Each event a plugin publishes must have one: a kernel that checked only some
//! events would promise subscribers nothing.
//!
//! Schema files live in the plugin's folder (a plugin ships as its folder) and are read and
//! compiled once, when the `plugin.toml` is loaded; a missing, unreadable or invalid file is a
//! fault of that load, located like every other one. Compiling uses `jsonschema` without its
//! network and file resolvers, so a schema can never make the kernel fetch anything: a `$ref`
//! must point inside the schema itself.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Component, Path, PathBuf};
use std::sync::Arc;

use serde_json::Value;

use crate::diagnostic::{Diagnostic, Diagnostics};
use crate::locate::Locator;

/// Largest schema file read, in bytes: schemas are small, and the limit keeps a mistaken path
/// (a component, a data file) from being read whole.
const MAX_SCHEMA_BYTES: u64 = 256 * 1024;

/// Where `[events.schemas]` says an event's schema is.
#[derive(Debug, Clone, PartialEq, serde::Deserialize)]
#[serde(untagged)]
pub enum SchemaSpec {
    /// A path inside the plugin's folder: `"shop.sold" = "events/shop.sold.json"`.
    File(String),
    /// The schema itself, written as a TOML table: small schemas, fixtures.
    Inline(Value),
}

/// What an inline schema is called in messages.
pub const INLINE: &str = "inline in plugin.toml";

/// The compiled schema of one published event.
#[derive(Clone)]
pub struct EventSchema {
    /// The file, relative to the plugin's folder, as `[events.schemas]` names it, or
    /// [`INLINE`].
    pub file: String,
    /// The schema as written.
    pub schema: Arc<Value>,
    validator: Arc<jsonschema::Validator>,
}

impl fmt::Debug for EventSchema {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EventSchema")
            .field("file", &self.file)
            .finish_non_exhaustive()
    }
}

impl PartialEq for EventSchema {
    /// Two schemas are the same when their files say the same thing.
    fn eq(&self, other: &Self) -> bool {
        self.file == other.file && self.schema == other.schema
    }
}

/// Why a payload does not match its event's schema.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("at {}: {message}", if pointer.is_empty() { "the top level" } else { pointer.as_str() })]
pub struct Mismatch {
    /// The JSON pointer of the field at fault (`/services/0/title`); for a missing field, the
    /// field it should be at; empty for the payload as a whole.
    pub pointer: String,
    /// What is wrong there.
    pub message: String,
}

impl EventSchema {
    /// Compiles `schema`, read from `file`.
    pub fn compile(file: &str, schema: Value) -> Result<Self, String> {
        let validator = jsonschema::validator_for(&schema).map_err(|err| {
            let at = err.instance_path.to_string();
            if at.is_empty() {
                err.to_string()
            } else {
                format!("at {at}: {err}")
            }
        })?;
        Ok(Self {
            file: file.to_owned(),
            schema: Arc::new(schema),
            validator: Arc::new(validator),
        })
    }

    /// Checks `payload`; the first fault found, with its field.
    pub fn check(&self, payload: &Value) -> Result<(), Mismatch> {
        let Some(err) = self.validator.iter_errors(payload).next() else {
            return Ok(());
        };
        let mut pointer = err.instance_path.to_string();
        let message = match &err.kind {
            jsonschema::error::ValidationErrorKind::Required { property } => {
                let name = property
                    .as_str()
                    .map_or_else(|| property.to_string(), str::to_owned);
                pointer.push('/');
                pointer.push_str(&name.replace('~', "~0").replace('/', "~1"));
                "is required but missing".to_owned()
            }
            _ => err.to_string(),
        };
        Err(Mismatch { pointer, message })
    }
}

/// The compiled schema of every event a plugin publishes, by event name.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct EventSchemas(BTreeMap<String, EventSchema>);

impl EventSchemas {
    /// The schema of event `name`, if the plugin declared one.
    pub fn get(&self, name: &str) -> Option<&EventSchema> {
        self.0.get(name)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Builds the set from schemas already compiled (tests, tools).
    pub fn from_compiled(schemas: impl IntoIterator<Item = (String, EventSchema)>) -> Self {
        Self(schemas.into_iter().collect())
    }

    /// Reads and compiles the files `declared` names (event → path relative to `dir`, the
    /// plugin's folder); every fault goes to `diagnostics`, at the line of its entry in the
    /// `plugin.toml` that `at` locates, or at the line of the schema file for a file that is
    /// not JSON.
    pub(crate) fn load(
        dir: &Path,
        declared: &BTreeMap<String, SchemaSpec>,
        at: &Locator,
        diagnostics: &mut Diagnostics,
    ) -> Self {
        let mut schemas = BTreeMap::new();
        for (event, spec) in declared {
            let key = ["events", "schemas", event.as_str()];
            let (file, read) = match spec {
                SchemaSpec::File(file) => (file.as_str(), read(dir, file)),
                SchemaSpec::Inline(schema) => (INLINE, Ok(schema.clone())),
            };
            match read {
                Ok(schema) => match EventSchema::compile(file, schema) {
                    Ok(compiled) => {
                        schemas.insert(event.clone(), compiled);
                    }
                    Err(err) => diagnostics.push(at.diagnostic(
                        &key,
                        format!("{file} is not a valid JSON schema for event `{event}`: {err}"),
                    )),
                },
                Err(Fault::Entry(message)) => {
                    diagnostics.push(at.diagnostic(&key, format!("event `{event}`: {message}")));
                }
                Err(Fault::Json {
                    path,
                    line,
                    message,
                }) => diagnostics.push(Diagnostic {
                    file: path,
                    line: Some(line),
                    variable: None,
                    key: String::new(),
                    message: format!(
                        "the schema of event `{event}` (declared at {}) is not JSON: {message}",
                        at.origin(&key.map(str::to_owned))
                            .unwrap_or_else(|| "plugin.toml".into())
                    ),
                }),
            }
        }
        Self(schemas)
    }
}

/// Why a schema file could not be read.
enum Fault {
    /// The entry in `plugin.toml` is at fault (a path outside the folder, a missing file).
    Entry(String),
    /// The file is there but is not JSON.
    Json {
        path: PathBuf,
        line: usize,
        message: String,
    },
}

/// Reads the schema file `file` of the plugin folder `dir`.
fn read(dir: &Path, file: &str) -> Result<Value, Fault> {
    let relative = Path::new(file);
    let inside = !file.is_empty()
        && relative
            .components()
            .all(|part| matches!(part, Component::Normal(_) | Component::CurDir));
    if !inside {
        return Err(Fault::Entry(format!(
            "{file:?} must be a path inside the plugin's folder, such as \"events/NAME.json\""
        )));
    }
    let path = dir.join(relative);
    let too_big = |len: u64| {
        Fault::Entry(format!(
            "{} has {len} bytes; a schema may have at most {MAX_SCHEMA_BYTES}",
            path.display()
        ))
    };
    match std::fs::metadata(&path) {
        Ok(meta) if meta.len() > MAX_SCHEMA_BYTES => return Err(too_big(meta.len())),
        Ok(meta) if !meta.is_file() => {
            return Err(Fault::Entry(format!("{} is not a file", path.display())));
        }
        Ok(_) => {}
        Err(err) => {
            return Err(Fault::Entry(format!(
                "its schema {} cannot be read: {err}",
                path.display()
            )));
        }
    }
    let text = std::fs::read_to_string(&path).map_err(|err| {
        Fault::Entry(format!(
            "its schema {} cannot be read: {err}",
            path.display()
        ))
    })?;
    serde_json::from_str(&text).map_err(|err| Fault::Json {
        line: err.line().max(1),
        message: err.to_string(),
        path,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn schema() -> EventSchema {
        EventSchema::compile(
            "events/x.json",
            json!({
                "type": "object",
                "required": ["id", "services"],
                "properties": {
                    "id": {"type": "string"},
                    "services": {"type": "array", "items": {
                        "type": "object",
                        "required": ["title"],
                        "properties": {"title": {"type": "string"}}
                    }}
                }
            }),
        )
        .expect("compiles")
    }

    #[test]
    fn a_matching_payload_passes() {
        assert_eq!(
            schema().check(&json!({"id": "a", "services": [{"title": "t"}], "extra": 1})),
            Ok(())
        );
    }

    #[test]
    fn a_mismatch_names_the_field_by_its_json_pointer() {
        let wrong = schema()
            .check(&json!({"id": 5, "services": []}))
            .unwrap_err();
        assert_eq!(wrong.pointer, "/id");
        assert!(wrong.message.contains("string"), "{wrong}");
        let missing = schema()
            .check(&json!({"id": "a", "services": [{}]}))
            .unwrap_err();
        assert_eq!(missing.pointer, "/services/0/title");
        assert_eq!(
            missing.to_string(),
            "at /services/0/title: is required but missing"
        );
    }

    #[test]
    fn a_schema_that_is_not_one_does_not_compile() {
        assert!(EventSchema::compile("x.json", json!({"type": "integer-ish"})).is_err());
        // A reference the kernel would have to fetch is refused, not fetched.
        assert!(
            EventSchema::compile("x.json", json!({"$ref": "https://example.invalid/s.json"}))
                .is_err()
        );
    }
}
