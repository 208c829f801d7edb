//! Catalogues for a plugin's own `cargo test`, outside WebAssembly: read from disk and merged
//! as the kernel merges them for an instance on the default theme — the default theme's
//! `locales/`, then the crate's own — each language built on Italian, key by key.
//!
//! The crate is the one cargo is testing (`CARGO_MANIFEST_DIR`); the default theme is found
//! by walking up from it to a `themes/default/locales` folder, as in this repository.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};

use serde_json::{Map, Value};

/// The message at `key` in `locale` (empty: Italian).
pub(crate) fn text(locale: &str, key: &str) -> Option<String> {
    static LOADED: OnceLock<Mutex<HashMap<String, Value>>> = OnceLock::new();
    let locale = if locale.is_empty() { "it" } else { locale };
    let mut loaded = LOADED
        .get_or_init(Mutex::default)
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let catalogue = loaded
        .entry(locale.to_owned())
        .or_insert_with(|| load(locale));
    key.split('.')
        .try_fold(&*catalogue, |node, part| node.get(part))
        .and_then(Value::as_str)
        .map(str::to_owned)
}

fn load(locale: &str) -> Value {
    let crate_dir = std::env::var_os("CARGO_MANIFEST_DIR").map(PathBuf::from);
    let mut dirs = Vec::new();
    if let Some(theme) = crate_dir.as_deref().and_then(default_theme) {
        dirs.push(theme);
    }
    if let Some(dir) = &crate_dir {
        dirs.push(dir.join("locales"));
    }
    let mut merged = Map::new();
    // Italian, then the language of a regional variant (`de` for `de-AT`), then the locale,
    // as the kernel builds them; a code that could name a path is read as Italian.
    let mut codes = vec!["it"];
    if let Some((language, _)) = locale.split_once('-') {
        codes.push(language);
    }
    if locale != "it" {
        codes.push(locale);
    }
    if codes
        .iter()
        .any(|code| !code.bytes().all(|b| b.is_ascii_alphabetic() || b == b'-'))
    {
        codes.truncate(1);
    }
    for code in codes {
        for dir in &dirs {
            merge(&dir.join(format!("{code}.toml")), &mut merged);
            // A catalogue split by area: `it/pages.toml`, `it/errors.toml`, by name.
            if let Ok(entries) = std::fs::read_dir(dir.join(code)) {
                let mut files: Vec<PathBuf> = entries.flatten().map(|e| e.path()).collect();
                files.sort();
                for file in files
                    .iter()
                    .filter(|f| f.extension().is_some_and(|e| e == "toml"))
                {
                    merge(file, &mut merged);
                }
            }
        }
    }
    Value::Object(merged)
}

fn default_theme(start: &Path) -> Option<PathBuf> {
    start
        .ancestors()
        .map(|dir| dir.join("themes").join("default").join("locales"))
        .find(|dir| dir.is_dir())
}

/// Merges the catalogue at `path` into `into`; a file that is missing or broken is skipped
/// (the repository's catalogue test reports broken ones).
fn merge(path: &Path, into: &mut Map<String, Value>) {
    let Ok(text) = std::fs::read_to_string(path) else {
        return;
    };
    let Ok(table) = toml::from_str::<toml::Table>(&text) else {
        return;
    };
    if let Ok(Value::Object(map)) = serde_json::to_value(table) {
        deep_merge(into, map);
    }
}

fn deep_merge(into: &mut Map<String, Value>, from: Map<String, Value>) {
    for (key, value) in from {
        match (into.get_mut(&key), value) {
            (Some(Value::Object(existing)), Value::Object(incoming)) => {
                deep_merge(existing, incoming);
            }
            (_, value) => {
                into.insert(key, value);
            }
        }
    }
}
