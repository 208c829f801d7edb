//! Texts a territory words itself in Markdown, one file per language (`<locale>.md`) in a folder
//! of its theme: the privacy notice, the legal notes, the accessibility statement, the contacts.
//!
//! Each file may name the instance (`{{ instance.name }}`), so one default text serves every
//! territory until it writes its own. Templates are checked when the theme loads, so a broken
//! text is found at start, not when a citizen opens the page; Markup inside the Markdown is
//! shown as text, never obeyed.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use pulldown_cmark::{Event, Parser, html};
use serde_json::Value as Json;

use super::ThemeError;

/// One text in several languages: Markdown by language, with the file each came from.
#[derive(Debug)]
pub struct Texts {
    texts: BTreeMap<String, (PathBuf, String)>,
}

impl Texts {
    /// Every `<locale>.md` of `folder`; at least one must exist. `what` names the text in
    /// errors ("privacy", "pages/legal").
    pub fn read(folder: &Path, what: &str) -> Result<Self, ThemeError> {
        let mut texts = BTreeMap::new();
        let entries = std::fs::read_dir(folder).map_err(|source| ThemeError::Read {
            path: folder.to_path_buf(),
            source,
        })?;
        for entry in entries.flatten() {
            let file = entry.path();
            let Some(locale) = file
                .file_name()
                .and_then(|name| name.to_str())
                .and_then(|name| name.strip_suffix(".md"))
            else {
                continue;
            };
            let body = read(&file)?;
            // A template error is found when the theme loads, not when a citizen opens the page.
            tera::Tera::default()
                .add_raw_template(&file.display().to_string(), &body)
                .map_err(|err| template_error(&file, &err))?;
            texts.insert(locale.to_owned(), (file, body));
        }
        if texts.is_empty() {
            return Err(ThemeError::Catalogue {
                path: folder.to_path_buf(),
                message: format!("{what} has no text: add {what}/it.md"),
            });
        }
        Ok(Self { texts })
    }

    /// The text in `locale` as HTML: in that language, else in `fallback` (the instance's
    /// language), else in Italian, else in any language it has. `context` fills the text's
    /// placeholders (`{{ instance.name }}`).
    pub fn html(
        &self,
        locale: &str,
        fallback: &str,
        context: &Json,
    ) -> Result<Rendered, ThemeError> {
        let (lang, (file, body)) = [locale, fallback, super::SOURCE_LOCALE]
            .iter()
            .find_map(|wanted| self.texts.get_key_value(*wanted))
            .or_else(|| self.texts.iter().next())
            .ok_or_else(|| ThemeError::Template {
                spot: None,
                message: "the text has no language".into(),
            })?;
        let context =
            tera::Context::from_value(context.clone()).map_err(|err| ThemeError::Template {
                spot: None,
                message: super::diagnose::chain(&err).join(": "),
            })?;
        let markdown =
            tera::Tera::one_off(body, &context, false).map_err(|err| template_error(file, &err))?;
        Ok(Rendered {
            html: markdown_to_html(&markdown),
            lang: lang.clone(),
        })
    }
}

/// A text as shown: its HTML, and the language it is in (which may not be the one asked for:
/// the page's `lang` must say which, for screen readers to pronounce it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    pub html: String,
    pub lang: String,
}

/// Markdown to HTML. Markup written inside the Markdown is shown as text, never obeyed: these
/// texts are shown to every visitor, so they carry no script whatever their author pasted.
pub fn markdown_to_html(markdown: &str) -> String {
    let events = Parser::new(markdown).map(|event| match event {
        Event::Html(raw) | Event::InlineHtml(raw) => Event::Text(raw),
        other => other,
    });
    let mut out = String::with_capacity(markdown.len() * 3 / 2);
    html::push_html(&mut out, events);
    out
}

/// A template error in a text, naming its file.
fn template_error(file: &Path, err: &tera::Error) -> ThemeError {
    ThemeError::Template {
        spot: None,
        message: format!(
            "{}: {}",
            file.display(),
            super::diagnose::chain(err).join(": ")
        ),
    }
}

pub(super) fn read(path: &Path) -> Result<String, ThemeError> {
    std::fs::read_to_string(path).map_err(|source| ThemeError::Read {
        path: path.to_path_buf(),
        source,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markup_in_a_text_is_shown_not_obeyed() {
        let html = markdown_to_html("# Informativa\n\n<script>alert(1)</script>\n\nTesto <b>x</b>");
        assert!(html.contains("<h1>Informativa</h1>"), "{html}");
        assert!(!html.contains("<script>"), "{html}");
        assert!(html.contains("&lt;script&gt;"), "{html}");
        assert!(!html.contains("<b>"), "{html}");
    }
}
