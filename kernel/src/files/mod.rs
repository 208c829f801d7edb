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
//! their "download my data" (`crate::privacy::export`).

mod kind;
mod multipart;
mod stored;

pub use kind::{ACCEPTED, recognise};
pub use multipart::{Decoded, MultipartError, decode, is_multipart};
pub use stored::{Stored, delete_in, describe, insert_in, owned_by, read};

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
/// may send `C:\Users\…\isee.pdf`), no control characters, no quotes (it is written back in a
/// `Content-Disposition` header), at most [`MAX_NAME_CHARS`] characters; `allegato` when
/// nothing is left.
pub fn clean_name(raw: &str) -> String {
    let base = raw.rsplit(['/', '\\']).next().unwrap_or_default();
    let name: String = base
        .chars()
        .filter(|c| !c.is_control() && !matches!(c, '"' | ';'))
        .take(MAX_NAME_CHARS)
        .collect();
    let name = name.trim();
    if name.is_empty() || name == "." || name == ".." {
        "allegato".to_owned()
    } else {
        name.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_lose_their_folders_and_anything_that_breaks_a_header() {
        assert_eq!(clean_name(r"C:\Users\anna\ISEE 2026.pdf"), "ISEE 2026.pdf");
        assert_eq!(clean_name("../../etc/passwd"), "passwd");
        assert_eq!(clean_name("a\"b;c\r\n.pdf"), "abc.pdf");
        assert_eq!(clean_name(""), "allegato");
        assert_eq!(clean_name("dir/"), "allegato");
        assert_eq!(clean_name(&"x".repeat(300)).chars().count(), MAX_NAME_CHARS);
    }
}
