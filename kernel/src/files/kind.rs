//! What a file is, read from its first bytes: a name ending in `.pdf` or a browser's
//! `Content-Type` says nothing a sender cannot choose, and a file served back to an operator
//! must be what it claims (an HTML page posing as a PDF would run in the reviewer's browser).

/// The types the kernel accepts: documents and photos of documents.
pub const ACCEPTED: [&str; 4] = ["application/pdf", "image/jpeg", "image/png", "image/webp"];

/// The accepted type `bytes` are, or `None`: an empty file, a type outside [`ACCEPTED`], or
/// bytes that are no known type at all.
pub fn recognise(bytes: &[u8]) -> Option<&'static str> {
    let kind = infer::get(bytes)?;
    ACCEPTED
        .into_iter()
        .find(|accepted| *accepted == kind.mime_type())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_content_decides_not_the_name() {
        assert_eq!(
            recognise(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj"),
            Some("application/pdf")
        );
        assert_eq!(
            recognise(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR"),
            Some("image/png")
        );
        assert_eq!(
            recognise(b"\xff\xd8\xff\xe0\0\x10JFIF\0"),
            Some("image/jpeg")
        );
        assert_eq!(recognise(b"<html><script>alert(1)</script>"), None);
        assert_eq!(recognise(b"PK\x03\x04zip"), None);
        assert_eq!(recognise(b""), None);
    }
}
