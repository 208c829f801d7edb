//! Photos of a service: the provider shows up to `photos_max` pictures of what it offers (the
//! place, the van, the gym), each a JPEG, PNG or WebP image of at most `photo_max_kb`, with an
//! alternative text saying what it shows, for people who cannot see it.
//!
//! The kernel keeps the bytes (capability `files`, in the instance's database, inside the
//! call's transaction) and recognises the type from the content before the plugin runs: a
//! file that is no PDF or image never reaches here (`415`), a PDF is refused here beside the
//! field. A photo is kept without an owner: it is the provider's public material, on the
//! service's record, not the personal data of the account that uploaded it, so it is neither in
//! that person's download nor deleted with their account. The service lists its photos; a
//! photo is shown to whoever may see the service, and removing it deletes the file.

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use trama_sdk::checked::IntoResult;
use trama_sdk::files::{self, StoredFile, Upload};
use trama_sdk::input::{Input, Problems};
use trama_sdk::store::Doc;
use trama_sdk::{Error, Result, audit, t};

use crate::config::Settings;
use crate::service::{SERVICES, Service};
use crate::web::BASE;

/// The form field the photo comes in.
pub const FIELD: &str = "photo";

/// What the form sends besides the file.
pub const FIELDS: &[&str] = &["alt"];

/// The shortest and longest alternative text: a few words saying what the photo shows.
pub const MIN_ALT: usize = 3;
pub const MAX_ALT: usize = 250;

/// One photo of a service.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Photo {
    pub file: StoredFile,
    /// What the photo shows, in the provider's words: the `alt` of every `<img>` of it.
    pub alt: String,
}

/// Reads the photo form of a service that already holds `held` photos: one file of [`FIELD`]
/// that the settings take, and the alternative text. Every problem beside its field.
pub fn check(
    input: &Input,
    uploads: &[Upload],
    settings: &Settings,
    held: usize,
) -> std::result::Result<String, Problems> {
    let mut problems = Problems::default();
    let sent: Vec<&Upload> = uploads.iter().filter(|u| u.field == FIELD).collect();
    if held >= settings.photos_max as usize {
        problems.push(
            FIELD,
            t!("services.photo.problems.full", max = settings.photos_max),
        );
    } else {
        match sent.as_slice() {
            [] => problems.push(FIELD, t!("services.photo.problems.missing")),
            [one] => {
                if let Some(refusal) = settings.photos().refusal(one) {
                    problems.push(FIELD, refusal);
                }
            }
            _ => problems.push(FIELD, t!("services.photo.problems.one")),
        }
    }
    let alt = input
        .one("alt")
        .unwrap_or("")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    let len = alt.chars().count();
    if len < MIN_ALT {
        problems.push("alt", t!("services.photo.problems.alt", min = MIN_ALT));
    } else if len > MAX_ALT {
        problems.push("alt", t!("services.problems.too_long", max = MAX_ALT));
    }
    problems.into_result(alt)
}

/// Keeps the photo sent in [`FIELD`] on service `id`, at most `max` of them: checked again
/// under the service's version, so two uploads at once cannot pass the limit (the second
/// fails and its file is not kept). Audited as `service.photo_added`.
pub fn add(id: &str, alt: String, max: u32) -> Result<Photo> {
    let file = files::keep(FIELD, None)?;
    let photo = Photo { file, alt };
    SERVICES
        .update(id, |s| {
            if s.photos.len() >= max as usize {
                return Err(Error::conflict(t!(
                    "services.photo.problems.full",
                    max = max
                )));
            }
            s.photos.push(photo.clone());
            Ok(())
        })?
        .ok_or_else(|| Error::not_found(t!("services.service.unknown")))?;
    audit::record(
        "service.photo_added",
        id,
        &json!({
            "file": photo.file.id,
            "kind": photo.file.kind.key(),
            "size": photo.file.size,
        }),
    )?;
    Ok(photo)
}

/// Takes photo `photo` off service `id` and deletes its file; a 404 when the service has no
/// such photo. Audited as `service.photo_removed`.
pub fn remove(id: &str, photo: &str) -> Result<Doc<Service>> {
    let doc = SERVICES
        .update(id, |s| {
            let before = s.photos.len();
            s.photos.retain(|p| p.file.id != photo);
            if s.photos.len() == before {
                return Err(Error::not_found(t!("services.photo.unknown")));
            }
            Ok(())
        })?
        .ok_or_else(|| Error::not_found(t!("services.service.unknown")))?;
    files::delete(photo)?;
    audit::record("service.photo_removed", id, &json!({ "file": photo }))?;
    Ok(doc)
}

/// Photo `photo` of `service`, if it has it.
pub fn find<'a>(service: &'a Service, photo: &str) -> Option<&'a Photo> {
    service.photos.iter().find(|p| p.file.id == photo)
}

/// The address a photo is served at. The file's id is never reused, so the address always
/// names the same bytes.
pub fn src(service: &str, photo: &Photo) -> String {
    format!("{BASE}/services/{service}/photos/{}", photo.file.id)
}

/// The name a photo is served under: its id and type, not the name the provider's device gave
/// the file.
pub fn served_name(photo: &Photo) -> String {
    format!("{}.{}", photo.file.id, photo.file.kind.key())
}

/// The photos of service `service` as pages and the API show them.
pub fn views(service: &str, photos: &[Photo]) -> Vec<Value> {
    photos
        .iter()
        .map(|p| {
            json!({
                "id": p.file.id,
                "alt": p.alt,
                "src": src(service, p),
                "type": p.file.kind.content_type(),
                "size": p.file.size,
            })
        })
        .collect()
}
