//! Attachments: files people send with a form (an ISEE attestation, a certificate), decoded
//! by the kernel from `multipart/form-data`, recognised by their content and kept in the
//! instance's database.
//!
//! Why the database and not a folder: every node of an instance must serve a file another
//! node received, and a file must be written in the same transaction as the application it
//! belongs to, so a refused request or a crash never leaves a file without its record (nor a
//! record without its file). The sizes are small (a few MiB each), well within what SQLite and
//! PostgreSQL keep in a row.
//!
//! A file is held in memory for the call that received it ([`Upload`]); it is stored only when
//! the plugin keeps it (`files.keep`), owned by the person it is about, so that it is part of
//! their "download my data" (`crate::privacy::export`). A plugin whose `plugin.toml` sets
//! `[files] sealed = true` has its files sealed at rest with the instance's seal keys
//! ([`crate::seal`]) and opened as it reads them.

mod kind;
mod multipart;
mod stored;

pub use kind::{ACCEPTED, recognise};
pub use multipart::{Decoded, Limits, MultipartError, decode, is_multipart};
pub use stored::{FileError, Stored, count, delete_in, describe, insert_in, owned_by, read};

/// Most files one request may carry.
pub const MAX_FILES: usize = 10;
/// Largest request with files the kernel reads: the files and the rest of the form together.
pub const MAX_UPLOAD_BYTES: usize = 12 * 1024 * 1024;
/// Longest file name kept, in characters; longer names are cut.
const MAX_NAME_CHARS: usize = 120;

/// A file that came with a request, not stored yet.
#[derive(Debug, Clone)]
pub struct Upload {
    /// The form field it came in.
    pub field: String,
    /// The name the sender's device gave it, without folders.
    pub name: String,
    /// What [`recognise`] read from its content.
    pub content_type: &'static str,
    pub bytes: axum::body::Bytes,
    /// Whether the plugin has kept it already (a field's files are kept in order).
    pub kept: bool,
}

/// The name as the sender's device gave it, made harmless: no folders (a browser on Windows
/// may send `C:\Users\…\isee.pdf`), no control or invisible formatting characters (a
/// right-to-left override can make `fdp.exe` read as `exe.pdf`), no quotes (it is written back
/// in a `Content-Disposition` header), at most [`MAX_NAME_CHARS`] characters, and an extension
/// that says what the content is: a PDF sent as `rapporto.html` is kept as
/// `rapporto.html.pdf`, so that whoever downloads it opens it as what it is. `allegato` when
/// nothing is left of the name.
pub fn clean_name(raw: &str, content_type: &str) -> String {
    let base = raw.rsplit(['/', '\\']).next().unwrap_or_default();
    let name: String = base
        .chars()
        .filter(|c| !c.is_control() && !is_invisible(*c) && !matches!(c, '"' | ';'))
        .take(MAX_NAME_CHARS)
        .collect();
    let name = name.trim().trim_start_matches('.');
    let name = if name.is_empty() { "allegato" } else { name };
    let extensions: &[&str] = match content_type {
        "application/pdf" => &["pdf"],
        "image/jpeg" => &["jpg", "jpeg"],
        "image/png" => &["png"],
        "image/webp" => &["webp"],
        _ => &[],
    };
    let own = name
        .rsplit_once('.')
        .map(|(_, ext)| ext.to_ascii_lowercase())
        .unwrap_or_default();
    match extensions.first() {
        Some(first) if !extensions.contains(&own.as_str()) => format!("{name}.{first}"),
        _ => name.to_owned(),
    }
}

/// Characters that change how text is shown without being seen: bidirectional overrides and
/// isolates, zero-width characters, the soft hyphen, the byte-order mark.
fn is_invisible(c: char) -> bool {
    matches!(
        c,
        '\u{00AD}'
            | '\u{061C}'
            | '\u{200B}'..='\u{200F}'
            | '\u{202A}'..='\u{202E}'
            | '\u{2060}'..='\u{2064}'
            | '\u{2066}'..='\u{2069}'
            | '\u{FEFF}'
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_lose_their_folders_and_anything_that_breaks_a_header() {
        let pdf = "application/pdf";
        assert_eq!(
            clean_name(r"C:\Users\anna\ISEE 2026.pdf", pdf),
            "ISEE 2026.pdf"
        );
        assert_eq!(clean_name("../../etc/passwd", pdf), "passwd.pdf");
        assert_eq!(clean_name("a\"b;c\r\n.pdf", pdf), "abc.pdf");
        assert_eq!(clean_name("", pdf), "allegato.pdf");
        assert_eq!(clean_name("dir/", "image/png"), "allegato.png");
        assert_eq!(clean_name(".htaccess", pdf), "htaccess.pdf");
        assert!(clean_name(&"x".repeat(300), pdf).chars().count() <= MAX_NAME_CHARS + 4);
    }

    #[test]
    fn the_extension_says_what_the_content_is() {
        assert_eq!(
            clean_name("rapporto.html", "application/pdf"),
            "rapporto.html.pdf"
        );
        assert_eq!(clean_name("foto.JPG", "image/jpeg"), "foto.JPG");
        assert_eq!(clean_name("foto.jpeg", "image/jpeg"), "foto.jpeg");
        assert_eq!(clean_name("scan", "image/webp"), "scan.webp");
        // A right-to-left override would show `certificato\u{202E}fdp.exe` as `…exe.pdf`.
        assert_eq!(
            clean_name("certificato\u{202E}fdp.exe", "application/pdf"),
            "certificatofdp.exe.pdf"
        );
    }
}
