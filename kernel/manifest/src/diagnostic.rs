//! What a cooperative sees when a manifest or a `plugin.toml` is wrong.
//!
//! Every fault names the file, the line (or the environment variable the value came from),
//! the dotted key and a plain sentence, so that it can be fixed without reading Rust.

use std::fmt;
use std::path::PathBuf;

/// One fault in one file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// The file at fault, as the user named it.
    pub file: PathBuf,
    /// The 1-based line of the key, when the value came from the file.
    pub line: Option<usize>,
    /// The environment variable that supplied the value, when it did not come from the file.
    pub variable: Option<String>,
    /// The dotted key at fault, e.g. `plugins.hello.version`; empty for faults of the whole file.
    pub key: String,
    /// A plain sentence saying what is wrong and, where it helps, how to fix it.
    pub message: String,
}

impl fmt::Display for Diagnostic {
    /// `instances/demo/instance.toml:12: plugins.hello.version: "abc" is not …`, or with
    /// `(from TRAMA_DATABASE__URL)` in place of the line for a value set in the environment.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file.display())?;
        match (&self.variable, self.line) {
            (Some(variable), _) => write!(f, " (from {variable})")?,
            (None, Some(line)) => write!(f, ":{line}")?,
            (None, None) => {}
        }
        if !self.key.is_empty() {
            write!(f, ": {}", self.key)?;
        }
        write!(f, ": {}", self.message)
    }
}

/// Every fault found.
///
/// Checks collect faults instead of stopping at the first, so that one run of `trama check`
/// shows everything to fix.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Diagnostics(pub Vec<Diagnostic>);

impl Diagnostics {
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn iter(&self) -> std::slice::Iter<'_, Diagnostic> {
        self.0.iter()
    }

    pub(crate) fn push(&mut self, diagnostic: Diagnostic) {
        self.0.push(diagnostic);
    }

    /// `Ok(value)` when nothing was found, the faults otherwise.
    pub(crate) fn into_result<T>(mut self, value: T) -> Result<T, Diagnostics> {
        if self.is_empty() {
            return Ok(value);
        }
        self.sort();
        Err(self)
    }

    /// Orders the faults by file and line, so that they read top to bottom; faults without a
    /// line (whole file, environment) come last in their file.
    pub(crate) fn sort(&mut self) {
        self.0.sort_by(|a, b| {
            (&a.file, a.line.is_none(), a.line).cmp(&(&b.file, b.line.is_none(), b.line))
        });
    }
}

impl fmt::Display for Diagnostics {
    /// One fault per line.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, diagnostic) in self.0.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{diagnostic}")?;
        }
        Ok(())
    }
}

impl std::error::Error for Diagnostics {}

impl From<Diagnostic> for Diagnostics {
    fn from(diagnostic: Diagnostic) -> Self {
        Self(vec![diagnostic])
    }
}

impl Extend<Diagnostic> for Diagnostics {
    fn extend<I: IntoIterator<Item = Diagnostic>>(&mut self, iter: I) {
        self.0.extend(iter);
    }
}

impl IntoIterator for Diagnostics {
    type Item = Diagnostic;
    type IntoIter = std::vec::IntoIter<Diagnostic>;

    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
    }
}

impl<'a> IntoIterator for &'a Diagnostics {
    type Item = &'a Diagnostic;
    type IntoIter = std::slice::Iter<'a, Diagnostic>;

    fn into_iter(self) -> Self::IntoIter {
        self.0.iter()
    }
}
