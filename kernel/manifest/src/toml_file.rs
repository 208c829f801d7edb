//! Reading a TOML file into figment's value tree while keeping the line of every key.

use std::io::ErrorKind;
use std::path::Path;

use figment::Figment;
use figment::providers::{Format, Toml};
use figment::value::Dict;

use crate::diagnostic::Diagnostic;
use crate::extract;
use crate::locate::{LineIndex, Locator};

/// A parsed TOML file.
pub(crate) struct TomlFile {
    pub(crate) text: String,
    pub(crate) document: toml_edit::Document<String>,
    pub(crate) locator: Locator,
}

impl TomlFile {
    /// Reads and parses `path`; `shown` is the name used in messages. Syntax errors stop here,
    /// since nothing after them can be trusted.
    pub(crate) fn read(path: &Path, shown: &Path) -> Result<Self, Diagnostic> {
        let bare = Locator::for_file(shown);
        let text = std::fs::read_to_string(path).map_err(|err| {
            bare.file_diagnostic(
                None,
                match err.kind() {
                    ErrorKind::NotFound => "this file does not exist".to_owned(),
                    ErrorKind::InvalidData => "this file is not UTF-8 text".to_owned(),
                    _ => format!("this file cannot be read: {err}"),
                },
            )
        })?;
        let document = toml_edit::Document::parse(text.clone()).map_err(|err| {
            let line = err
                .span()
                .map(|span| LineIndex::new(&text).line(span.start));
            bare.file_diagnostic(
                line,
                format!("this is not valid TOML: {}", err.message().trim_end()),
            )
        })?;
        let locator = Locator::new(shown, &text, document.as_table());
        Ok(Self {
            text,
            document,
            locator,
        })
    }

    /// The file's layer for figment.
    pub(crate) fn figment(&self) -> Figment {
        Figment::from(Toml::string(&self.text))
    }
}

/// The top-level tables of a figment, deserialized from every layer merged.
pub(crate) fn root(figment: &Figment, locator: &Locator) -> Result<Dict, Vec<Diagnostic>> {
    figment
        .extract::<Dict>()
        .map_err(|error| extract::diagnostics(error, &[], locator))
}
