//! The error page of `trama dev`: what failed and where, for the developer looking at the
//! browser. It is built here rather than with the theme's `error.html`, because the template
//! that failed may be the theme's own `base.html`, which that page extends.
//!
//! Never served by `trama serve`: a citizen sees the theme's page and a line saying the error
//! was logged, since details may hold internals (paths, database messages).

use std::fmt::Write;

use axum::http::StatusCode;

use super::WebError;
use crate::theme::{Spot, ThemeError, escape_html as escape};

/// The page for `err`, answered with `status`.
pub(super) fn page(status: StatusCode, err: &WebError) -> String {
    let mut body = String::new();
    let headline = match err {
        WebError::Theme(_) => "template error",
        _ => "server error",
    };
    let _ = writeln!(
        body,
        "<h1>{} · {headline}</h1>",
        escape(&status.to_string())
    );
    match err {
        WebError::Theme(ThemeError::Template {
            spot: Some(spot),
            message: text,
        }) => located(&mut body, spot, text),
        other => message(&mut body, &other.to_string()),
    }
    body.push_str(
        "<p class=\"note\">Shown because this server runs as <code>trama dev</code>: \
         <code>trama serve</code> shows visitors the theme's error page without these \
         details, and logs them.</p>\n",
    );
    format!(
        "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <title>{} · {headline}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n{body}</body>\n</html>\n",
        escape(&status.to_string())
    )
}

const STYLE: &str = "body{font-family:system-ui,sans-serif;margin:2rem auto;max-width:72rem;\
padding:0 1rem;color:#222}pre{background:#f5f5f5;padding:1rem;overflow:auto;line-height:1.4}\
.here{background:#fdd;font-weight:bold;display:block}.where{font-size:1.1rem}\
.message{white-space:pre-wrap;font-family:monospace}.note{color:#666;font-size:.9rem}";

fn message(body: &mut String, text: &str) {
    let _ = writeln!(body, "<p class=\"message\">{}</p>", escape(text));
}

fn located(body: &mut String, spot: &Spot, text: &str) {
    let mut place = spot.file.display().to_string();
    if let Some(line) = spot.line {
        let _ = write!(place, ":{line}");
    }
    if let Some(column) = spot.column {
        let _ = write!(place, ":{column}");
    }
    let _ = writeln!(
        body,
        "<p class=\"where\"><code>{}</code> (template <code>{}</code>)</p>",
        escape(&place),
        escape(&spot.template)
    );
    message(body, text);
    if let Some((expression, uses)) = &spot.searched {
        let _ = writeln!(
            body,
            "<p class=\"note\">tera names no line for this error: the line is where the template \
             uses <code>{}</code>{}.</p>",
            escape(expression),
            if *uses > 1 {
                format!(" (the first of {uses} places)")
            } else {
                String::new()
            }
        );
    }
    if spot.excerpt.is_empty() {
        return;
    }
    let width = spot
        .excerpt
        .last()
        .map_or(1, |(number, _)| number.to_string().len());
    body.push_str("<pre>");
    for (number, line) in &spot.excerpt {
        let text = format!("{number:>width$} | {line}");
        if Some(*number) == spot.line {
            let _ = write!(body, "<span class=\"here\">{}</span>", escape(&text));
        } else {
            let _ = writeln!(body, "{}", escape(&text));
        }
    }
    body.push_str("</pre>\n");
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::*;

    #[test]
    fn the_page_shows_file_line_and_message_escaped() {
        let err = WebError::Theme(ThemeError::Template {
            spot: Some(Box::new(Spot {
                template: "hello/index.html".into(),
                file: PathBuf::from("/plugins/hello/templates/index.html"),
                line: Some(3),
                column: Some(7),
                searched: Some(("who".into(), 2)),
                excerpt: vec![
                    (2, "<p>".into()),
                    (3, "{{ who }} <script>".into()),
                    (4, "</p>".into()),
                ],
            })),
            message: "Variable `who` not found <b>".into(),
        });
        let page = page(StatusCode::INTERNAL_SERVER_ERROR, &err);
        assert!(
            page.contains("<code>/plugins/hello/templates/index.html:3:7</code>"),
            "{page}"
        );
        assert!(
            page.contains("Variable `who` not found &lt;b&gt;"),
            "{page}"
        );
        assert!(
            page.contains("<span class=\"here\">3 | {{ who }} &lt;script&gt;</span>"),
            "{page}"
        );
        assert!(page.contains("the first of 2 places"), "{page}");
        assert!(!page.contains("<script>"), "{page}");
    }

    #[test]
    fn other_server_errors_show_their_message() {
        let err = WebError::BadRequest("<i>odd</i>".into());
        let page = page(StatusCode::INTERNAL_SERVER_ERROR, &err);
        assert!(page.contains("server error"), "{page}");
        assert!(page.contains("&lt;i&gt;odd&lt;/i&gt;"), "{page}");
    }
}
