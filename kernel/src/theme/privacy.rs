//! The instance's privacy notice, which the theme carries: `privacy/notice.toml` says which
//! version it is, `privacy/<locale>.md` holds its text in each language.
//!
//! The notice is the territory's own legal text (who the controller is, why and how long data
//! is kept), so it lives with the rest of what a territory words: its theme. A theme without a
//! `privacy` folder uses the default theme's. People agree to a *version*: changing
//! `version` asks everyone again at their next page (see `crate::privacy`), while a typo fixed
//! in the text without a new version does not.

use std::path::Path;

use super::ThemeError;
use super::texts::{Texts, read};

/// The longest version label: it is stored with every agreement.
const MAX_VERSION_CHARS: usize = 40;

/// A privacy notice: its version, when it was last changed, and its text by language.
#[derive(Debug)]
pub struct Notice {
    /// What people agree to, e.g. `2026-12` or `3`.
    pub version: String,
    /// When the notice last changed, written as Italians read a date (`04/12/2026`).
    pub updated: Option<String>,
    /// The text in each language.
    texts: Texts,
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct Header {
    version: String,
    updated: Option<toml::value::Datetime>,
}

impl Notice {
    /// The notice in `<theme>/privacy/`, or the default theme's when the theme has none; none
    /// when neither has one.
    pub fn load(theme_dir: &Path, default_dir: &Path) -> Result<Option<Self>, ThemeError> {
        for dir in [theme_dir, default_dir] {
            let folder = dir.join("privacy");
            if folder.join("notice.toml").is_file() {
                return Self::read(&folder).map(Some);
            }
        }
        Ok(None)
    }

    fn read(folder: &Path) -> Result<Self, ThemeError> {
        let path = folder.join("notice.toml");
        let text = read(&path)?;
        let header: Header = toml::from_str(&text).map_err(|err| ThemeError::Catalogue {
            path: path.clone(),
            message: err.to_string(),
        })?;
        let version = header.version.trim().to_owned();
        if version.is_empty()
            || version.chars().count() > MAX_VERSION_CHARS
            || version.chars().any(char::is_control)
        {
            return Err(ThemeError::Catalogue {
                path,
                message: format!(
                    "version: write a short label of at most {MAX_VERSION_CHARS} characters, such as \"2026-12\""
                ),
            });
        }
        let texts = Texts::read(folder, "privacy")?;
        Ok(Self {
            version,
            // As the territory writes dates: 04/12/2026.
            updated: header.updated.map(|stamp| match stamp.date {
                Some(date) => format!("{:02}/{:02}/{}", date.day, date.month, date.year),
                None => stamp.to_string(),
            }),
            texts,
        })
    }

    /// The notice's text in each language.
    pub fn texts(&self) -> &Texts {
        &self.texts
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn theme_with(files: &[(&str, &str)]) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap_or_else(|err| panic!("{err}"));
        std::fs::create_dir_all(dir.path().join("privacy")).unwrap_or_else(|err| panic!("{err}"));
        for (name, text) in files {
            std::fs::write(dir.path().join("privacy").join(name), text)
                .unwrap_or_else(|err| panic!("{err}"));
        }
        dir
    }

    #[test]
    fn a_notice_is_read_in_the_language_asked_else_the_instances_else_italian() {
        let theme = theme_with(&[
            ("notice.toml", "version = \"3\"\nupdated = 2026-12-01\n"),
            ("it.md", "# Informativa di {{ instance.name }}"),
            ("en.md", "# Privacy notice"),
        ]);
        let empty = tempfile::tempdir().unwrap_or_else(|err| panic!("{err}"));
        let notice = Notice::load(theme.path(), empty.path())
            .unwrap_or_else(|err| panic!("{err}"))
            .unwrap_or_else(|| panic!("a notice"));
        assert_eq!(notice.version, "3");
        assert_eq!(notice.updated.as_deref(), Some("01/12/2026"));
        let context = serde_json::json!({ "instance": { "name": "Valdarno" } });
        let html = |locale: &str| {
            notice
                .texts()
                .html(locale, "it", &context)
                .map(|text| text.html)
                .unwrap_or_default()
        };
        assert!(html("it").contains("Informativa di Valdarno"));
        assert!(html("en").contains("Privacy notice"));
        assert!(
            html("de").contains("Informativa"),
            "German falls back to the instance's"
        );
        assert_eq!(
            Notice::load(empty.path(), empty.path())
                .ok()
                .flatten()
                .map(|n| n.version),
            None,
            "no notice anywhere: none"
        );
    }

    #[test]
    fn a_broken_notice_names_its_file() {
        for (files, expected) in [
            (
                vec![("notice.toml", "versione = 1\n"), ("it.md", "x")],
                "notice.toml",
            ),
            (
                vec![("notice.toml", "version = \"\"\n"), ("it.md", "x")],
                "version",
            ),
            (vec![("notice.toml", "version = \"1\"\n")], "it.md"),
            (
                vec![("notice.toml", "version = \"1\"\n"), ("it.md", "{{ oops")],
                "it.md",
            ),
        ] {
            let theme = theme_with(&files);
            let err = Notice::load(theme.path(), theme.path())
                .err()
                .map(|err| err.to_string())
                .unwrap_or_default();
            assert!(err.contains(expected), "{files:?}: {err}");
        }
    }
}
