//! Where each key of a TOML file came from: a line of the file or an environment variable.
//!
//! Deserialization and the semantic checks only know the dotted path of a faulty value; this
//! module turns that path back into something a person can find. It is built once per file from
//! the spans `toml_edit` keeps, and travels with the loaded manifest so that plugin resolution,
//! which runs later, can still point at the right line of `instance.toml`.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use toml_edit::{Item, Table, Value};

use crate::diagnostic::Diagnostic;

/// A dotted key path split into its segments; array elements are their decimal index.
pub(crate) type KeyPath = Vec<String>;

/// Builds a key path from string-like segments.
pub(crate) fn key_path<S: AsRef<str>>(segments: &[S]) -> KeyPath {
    segments.iter().map(|s| s.as_ref().to_owned()).collect()
}

/// Renders `["instance", "hosts", "1"]` as `instance.hosts[1]`.
pub(crate) fn display_key<S: AsRef<str>>(path: &[S]) -> String {
    let mut out = String::new();
    for segment in path {
        let segment = segment.as_ref();
        if !segment.is_empty() && segment.bytes().all(|b| b.is_ascii_digit()) {
            out.push('[');
            out.push_str(segment);
            out.push(']');
        } else {
            if !out.is_empty() {
                out.push('.');
            }
            out.push_str(segment);
        }
    }
    out
}

/// The origin of every key of one file, plus the environment variables layered over it.
#[derive(Debug, Clone, Default)]
pub(crate) struct Locator {
    /// The file as the user named it, for messages.
    file: PathBuf,
    /// The line where each key (or table header, or array element) starts.
    lines: HashMap<KeyPath, usize>,
    /// The variable that set each key, for values overridden from the environment.
    variables: BTreeMap<KeyPath, String>,
}

impl Locator {
    /// Indexes the keys of `document`, parsed from `text`.
    pub(crate) fn new(file: &Path, text: &str, document: &Table) -> Self {
        let lines = LineIndex::new(text);
        let mut locator = Self {
            file: file.to_path_buf(),
            lines: HashMap::new(),
            variables: BTreeMap::new(),
        };
        locator.index_table(document, &mut Vec::new(), &lines);
        locator
    }

    /// A locator with no file content, for faults found before the file could be parsed.
    pub(crate) fn for_file(file: &Path) -> Self {
        Self {
            file: file.to_path_buf(),
            ..Self::default()
        }
    }

    pub(crate) fn file(&self) -> &Path {
        &self.file
    }

    /// Records that `variable` set the value at `path`.
    pub(crate) fn set_variable(&mut self, path: KeyPath, variable: String) {
        self.variables.insert(path, variable);
    }

    /// Records that a source other than the file (an approved proposal) set the value at
    /// `path`; it is named like an environment variable in messages.
    pub(crate) fn set_source(&mut self, path: KeyPath, source: String) {
        self.variables.insert(path, source);
    }

    /// Where the value at `path` came from: `instance.toml:12`, a variable, a proposal, or
    /// `None` for a default.
    pub(crate) fn origin(&self, path: &[String]) -> Option<String> {
        if let Some(source) = self.variables.get(path) {
            return Some(source.clone());
        }
        if let Some(source) = (1..path.len())
            .rev()
            .find_map(|n| self.variables.get(&path[..n]))
        {
            return Some(source.clone());
        }
        let file = self.file.file_name().map_or_else(
            || self.file.display().to_string(),
            |name| name.to_string_lossy().into_owned(),
        );
        self.lines.get(path).map(|line| format!("{file}:{line}"))
    }

    /// The line of the file where the key at `path` is written, if it is.
    pub(crate) fn line(&self, path: &[String]) -> Option<usize> {
        self.lines.get(path).copied()
    }

    /// A fault at `path`, located as precisely as possible.
    pub(crate) fn diagnostic<S: AsRef<str>>(
        &self,
        path: &[S],
        message: impl Into<String>,
    ) -> Diagnostic {
        let path = key_path(path);
        let (line, variable) = self.locate(&path);
        Diagnostic {
            file: self.file.clone(),
            line,
            variable,
            key: display_key(&path),
            message: message.into(),
        }
    }

    /// A fault of the whole file, at `line` if known.
    pub(crate) fn file_diagnostic(
        &self,
        line: Option<usize>,
        message: impl Into<String>,
    ) -> Diagnostic {
        Diagnostic {
            file: self.file.clone(),
            line,
            variable: None,
            key: String::new(),
            message: message.into(),
        }
    }

    /// The environment variable that supplied the value at `path`, if one did.
    pub(crate) fn variable_for(&self, path: &[String]) -> Option<String> {
        self.locate(path).1
    }

    /// An environment variable wins over the file, since its value is the one in effect; a
    /// key missing from both is placed at the nearest enclosing table, whether the file or
    /// the environment created it.
    fn locate(&self, path: &[String]) -> (Option<usize>, Option<String>) {
        if let Some(variable) = (1..=path.len())
            .rev()
            .find_map(|n| self.variables.get(&path[..n]))
        {
            return (None, Some(variable.clone()));
        }
        for n in (1..=path.len()).rev() {
            let enclosing = &path[..n];
            if let Some(line) = self.lines.get(enclosing) {
                return (Some(*line), None);
            }
            if let Some((_, variable)) = self
                .variables
                .iter()
                .find(|(key, _)| key.starts_with(enclosing))
            {
                return (None, Some(variable.clone()));
            }
        }
        (None, None)
    }

    fn record(&mut self, path: &[String], span: Option<std::ops::Range<usize>>, lines: &LineIndex) {
        if let Some(span) = span {
            self.lines
                .entry(path.to_vec())
                .or_insert_with(|| lines.line(span.start));
        }
    }

    fn index_table(&mut self, table: &Table, path: &mut KeyPath, lines: &LineIndex) {
        for (name, item) in table.iter() {
            path.push(name.to_owned());
            let span = table
                .key(name)
                .and_then(|key| key.span())
                .or_else(|| item.span());
            self.record(path, span, lines);
            self.index_item(item, path, lines);
            path.pop();
        }
    }

    fn index_item(&mut self, item: &Item, path: &mut KeyPath, lines: &LineIndex) {
        match item {
            Item::Table(table) => self.index_table(table, path, lines),
            Item::ArrayOfTables(array) => {
                for (i, table) in array.iter().enumerate() {
                    path.push(i.to_string());
                    self.record(path, table.span(), lines);
                    self.index_table(table, path, lines);
                    path.pop();
                }
            }
            Item::Value(value) => self.index_value(value, path, lines),
            Item::None => {}
        }
    }

    fn index_value(&mut self, value: &Value, path: &mut KeyPath, lines: &LineIndex) {
        match value {
            Value::Array(array) => {
                for (i, element) in array.iter().enumerate() {
                    path.push(i.to_string());
                    self.record(path, element.span(), lines);
                    self.index_value(element, path, lines);
                    path.pop();
                }
            }
            Value::InlineTable(table) => {
                for (name, element) in table.iter() {
                    path.push(name.to_owned());
                    let span = table
                        .key(name)
                        .and_then(|key| key.span())
                        .or_else(|| element.span());
                    self.record(path, span, lines);
                    self.index_value(element, path, lines);
                    path.pop();
                }
            }
            _ => {}
        }
    }
}

/// Byte offset → 1-based line number.
pub(crate) struct LineIndex {
    starts: Vec<usize>,
}

impl LineIndex {
    pub(crate) fn new(text: &str) -> Self {
        let starts = std::iter::once(0)
            .chain(text.match_indices('\n').map(|(i, _)| i + 1))
            .collect();
        Self { starts }
    }

    pub(crate) fn line(&self, offset: usize) -> usize {
        self.starts.partition_point(|&start| start <= offset)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn array_indices_render_in_brackets() {
        assert_eq!(
            display_key(&["instance", "hosts", "1"]),
            "instance.hosts[1]"
        );
        assert_eq!(display_key(&["jobs", "0", "every"]), "jobs[0].every");
    }

    #[test]
    fn offsets_map_to_lines() {
        let index = LineIndex::new("a\nbc\n\nd");
        assert_eq!(index.line(0), 1);
        assert_eq!(index.line(2), 2);
        assert_eq!(index.line(5), 3);
        assert_eq!(index.line(6), 4);
    }
}
