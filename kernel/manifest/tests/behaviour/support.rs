//! A throwaway territory on disk: `instances/demo/instance.toml`, `plugins/*/plugin.toml` and
//! `themes/default/`, laid out like the repository so the manifest defaults apply.

use std::path::{Path, PathBuf};

use trama_manifest::{Checked, Diagnostic, Diagnostics, Manifest};

pub struct Territory {
    root: tempfile::TempDir,
}

/// The `[instance]` table most tests start from; what follows it begins on line 6.
pub const INSTANCE: &str = r#"[instance]
id = "demo"
name = "Demo"
hosts = ["localhost"]

"#;

/// The settings schema of the `hello` packages the tests install: a string with a length cap,
/// a bounded integer, a choice and a required string.
pub const SETTINGS: &str = r#"[settings.greeting]
type = "string"
default = "Ciao"
max_length = 20

[settings.max_message_length]
type = "integer"
default = 280
min = 1
max = 2000

[settings.mood]
type = "choice"
choices = ["allegro", "serio"]

[settings.region]
type = "string"
required = true
"#;

/// A valid `plugin.toml` for `name` at `version`, followed by `rest`.
pub fn plugin_toml(name: &str, version: &str, rest: &str) -> String {
    format!(
        r#"[plugin]
name = "{name}"
version = "{version}"
api = "^1.0"
title = {{ it = "Prova", en = "Test" }}
capabilities = ["store", "settings", "log"]

{rest}"#
    )
}

impl Territory {
    pub fn new() -> Self {
        let root = tempfile::tempdir().expect("create a temporary folder");
        for dir in ["instances/demo", "plugins", "themes/default/locales"] {
            std::fs::create_dir_all(root.path().join(dir)).expect("create a folder");
        }
        // The default theme's catalogues are what makes a language available.
        for catalogue in ["it.toml", "en.toml"] {
            let path = root.path().join("themes/default/locales").join(catalogue);
            std::fs::write(path, "").expect("write a catalogue");
        }
        Self { root }
    }

    /// A territory whose manifest is `manifest`.
    pub fn with_manifest(manifest: &str) -> Self {
        let territory = Self::new();
        territory.write("instances/demo/instance.toml", manifest);
        territory
    }

    pub fn write(&self, path: &str, text: &str) {
        let path = self.root.path().join(path);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).expect("create a folder");
        }
        std::fs::write(path, text).expect("write a file");
    }

    /// Adds a plugin folder `plugins/<folder>` holding `plugin_toml`.
    pub fn plugin(&self, folder: &str, plugin_toml: &str) -> &Self {
        self.write(&format!("plugins/{folder}/plugin.toml"), plugin_toml);
        self
    }

    pub fn root(&self) -> &Path {
        self.root.path()
    }

    pub fn instance_dir(&self) -> PathBuf {
        self.root.path().join("instances/demo")
    }

    pub fn load(&self) -> Result<Manifest, Diagnostics> {
        self.load_env(&[])
    }

    pub fn load_env(&self, env: &[(&str, &str)]) -> Result<Manifest, Diagnostics> {
        trama_manifest::load_with_env(self.instance_dir(), env.iter().copied())
    }

    pub fn check(&self) -> Result<Checked, Diagnostics> {
        trama_manifest::check_with_env(self.instance_dir(), std::iter::empty::<(&str, &str)>())
    }
}

/// The faults of a result that should have failed.
pub fn faults<T: std::fmt::Debug>(result: Result<T, Diagnostics>) -> Vec<Diagnostic> {
    match result {
        Ok(value) => panic!("expected faults, got {value:#?}"),
        Err(diagnostics) => diagnostics.0,
    }
}

/// The one fault at `key`, checked to sit on `line` of `file_name` and to say `message`.
#[track_caller]
pub fn assert_fault(
    faults: &[Diagnostic],
    file_name: &str,
    line: usize,
    key: &str,
    message: &str,
) -> Diagnostic {
    let found: Vec<&Diagnostic> = faults.iter().filter(|d| d.key == key).collect();
    let [fault] = found.as_slice() else {
        panic!("expected one fault at `{key}`, got: {faults:#?}");
    };
    assert!(
        fault.file.ends_with(file_name),
        "fault in {} instead of {file_name}",
        fault.file.display()
    );
    assert_eq!(fault.line, Some(line), "line of {fault}");
    assert!(
        fault.message.contains(message),
        "message of `{key}` should contain {message:?}: {fault}"
    );
    (*fault).clone()
}
