//! `multipart/form-data`: a form with files, as a browser sends it when the form has
//! `enctype="multipart/form-data"`. Text fields join the form a plugin receives; files become
//! [`Upload`]s, each recognised by its content.

use axum::body::Bytes;
use axum::http::{HeaderMap, header};

use super::{MAX_FILES, MAX_UPLOAD_BYTES, Upload, clean_name, recognise};

/// What a form with files may carry besides its files: the limits of a form without files,
/// which the web layer sets (`crate::web::UPLOAD_LIMITS`).
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Most fields, files included.
    pub fields: usize,
    /// Most bytes of text fields together.
    pub text_bytes: usize,
}

/// A decoded request: its text fields in order and its files.
#[derive(Debug, Default)]
pub struct Decoded {
    pub form: Vec<(String, String)>,
    pub uploads: Vec<Upload>,
}

/// Why a request with files was refused; each names what and where, for the sender.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum MultipartError {
    #[error("the form could not be read: {0}")]
    Malformed(String),
    #[error("the form has more than {0} fields")]
    TooManyFields(usize),
    #[error("the form has more than {MAX_FILES} files")]
    TooManyFiles,
    /// Its text fields together are over the limit of a form without files.
    #[error("the form's text is over {0} bytes")]
    TextTooLarge(usize),
    /// The file `name` (field `field`) is not a PDF or an image of an accepted type.
    #[error("the file `{name}` is not a PDF, JPEG, PNG or WebP image")]
    Unrecognised { field: String, name: String },
}

impl MultipartError {
    /// How the kernel refuses the request: the HTTP status and the `kind` of its error
    /// envelope. One table, read by the server and by test hosts that decode as it does.
    pub fn status_and_kind(&self) -> (u16, &'static str) {
        match self {
            MultipartError::Malformed(_) => (400, "bad_request"),
            MultipartError::TooManyFields(_) => (400, "too_many_fields"),
            MultipartError::TooManyFiles => (413, "too_many_files"),
            MultipartError::TextTooLarge(_) => (413, "payload_too_large"),
            MultipartError::Unrecognised { .. } => (415, "file_type_refused"),
        }
    }
}

/// Whether the request says it carries `multipart/form-data`.
pub fn is_multipart(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.trim_start()
                .to_ascii_lowercase()
                .starts_with("multipart/form-data")
        })
}

/// Decodes `body`, sent with `content_type`. A file part left empty (a file input nobody
/// filled in: browsers send it with no name and no bytes) is skipped; any other file must be
/// of an accepted type.
pub async fn decode(
    content_type: &str,
    body: Bytes,
    limits: Limits,
) -> Result<Decoded, MultipartError> {
    let boundary = multer::parse_boundary(content_type)
        .map_err(|e| MultipartError::Malformed(e.to_string()))?;
    let constraints = multer::Constraints::new()
        .size_limit(multer::SizeLimit::new().whole_stream(MAX_UPLOAD_BYTES as u64));
    let reader = std::io::Cursor::new(body);
    let mut parts = multer::Multipart::with_reader_with_constraints(reader, boundary, constraints);
    let mut decoded = Decoded::default();
    let mut fields = 0usize;
    // The text fields may not carry more than a form without files: the larger limit is for
    // files, which are checked, not for text a plugin would hold in memory.
    let mut text_bytes = 0usize;
    while let Some(part) = parts
        .next_field()
        .await
        .map_err(|e| MultipartError::Malformed(e.to_string()))?
    {
        fields += 1;
        if fields > limits.fields {
            return Err(MultipartError::TooManyFields(limits.fields));
        }
        let name = part.name().unwrap_or_default().to_owned();
        let file_name = part.file_name().map(str::to_owned);
        let bytes = part
            .bytes()
            .await
            .map_err(|e| MultipartError::Malformed(e.to_string()))?;
        match file_name {
            None => {
                text_bytes += bytes.len();
                if text_bytes > limits.text_bytes {
                    return Err(MultipartError::TextTooLarge(limits.text_bytes));
                }
                let text = String::from_utf8(bytes.to_vec()).map_err(|_| {
                    MultipartError::Malformed(format!("the field `{name}` is not UTF-8 text"))
                })?;
                decoded.form.push((name, text));
            }
            Some(file_name) if file_name.is_empty() && bytes.is_empty() => {}
            Some(file_name) => {
                if decoded.uploads.len() == MAX_FILES {
                    return Err(MultipartError::TooManyFiles);
                }
                let Some(content_type) = recognise(&bytes) else {
                    return Err(MultipartError::Unrecognised {
                        field: name,
                        name: clean_name(&file_name, ""),
                    });
                };
                let file_name = clean_name(&file_name, content_type);
                decoded.uploads.push(Upload {
                    field: name,
                    name: file_name,
                    content_type,
                    bytes,
                    kept: false,
                });
            }
        }
    }
    Ok(decoded)
}

#[cfg(test)]
mod tests {
    use super::*;

    const PDF: &[u8] = b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\n";
    const LIMITS: Limits = Limits {
        fields: 1000,
        text_bytes: 1024 * 1024,
    };

    fn body(parts: &[(&str, Option<&str>, &[u8])]) -> (String, Bytes) {
        let mut out = Vec::new();
        for (name, file, bytes) in parts {
            out.extend_from_slice(b"--XyZ\r\n");
            match file {
                Some(file) => out.extend_from_slice(
                    format!("Content-Disposition: form-data; name=\"{name}\"; filename=\"{file}\"\r\nContent-Type: application/octet-stream\r\n\r\n").as_bytes(),
                ),
                None => out.extend_from_slice(
                    format!("Content-Disposition: form-data; name=\"{name}\"\r\n\r\n").as_bytes(),
                ),
            }
            out.extend_from_slice(bytes);
            out.extend_from_slice(b"\r\n");
        }
        out.extend_from_slice(b"--XyZ--\r\n");
        (
            "multipart/form-data; boundary=XyZ".to_owned(),
            Bytes::from(out),
        )
    }

    #[tokio::test]
    async fn text_fields_join_the_form_and_files_are_recognised() {
        let (ct, bytes) = body(&[
            ("_csrf", None, b"t"),
            ("isee", None, "12.000,50 €".as_bytes()),
            ("attestazione", Some("C:\\docs\\isee.pdf"), PDF),
            ("certificato", Some(""), b""),
        ]);
        let decoded = decode(&ct, bytes, LIMITS).await.expect("a valid form");
        assert_eq!(
            decoded.form[1],
            ("isee".to_owned(), "12.000,50 €".to_owned())
        );
        assert_eq!(decoded.uploads.len(), 1, "the empty file input is skipped");
        let upload = &decoded.uploads[0];
        assert_eq!(
            (
                upload.field.as_str(),
                upload.name.as_str(),
                upload.content_type
            ),
            ("attestazione", "isee.pdf", "application/pdf")
        );
        assert_eq!(&upload.bytes[..], PDF);
    }

    #[tokio::test]
    async fn a_page_posing_as_a_pdf_is_refused_by_name() {
        let (ct, bytes) = body(&[(
            "attestazione",
            Some("isee.pdf"),
            b"<html><script>x</script>",
        )]);
        assert_eq!(
            decode(&ct, bytes, LIMITS).await.unwrap_err(),
            MultipartError::Unrecognised {
                field: "attestazione".into(),
                name: "isee.pdf".into()
            }
        );
    }

    #[tokio::test]
    async fn broken_and_crowded_forms_are_refused() {
        let long = vec![b'x'; LIMITS.text_bytes + 1];
        let (ct, bytes) = body(&[("note", None, &long[..])]);
        assert_eq!(
            decode(&ct, bytes, LIMITS).await.unwrap_err(),
            MultipartError::TextTooLarge(LIMITS.text_bytes)
        );
        let (_, bytes) = body(&[("a", None, b"1")]);
        assert!(matches!(
            decode("multipart/form-data", bytes.clone(), LIMITS).await,
            Err(MultipartError::Malformed(_))
        ));
        let truncated = bytes.slice(..bytes.len() - 9);
        assert!(matches!(
            decode("multipart/form-data; boundary=XyZ", truncated, LIMITS).await,
            Err(MultipartError::Malformed(_))
        ));
        let many: Vec<(&str, Option<&str>, &[u8])> =
            (0..=MAX_FILES).map(|_| ("f", Some("a.pdf"), PDF)).collect();
        let (ct, bytes) = body(&many);
        assert_eq!(
            decode(&ct, bytes, LIMITS).await.unwrap_err(),
            MultipartError::TooManyFiles
        );
    }
}
