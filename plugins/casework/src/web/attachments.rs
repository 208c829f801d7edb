//! Documents on the case page: the upload form (staff), the list (the person: the shareable
//! ones only) and the audited download.

use serde_json::{Value, json};
use trama_sdk::http::{Request, Response};
use trama_sdk::i18n;
use trama_sdk::identity;
use trama_sdk::router::Params;
use trama_sdk::store::Doc;
use trama_sdk::submit::Submission;
use trama_sdk::{Error, Result, audit, clock, files, local, t};

use super::desk::closed;
use super::file::render;
use crate::access::{self, Relation};
use crate::attachment::{self, Attachment};
use crate::case::State;
use crate::config::Settings;

fn line(doc: &Doc<Attachment>) -> Value {
    let a = &doc.data;
    json!({
        "id": a.file.id,
        "title": a.title,
        "name": a.file.name,
        "kind": a.file.kind.label(),
        "kib": files::kib(a.file.size, i18n::current()),
        "shareable": a.shareable,
        "when": local::numeric(a.at),
        "author": a.author_name,
    })
}

/// The documents a reader sees: staff all, the person the shareable ones.
pub fn list(case: &str, relation: Relation) -> Result<Vec<Value>> {
    Ok(attachment::of_case(case)?
        .iter()
        .filter(|doc| relation.is_staff() || doc.data.shareable)
        .map(line)
        .collect())
}

/// What the upload form needs: the accepted types and size.
pub fn form() -> Result<Value> {
    let accept = Settings::load()?.attachments();
    let kinds: Vec<&str> = accept.kinds.iter().map(|k| k.label()).collect();
    Ok(json!({
        "accept": accept.html_accept(),
        "hint": t!(
            "casework.attachment.hint",
            kinds = kinds.join(", "),
            max = files::kib(u64::from(accept.max_kb) * 1024, i18n::current())
        ),
    }))
}

/// `POST /cases/{id}/attachments` (+ `/api/`), the case's staff, a form with files: `file`,
/// `title`, `shareable`. Audited as `case.attachment_added` (the file's id, type and size).
pub fn upload(request: Request, params: Params) -> Result<Response> {
    let user = identity::require_login()?;
    let id = params.get("id")?.to_owned();
    let (doc, _) = access::for_staff(&id, &user)?;
    let sub = Submission::read(&request, "attachment", attachment::FIELDS)?;
    let show = |status, form| render(&id, &user, status, Some(form));
    if doc.data.status == State::Closed {
        return sub.failed(closed(), show);
    }
    let settings = Settings::load()?;
    let (title, shareable) = match attachment::check(&sub.input, &files::uploads(), &settings) {
        Ok(checked) => checked,
        Err(problems) => return sub.refused(problems, show),
    };
    let added = attachment::keep(&id, title, shareable, &user, clock::now_ms())?;
    audit::record(
        "case.attachment_added",
        &id,
        &json!({
            "file": added.data.file.id,
            "kind": added.data.file.kind.key(),
            "size": added.data.file.size,
            "shareable": shareable,
        }),
    )?;
    sub.done(
        &json!({ "id": added.data.file.id, "name": added.data.file.name }),
        &format!("/cases/{id}#attachments"),
    )
    .map(|answer| answer.with_notice(t!("casework.attachment.done", name = added.data.title)))
}

/// `GET /cases/{id}/attachments/{file}`: the document, for whoever may see the case (the person:
/// a shareable one); anyone else `404`. Every download is audited as `case.attachment_read`.
pub fn download(_: Request, params: Params) -> Result<Response> {
    let user = identity::require_login()?;
    let id = params.get("id")?;
    let file = params.get("file")?;
    let (_, relation) = access::load(id, &user)?;
    let found = attachment::of_case(id)?
        .into_iter()
        .find(|doc| doc.data.file.id == file && (relation.is_staff() || doc.data.shareable))
        .ok_or_else(|| Error::not_found(t!("sdk.files.not_found")))?;
    audit::record(
        "case.attachment_read",
        id,
        &json!({ "file": found.data.file.id, "reader": user.id, "relation": relation.key() }),
    )?;
    files::download(&found.data.file.id)
}
