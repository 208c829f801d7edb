//! Changes the coordination table approved, layered over `instance.toml`.
//!
//! Governance never edits the file on the server: each approved proposal adds values at dotted
//! keys (`plugins.tutoring.enabled = true`), kept by the kernel in the instance's database and
//! merged over the file every time the manifest is loaded. The file stays what the cooperative
//! wrote, and every value can say which proposal set it.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use crate::locate::{KeyPath, display_key};

/// The keys an overlay may set: the plugins and the theme. The database, the host names and the
/// limits belong to whoever runs the server.
pub const GOVERNED_KEYS: &str = "plugins.* and instance.theme";

/// One value set by one approved change.
#[derive(Debug, Clone, PartialEq)]
pub struct OverlayChange {
    /// The dotted key split in segments, e.g. `["plugins", "hello", "settings", "greeting"]`.
    pub path: Vec<String>,
    pub value: Value,
    /// Where the value comes from, for messages and `trama manifest show`, e.g.
    /// `proposal #3 (approved 2026-11-23)`.
    pub source: String,
}

/// Approved changes in the order they were applied; a later change of the same key wins.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Overlay {
    changes: Vec<OverlayChange>,
}

/// A change outside [`GOVERNED_KEYS`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{key}` cannot be changed by a proposal: only {GOVERNED_KEYS} can")]
pub struct UngovernedKey {
    pub key: String,
}

impl Overlay {
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a change after the others.
    pub fn push(&mut self, change: OverlayChange) -> Result<(), UngovernedKey> {
        check_governed(&change.path)?;
        self.changes.push(change);
        Ok(())
    }

    pub fn changes(&self) -> &[OverlayChange] {
        &self.changes
    }

    pub fn is_empty(&self) -> bool {
        self.changes.is_empty()
    }

    /// The changes as one nested table, later changes over earlier ones.
    pub(crate) fn tree(&self) -> Value {
        let mut root = Map::new();
        for change in &self.changes {
            insert(&mut root, &change.path, change.value.clone());
        }
        Value::Object(root)
    }

    /// The last value set at each key, for showing what the overlay holds.
    pub fn effective(&self) -> BTreeMap<String, (&Value, &str)> {
        let mut out = BTreeMap::new();
        for change in &self.changes {
            out.insert(
                display_key(&change.path),
                (&change.value, change.source.as_str()),
            );
        }
        out
    }
}

/// Whether a proposal may set `path`.
pub fn check_governed(path: &[String]) -> Result<(), UngovernedKey> {
    let governed = match path {
        [section, plugin, ..] if section == "plugins" && !plugin.is_empty() => true,
        [section, key] if section == "instance" && key == "theme" => true,
        _ => false,
    };
    if governed {
        Ok(())
    } else {
        Err(UngovernedKey {
            key: display_key(path),
        })
    }
}

fn insert(table: &mut Map<String, Value>, path: &KeyPath, value: Value) {
    let Some((last, parents)) = path.split_last() else {
        return;
    };
    let mut table = table;
    for segment in parents {
        let entry = table
            .entry(segment.clone())
            .or_insert_with(|| Value::Object(Map::new()));
        if !entry.is_object() {
            *entry = Value::Object(Map::new());
        }
        let Value::Object(inner) = entry else {
            return;
        };
        table = inner;
    }
    table.insert(last.clone(), value);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn change(path: &[&str], value: Value) -> OverlayChange {
        OverlayChange {
            path: path.iter().map(|s| (*s).to_owned()).collect(),
            value,
            source: "proposal #1".into(),
        }
    }

    #[test]
    fn later_changes_win_and_tables_merge() {
        let mut overlay = Overlay::new();
        overlay
            .push(change(&["plugins", "hello", "enabled"], Value::Bool(false)))
            .unwrap();
        overlay
            .push(change(
                &["plugins", "hello", "settings", "greeting"],
                Value::String("Ciao".into()),
            ))
            .unwrap();
        overlay
            .push(change(&["plugins", "hello", "enabled"], Value::Bool(true)))
            .unwrap();
        assert_eq!(
            overlay.tree(),
            serde_json::json!({"plugins": {"hello": {"enabled": true, "settings": {"greeting": "Ciao"}}}})
        );
    }

    #[test]
    fn only_plugins_and_the_theme_are_governed() {
        let mut overlay = Overlay::new();
        let err = overlay
            .push(change(&["database", "url"], Value::String("x".into())))
            .unwrap_err();
        assert_eq!(err.key, "database.url");
        assert!(
            overlay
                .push(change(&["instance", "theme"], Value::String("x".into())))
                .is_ok()
        );
        assert!(
            overlay
                .push(change(&["instance", "hosts"], Value::Bool(true)))
                .is_err()
        );
    }
}
