//! The effective manifest: `instance.toml` with the approved changes and the environment
//! merged in, written back as TOML with the origin of every value (`trama manifest show`).

use std::path::Path;

use serde_json::Value;
use toml_edit::{DocumentMut, Item, Table};

use crate::diagnostic::Diagnostics;
use crate::load::layered;
use crate::locate::{KeyPath, Locator};
use crate::overlay::Overlay;
use crate::toml_file::root;

/// The merged manifest, ready to print.
#[derive(Debug, Clone)]
pub struct Effective {
    document: DocumentMut,
}

impl Effective {
    /// TOML with a comment after each value naming where it came from.
    pub fn annotated(&self) -> String {
        self.document.to_string()
    }

    /// Plain TOML, to save as a new `instance.toml` (passwords in database URLs are hidden).
    pub fn plain(&self) -> String {
        let mut document = self.document.clone();
        strip(document.as_table_mut());
        document.to_string()
    }
}

/// Merges the layers of the instance in `dir` and annotates each value with its origin: a line
/// of the file, an environment variable or an approved proposal.
pub fn effective<I, K, V>(
    dir: impl AsRef<Path>,
    env: I,
    overlay: &Overlay,
) -> Result<Effective, Diagnostics>
where
    I: IntoIterator<Item = (K, V)>,
    K: AsRef<str>,
    V: AsRef<str>,
{
    let (figment, locator, diagnostics) = layered(dir.as_ref(), env, overlay)?;
    if !diagnostics.is_empty() {
        return Err(diagnostics);
    }
    let dict = root(&figment, &locator).map_err(Diagnostics)?;
    let tree = serde_json::to_value(&dict).unwrap_or(Value::Null);
    let mut document = DocumentMut::new();
    if let Value::Object(sections) = tree {
        let mut path = Vec::new();
        fill(document.as_table_mut(), &sections, &mut path, &locator);
    }
    Ok(Effective { document })
}

fn fill(
    table: &mut Table,
    entries: &serde_json::Map<String, Value>,
    path: &mut KeyPath,
    locator: &Locator,
) {
    // Values first, then sub-tables, as TOML requires.
    for (key, value) in entries.iter().filter(|(_, v)| !v.is_object()) {
        path.push(key.clone());
        let shown = if path == &["database", "url"] {
            Value::String(crate::database::redact(value.as_str().unwrap_or_default()))
        } else {
            value.clone()
        };
        if let Some(mut item) = to_toml(&shown) {
            if let Some(origin) = locator.origin(path) {
                item.decor_mut().set_suffix(format!("  # {origin}"));
            }
            table.insert(key, Item::Value(item));
        }
        path.pop();
    }
    for (key, value) in entries {
        if let Value::Object(inner) = value {
            path.push(key.clone());
            let mut sub = Table::new();
            sub.set_implicit(inner.values().all(Value::is_object));
            fill(&mut sub, inner, path, locator);
            table.insert(key, Item::Table(sub));
            path.pop();
        }
    }
}

fn to_toml(value: &Value) -> Option<toml_edit::Value> {
    Some(match value {
        Value::Null => return None,
        Value::Bool(b) => (*b).into(),
        Value::Number(n) => match n.as_i64() {
            Some(i) => i.into(),
            None => n.as_f64()?.into(),
        },
        Value::String(s) => s.as_str().into(),
        Value::Array(items) => {
            let mut array = toml_edit::Array::new();
            for item in items {
                array.push_formatted(to_toml(item)?);
            }
            array.into()
        }
        Value::Object(map) => {
            let mut inline = toml_edit::InlineTable::new();
            for (k, v) in map {
                inline.insert(k, to_toml(v)?);
            }
            inline.into()
        }
    })
}

fn strip(table: &mut Table) {
    for (_, item) in table.iter_mut() {
        match item {
            Item::Value(value) => {
                value.decor_mut().set_suffix("");
            }
            Item::Table(inner) => strip(inner),
            _ => {}
        }
    }
}
