//! The JSON schemas the publishing plugins ship are the ones their payload types generate: a
//! changed type without its schema (or a schema edited by hand) fails here, naming the file.
//! `TRAMA_BLESS=1 cargo test -p trama-contracts` writes them anew.

use std::path::{Path, PathBuf};

/// The `plugins/` folder.
fn plugins_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default()
}

fn pretty(schema: &serde_json::Value) -> String {
    let mut text = serde_json::to_string_pretty(schema).unwrap_or_default();
    text.push('\n');
    text
}

#[test]
fn every_checked_in_schema_is_the_one_its_type_generates() {
    let bless = std::env::var_os("TRAMA_BLESS").is_some_and(|v| v == "1");
    let mut stale = Vec::new();
    for event in trama_contracts::schemas() {
        let dir = plugins_dir().join(event.plugin);
        let path = dir.join(event.file());
        let expected = pretty(&event.schema);
        let found = std::fs::read_to_string(&path).unwrap_or_default();
        if found == expected {
            continue;
        }
        if bless {
            std::fs::create_dir_all(path.parent().unwrap_or(&dir)).expect("create events/");
            std::fs::write(&path, &expected).expect("write the schema");
        } else {
            stale.push(path.display().to_string());
        }
    }
    assert!(
        stale.is_empty(),
        "these schemas differ from what the types in plugins/contracts generate; run \
         `TRAMA_BLESS=1 cargo test --manifest-path plugins/Cargo.toml -p trama-contracts` and \
         commit them: {stale:#?}"
    );
}

#[test]
fn every_schema_is_declared_in_its_plugin_toml() {
    for event in trama_contracts::schemas() {
        let toml = plugins_dir().join(event.plugin).join("plugin.toml");
        let text = std::fs::read_to_string(&toml).expect("read plugin.toml");
        let entry = format!("\"{}\" = \"{}\"", event.name, event.file());
        assert!(
            text.contains(&entry),
            "{} should declare `{entry}` under [events.schemas]",
            toml.display()
        );
    }
}
