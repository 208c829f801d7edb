//! Attachments: the files a person sends with a form, and the ones a plugin has kept.
//!
//! The kernel decodes the form (`multipart/form-data`) and recognises each file by its
//! content before the plugin runs; here a plugin checks a file against what its question
//! accepts ([`Accept`]), keeps it in the instance's database in the same transaction as the
//! record it belongs to ([`keep`]), serves it to whoever may see it ([`download`]) and deletes
//! it with that record ([`delete`]). Capability `files`, host API 1.7: set `api = "^1.7"`.

use serde::{Deserialize, Serialize};

use crate::host::files as host;
use crate::http::Response;
use crate::{Error, Result, t};

/// A file that came with the request being handled, not kept yet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Upload {
    /// The form field it came in.
    pub field: String,
    pub name: String,
    /// What the kernel recognised from its content.
    pub kind: Kind,
    pub size: u64,
}

/// A kept file, as a plugin records it beside what it belongs to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredFile {
    pub id: String,
    pub name: String,
    pub kind: Kind,
    pub size: u64,
    pub sha256: String,
    /// Unix time in milliseconds.
    pub created_at: i64,
}

/// The types the kernel accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    Pdf,
    Jpeg,
    Png,
    Webp,
}

impl Kind {
    pub const ALL: [Kind; 4] = [Kind::Pdf, Kind::Jpeg, Kind::Png, Kind::Webp];

    pub fn content_type(self) -> &'static str {
        match self {
            Kind::Pdf => "application/pdf",
            Kind::Jpeg => "image/jpeg",
            Kind::Png => "image/png",
            Kind::Webp => "image/webp",
        }
    }

    /// The name people know the type by (`PDF`, `JPEG`).
    pub fn label(self) -> &'static str {
        match self {
            Kind::Pdf => "PDF",
            Kind::Jpeg => "JPEG",
            Kind::Png => "PNG",
            Kind::Webp => "WebP",
        }
    }

    /// The key written in a configuration (`pdf`, `jpeg`).
    pub fn key(self) -> &'static str {
        match self {
            Kind::Pdf => "pdf",
            Kind::Jpeg => "jpeg",
            Kind::Png => "png",
            Kind::Webp => "webp",
        }
    }

    pub fn parse(key: &str) -> Option<Kind> {
        let key = key.trim().to_ascii_lowercase();
        let key = if key == "jpg" { "jpeg" } else { key.as_str() };
        Kind::ALL.into_iter().find(|kind| kind.key() == key)
    }

    fn of(content_type: &str) -> Option<Kind> {
        Kind::ALL
            .into_iter()
            .find(|kind| kind.content_type() == content_type)
    }
}

/// What one question accepts: the types, and the largest size.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Accept {
    pub kinds: Vec<Kind>,
    /// In KiB, so that a configuration reads `max_kb = 2048`.
    pub max_kb: u32,
}

impl Accept {
    /// Why `upload` is not what the question accepts, as a sentence for the sender; `None`
    /// when it is.
    pub fn refusal(&self, upload: &Upload) -> Option<String> {
        if !self.kinds.contains(&upload.kind) {
            let kinds: Vec<&str> = self.kinds.iter().map(|kind| kind.label()).collect();
            return Some(t!(
                "sdk.files.wrong_kind",
                name = upload.name,
                kinds = kinds.join(", ")
            ));
        }
        if upload.size > u64::from(self.max_kb) * 1024 {
            return Some(t!(
                "sdk.files.too_large",
                name = upload.name,
                size = kib(upload.size, crate::i18n::current()),
                max = crate::money::group_digits(u64::from(self.max_kb), crate::i18n::current())
            ));
        }
        None
    }

    /// The `accept` attribute of the file input, so the device offers the right files.
    pub fn html_accept(&self) -> String {
        let types: Vec<&str> = self.kinds.iter().map(|kind| kind.content_type()).collect();
        types.join(",")
    }
}

/// `bytes` in KiB, rounded up, written as the reader of `lang` writes numbers (`1.025`): how
/// pages and refusals state a file's size.
pub fn kib(bytes: u64, lang: crate::i18n::Lang) -> String {
    crate::money::group_digits(bytes.div_ceil(1024), lang)
}

/// The files of the request being handled, in the order sent.
pub fn uploads() -> Vec<Upload> {
    host::uploads()
        .into_iter()
        .filter_map(|upload| {
            Some(Upload {
                kind: Kind::of(&upload.content_type)?,
                field: upload.field,
                name: upload.name,
                size: upload.size,
            })
        })
        .collect()
}

fn stored(file: host::Stored) -> Result<StoredFile> {
    let kind = Kind::of(&file.content_type).ok_or_else(|| {
        Error::internal(format!(
            "file `{}` has the unknown type {}",
            file.id, file.content_type
        ))
    })?;
    Ok(StoredFile {
        id: file.id,
        name: file.name,
        kind,
        size: file.size,
        sha256: file.sha256,
        created_at: file.created_at,
    })
}

/// Keeps the next file of `field` not kept yet, about account `owner` (so that it is in their
/// "download my data"); it is stored only if the call succeeds.
pub fn keep(field: &str, owner: Option<&str>) -> Result<StoredFile> {
    host::keep(field, owner)
        .map_err(Error::internal)
        .and_then(stored)
}

/// What is known of kept file `id`.
pub fn describe(id: &str) -> Result<Option<StoredFile>> {
    host::describe(id).map(stored).transpose()
}

/// Kept file `id` as a download, or a 404.
pub fn download(id: &str) -> Result<Response> {
    let file = describe(id)?.ok_or_else(|| Error::not_found(t!("sdk.files.not_found")))?;
    let body = host::read(id).ok_or_else(|| Error::not_found(t!("sdk.files.not_found")))?;
    Ok(Response::download(
        file.name,
        file.kind.content_type(),
        body,
    ))
}

/// Kept `file` under a name the plugin chooses rather than the one the sender's device gave
/// it: a picture shown to the public need not tell how its sender's files are named. A 404
/// when it is no longer kept.
pub fn download_as(file: &StoredFile, name: impl Into<String>) -> Result<Response> {
    let body = host::read(&file.id).ok_or_else(|| Error::not_found(t!("sdk.files.not_found")))?;
    Ok(Response::download(name, file.kind.content_type(), body))
}

/// Deletes kept file `id`; whether there was one.
pub fn delete(id: &str) -> Result<bool> {
    host::delete(id).map_err(Error::internal)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn upload(kind: Kind, size: u64) -> Upload {
        Upload {
            field: "isee".into(),
            name: "isee.pdf".into(),
            kind,
            size,
        }
    }

    #[test]
    fn a_question_refuses_other_types_and_larger_files_in_plain_words() {
        let accept = Accept {
            kinds: vec![Kind::Pdf],
            max_kb: 1024,
        };
        assert_eq!(accept.refusal(&upload(Kind::Pdf, 1024 * 1024)), None);
        let kind = accept
            .refusal(&upload(Kind::Png, 10))
            .expect("a PNG is refused");
        assert!(kind.contains("isee.pdf") && kind.contains("PDF"), "{kind}");
        let size = accept
            .refusal(&upload(Kind::Pdf, 1024 * 1024 + 1))
            .expect("one byte over is refused");
        assert!(size.contains("1.025") && size.contains("1.024"), "{size}");
        assert_eq!(accept.html_accept(), "application/pdf");
        assert_eq!(Kind::parse(" JPG"), Some(Kind::Jpeg));
        assert_eq!(Kind::parse("docx"), None);
    }
}
