//! Where a template error lies, told in the developer's terms: the file, the line and the
//! column, and the lines around it.
//!
//! tera knows the position of a parse error (its parser, pest, reports `--> line:column`) but
//! not of a render error: those name only the templates involved (`Failed to render
//! 'hello/index.html'`, `while rendering 'base.html'`) and, for most faults, the expression
//! that failed in backticks (``Variable `greeting.missing` not found``). So the line of a render
//! error is found by looking for that expression inside the tags of the template where it
//! failed; the message then says it was searched for, and how many places use it, rather than
//! pretend tera reported it.

use std::path::PathBuf;

use super::{Source, ThemeError};

/// Lines shown before and after the faulty one.
const CONTEXT_LINES: usize = 2;

/// Where in a template file an error lies.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Spot {
    /// The template's tera name (`hello/index.html`, `base.html`).
    pub template: String,
    /// The file it was read from.
    pub file: PathBuf,
    /// 1-based line and column, when known.
    pub line: Option<usize>,
    pub column: Option<usize>,
    /// When the line was found by searching for the failing expression (render errors): the
    /// expression and how many places in the template use it (the line is the first).
    pub searched: Option<(String, usize)>,
    /// The lines around `line`, numbered from 1, for a developer's error page.
    pub excerpt: Vec<(usize, String)>,
}

/// The text of `err` and of every error under it: tera keeps the useful part of a message in
/// the sources (`Failed to render 'x'` above ``Variable `y` not found``).
pub(super) fn chain(err: &tera::Error) -> Vec<String> {
    let mut messages = vec![err.to_string()];
    let mut source = std::error::Error::source(err);
    while let Some(inner) = source {
        messages.push(inner.to_string());
        source = inner.source();
    }
    messages
}

/// `err` (from parsing or rendering templates) as a [`ThemeError`] that names the file and,
/// when it can be known or found, the line and column.
pub(super) fn located<'a>(
    err: &tera::Error,
    source_of: impl Fn(&str) -> Option<&'a Source>,
) -> ThemeError {
    let messages = chain(err);
    if let Some((line, column, message)) = messages.iter().find_map(|m| parse_position(m)) {
        // `Failed to parse 'name'` names the file; the quotes in pest's quoted source line
        // below it are the template's text, not names.
        let parsed = messages
            .iter()
            .filter(|m| m.starts_with("Failed to parse"))
            .find_map(|m| quoted(m).into_iter().next());
        let spot = parsed.and_then(|name| {
            let source = source_of(&name)?;
            Some(Box::new(spot_in(&name, source, Some((line, column)), None)))
        });
        return match spot {
            Some(spot) => ThemeError::Template {
                spot: Some(spot),
                message,
            },
            None => ThemeError::Template {
                spot: None,
                message: messages.join(": "),
            },
        };
    }
    // The most specific template first: the innermost message names the template being
    // rendered when the fault happened (an included one, a parent), the outermost the page.
    let named: Vec<String> = messages.iter().rev().flat_map(|m| quoted(m)).collect();
    let Some((template, source)) = named
        .iter()
        .find_map(|name| source_of(name).map(|source| (name.clone(), source)))
    else {
        return ThemeError::Template {
            spot: None,
            message: messages.join(": "),
        };
    };
    let message = messages.last().cloned().unwrap_or_default();
    let searched = messages
        .iter()
        .rev()
        .find_map(|m| expression(m))
        .and_then(|needle| {
            // The template where it failed, else any other template the messages name.
            named.iter().find_map(|name| {
                let source = source_of(name)?;
                let found = find_in_tags(&source.body, &needle);
                let (line, column) = *found.first()?;
                Some((
                    name.clone(),
                    source,
                    line,
                    column,
                    needle.clone(),
                    found.len(),
                ))
            })
        });
    let spot = match searched {
        Some((name, source, line, column, needle, uses)) => {
            spot_in(&name, source, Some((line, column)), Some((needle, uses)))
        }
        None => spot_in(&template, source, None, None),
    };
    ThemeError::Template {
        spot: Some(Box::new(spot)),
        message,
    }
}

fn spot_in(
    template: &str,
    source: &Source,
    position: Option<(usize, usize)>,
    searched: Option<(String, usize)>,
) -> Spot {
    let excerpt = match position {
        Some((line, _)) => source
            .body
            .lines()
            .enumerate()
            .map(|(at, text)| (at + 1, text.to_owned()))
            .skip(line.saturating_sub(CONTEXT_LINES + 1))
            .take(2 * CONTEXT_LINES + 1)
            .collect(),
        None => Vec::new(),
    };
    Spot {
        template: template.to_owned(),
        file: source.file.clone(),
        line: position.map(|(line, _)| line),
        column: position.map(|(_, column)| column),
        searched,
        excerpt,
    }
}

/// The one-line text of a template error: `file:line:column: message`, as compilers write it,
/// so editors and terminals can jump there.
pub(super) fn describe(spot: Option<&Spot>, message: &str) -> String {
    let Some(spot) = spot else {
        return format!("template error: {message}");
    };
    let place = match (spot.line, spot.column) {
        (Some(line), Some(column)) => format!("{}:{line}:{column}", spot.file.display()),
        (Some(line), None) => format!("{}:{line}", spot.file.display()),
        _ => spot.file.display().to_string(),
    };
    match &spot.searched {
        Some((needle, uses)) if *uses > 1 => format!(
            "{place}: {message} (the first of {uses} places in the template using `{needle}`)"
        ),
        _ => format!("{place}: {message}"),
    }
}

/// The names in single quotes in a tera message (`Failed to render 'a.html'`).
fn quoted(message: &str) -> Vec<String> {
    message
        .split('\'')
        .skip(1)
        .step_by(2)
        .filter(|name| !name.is_empty() && !name.contains(char::is_whitespace))
        .map(str::to_owned)
        .collect()
}

/// The position and the expectation in a pest parse error:
///
/// ```text
///  --> 3:12
///   |
/// 3 | {% if %}
///   |       ^---
///   |
///   = expected an expression
/// ```
fn parse_position(message: &str) -> Option<(usize, usize, String)> {
    let arrow = message.lines().find_map(|line| {
        let rest = line.trim_start().strip_prefix("-->")?;
        let (line, column) = rest.trim().split_once(':')?;
        Some((line.parse().ok()?, column.parse().ok()?))
    })?;
    let what: Vec<&str> = message
        .lines()
        .filter_map(|line| line.trim_start().strip_prefix("= "))
        .collect();
    let what = if what.is_empty() {
        "the template does not parse".to_owned()
    } else {
        what.join("; ")
    };
    Some((arrow.0, arrow.1, what))
}

/// The expression a render error names in backticks (``Variable `x.y` not found``,
/// ``Filter `z` not found``), if any.
fn expression(message: &str) -> Option<String> {
    let inner = message.split('`').nth(1)?.trim();
    (!inner.is_empty() && !inner.contains('\n')).then(|| inner.to_owned())
}

/// The 1-based line and column of every place `needle` appears as a whole expression inside
/// a tag (`{{ … }}` or `{% … %}`) of `body`, in order. Text outside tags and comments is not
/// code, so a word of prose equal to a variable's name is not taken for it.
fn find_in_tags(body: &str, needle: &str) -> Vec<(usize, usize)> {
    let mut found = Vec::new();
    let mut rest = 0;
    while let Some(open) = next_tag(&body[rest..]) {
        let start = rest + open + 2;
        let close = if body[rest + open..].starts_with("{{") {
            "}}"
        } else {
            "%}"
        };
        let end = body[start..]
            .find(close)
            .map_or(body.len(), |at| start + at);
        let tag = &body[start..end];
        for (at, _) in tag.match_indices(needle) {
            let before = tag[..at].chars().next_back();
            let after = tag[at + needle.len()..].chars().next();
            let part_of_name = |c: Option<char>| c.is_some_and(|c| c.is_alphanumeric() || c == '_');
            if part_of_name(before) || before == Some('.') || part_of_name(after) {
                continue;
            }
            found.push(position(body, start + at));
        }
        rest = (end + close.len()).min(body.len());
    }
    found
}

/// Where the next `{{` or `{%` starts in `text`.
fn next_tag(text: &str) -> Option<usize> {
    match (text.find("{{"), text.find("{%")) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

/// The 1-based line and column (in characters) of byte `offset` of `body`.
fn position(body: &str, offset: usize) -> (usize, usize) {
    let before = &body[..offset];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |at| at + 1);
    (line, before[line_start..].chars().count() + 1)
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;
    use std::path::Path;

    use super::*;

    /// A tera with `templates` (name, text), each "read" from `/t/<name>`, and the error of
    /// adding them or of rendering `render` with `context`.
    fn error_of(
        templates: &[(&str, &str)],
        render: &str,
        context: serde_json::Value,
    ) -> ThemeError {
        let sources: BTreeMap<String, Source> = templates
            .iter()
            .map(|(name, body)| {
                (
                    (*name).to_owned(),
                    Source {
                        file: PathBuf::from(format!("/t/{name}")),
                        body: (*body).to_owned(),
                    },
                )
            })
            .collect();
        let mut tera = tera::Tera::default();
        if let Err(err) = tera.add_raw_templates(templates.iter().copied()) {
            return located(&err, |name| sources.get(name));
        }
        let context = tera::Context::from_value(context).expect("an object");
        let err = tera.render(render, &context).expect_err("the render fails");
        located(&err, |name| sources.get(name))
    }

    #[test]
    fn a_parse_error_names_the_file_line_and_column() {
        let err = error_of(
            &[("hello/index.html", "<h1>Hi</h1>\n<p>\n  {% if %}\n</p>\n")],
            "",
            serde_json::json!({}),
        );
        let spot = err.spot().expect("a spot");
        assert_eq!(spot.file, Path::new("/t/hello/index.html"));
        assert_eq!((spot.line, spot.column), (Some(3), Some(9)), "{err}");
        assert!(spot.searched.is_none());
        assert_eq!(spot.excerpt.first(), Some(&(1, "<h1>Hi</h1>".to_owned())));
        assert_eq!(
            spot.excerpt.len(),
            4,
            "two lines either side, within the file"
        );
        let text = err.to_string();
        assert!(text.starts_with("/t/hello/index.html:3:9: "), "{text}");
        assert!(
            text.contains("expected"),
            "pest's expectation is kept: {text}"
        );
    }

    #[test]
    fn a_missing_variable_is_found_on_its_line() {
        let err = error_of(
            &[(
                "page.html",
                "<p>{{ greeting }}</p>\n<p>greeting.missing in prose</p>\n<p>{{ greeting.missing | upper }}</p>\n",
            )],
            "page.html",
            serde_json::json!({ "greeting": { "text": "ciao" } }),
        );
        let spot = err.spot().expect("a spot");
        assert_eq!((spot.line, spot.column), (Some(3), Some(7)), "{err}");
        assert_eq!(spot.searched, Some(("greeting.missing".to_owned(), 1)));
        let text = err.to_string();
        assert!(
            text.starts_with("/t/page.html:3:7: Variable `greeting.missing` not found"),
            "{text}"
        );
    }

    #[test]
    fn an_error_in_a_parent_template_points_at_the_parent() {
        let err = error_of(
            &[
                (
                    "base.html",
                    "<html>\n<title>{{ site.name }}</title>\n{% block content %}{% endblock content %}\n</html>",
                ),
                (
                    "hello/index.html",
                    "{% extends \"base.html\" %}\n{% block content %}ok{% endblock content %}",
                ),
            ],
            "hello/index.html",
            serde_json::json!({}),
        );
        let spot = err.spot().expect("a spot");
        assert_eq!(spot.template, "base.html", "{err}");
        assert_eq!(spot.line, Some(2));
    }

    #[test]
    fn an_error_in_an_included_template_points_at_it() {
        let err = error_of(
            &[
                ("page.html", "<main>\n{% include \"part.html\" %}\n</main>"),
                ("part.html", "<nav>\n\n{{ menu.items }}\n</nav>"),
            ],
            "page.html",
            serde_json::json!({}),
        );
        let spot = err.spot().expect("a spot");
        assert_eq!(spot.file, Path::new("/t/part.html"), "{err}");
        assert_eq!((spot.line, spot.column), (Some(3), Some(4)));
    }

    #[test]
    fn several_uses_are_counted_and_the_first_is_shown() {
        let err = error_of(
            &[("page.html", "{{ who }}\n{% if who %}{{ who }}{% endif %}")],
            "page.html",
            serde_json::json!({}),
        );
        let text = err.to_string();
        assert!(text.starts_with("/t/page.html:1:4: "), "{text}");
        assert!(
            text.ends_with("(the first of 3 places in the template using `who`)"),
            "{text}"
        );
    }

    #[test]
    fn an_error_without_an_expression_names_the_file_only() {
        let err = error_of(
            &[("page.html", "{% for x in 5 %}{{ x }}{% endfor %}")],
            "page.html",
            serde_json::json!({}),
        );
        let spot = err.spot().expect("a spot");
        assert_eq!(spot.file, Path::new("/t/page.html"), "{err}");
        assert!(err.to_string().starts_with("/t/page.html"), "{err}");
    }

    #[test]
    fn positions_count_characters_not_bytes() {
        assert_eq!(position("è\nàà{{ x }}", 7), (2, 3));
        assert_eq!(
            find_in_tags("città {{ x }} {% if x_y or x %}", "x"),
            vec![(1, 10), (1, 28)]
        );
    }
}
