//! Photos on the provider's desk (add one with a form with a file, remove one) and the photo
//! itself, public like its service.

use serde_json::{Value, json};
use trama_sdk::http::{Request, Response};
use trama_sdk::i18n::{self, lang};
use trama_sdk::identity::{self, User};
use trama_sdk::router::Params;
use trama_sdk::store::Doc;
use trama_sdk::submit::Submission;
use trama_sdk::{Error, Result, files, t};

use super::desk;
use crate::config::Settings;
use crate::photo;
use crate::provider;
use crate::service::{self, Service};

/// What the desk's photo forms need: how many a service may show, the `accept` attribute and
/// the hint naming the types and the size.
pub fn form(settings: &Settings) -> Value {
    let accept = settings.photos();
    let kinds: Vec<&str> = accept.kinds.iter().map(|k| k.label()).collect();
    json!({
        "max": settings.photos_max,
        "accept": accept.html_accept(),
        "hint": t!(
            "services.photo.hint",
            kinds = kinds.join(", "),
            max = files::kib(u64::from(accept.max_kb) * 1024, i18n::current())
        ),
    })
}

/// The service `id` of a provider the caller acts for (an active one), or the refusal.
fn own_service(user: &User, id: &str) -> Result<Doc<Service>> {
    let service = service::load(id)?;
    provider::acting(user, &service.data.provider)?;
    Ok(service)
}

/// `POST /services/{id}/photos` (+ `/api/`), the provider's account, a form with a file:
/// `photo` (JPEG, PNG or WebP), `alt` (what it shows). `201` `{id, src}`.
pub fn add(request: Request, params: Params) -> Result<Response> {
    let lang = lang(&request);
    let user = identity::require_login_in(lang)?;
    let service = own_service(&user, params.get("id")?)?;
    let sub = Submission::read(&request, &format!("photo-{}", service.id), photo::FIELDS)?;
    let show = |status, form| desk::render(&user, lang, status, Some(form));
    if service.data.hidden {
        return sub.failed(Error::conflict(t!("services.service.hidden")), show);
    }
    let settings = Settings::load()?;
    let alt = match photo::check(
        &sub.input,
        &files::uploads(),
        &settings,
        service.data.photos.len(),
    ) {
        Ok(alt) => alt,
        Err(problems) => return sub.refused(problems, show),
    };
    let outcome = photo::add(&service.id, alt, settings.photos_max);
    sub.answer(
        outcome,
        |added| {
            sub.done(
                &json!({ "id": added.file.id, "src": photo::src(&service.id, &added) }),
                "/provider",
            )
            .map(|answer| answer.with_notice(t!("services.photo.added")))
        },
        show,
    )
}

/// `POST /services/{id}/photos/{photo}/remove` (+ `/api/`), the provider's account: the photo
/// leaves the service and its file is deleted.
pub fn remove(request: Request, params: Params) -> Result<Response> {
    let lang = lang(&request);
    let user = identity::require_login_in(lang)?;
    let service = own_service(&user, params.get("id")?)?;
    let sub = Submission::read(&request, &format!("photo-{}", service.id), &[])?;
    let show = |status, form| desk::render(&user, lang, status, Some(form));
    let outcome = photo::remove(&service.id, params.get("photo")?);
    sub.answer(
        outcome,
        |doc| {
            sub.done(
                &json!({ "id": doc.id, "photos": doc.data.photos.len() }),
                "/provider",
            )
            .map(|answer| answer.with_notice(t!("services.photo.removed")))
        },
        show,
    )
}

/// `GET /services/{id}/photos/{photo}`: the image, with its type, to whoever may see the
/// service — anyone while it is shown; once hidden (or its provider no longer active) only
/// the provider's account and operators; anyone else `404`, as if it did not exist.
pub fn image(_: Request, params: Params) -> Result<Response> {
    let service = service::load(params.get("id")?)?;
    if !public(&service)? && !insider(&service)? {
        return Err(Error::not_found(t!("services.service.unknown")));
    }
    let found = photo::find(&service.data, params.get("photo")?)
        .ok_or_else(|| Error::not_found(t!("services.photo.unknown")))?;
    files::download_as(&found.file, photo::served_name(found))
}

/// Whether anyone may see `service`: not hidden, of an active provider.
fn public(service: &Doc<Service>) -> Result<bool> {
    Ok(!service.data.hidden && provider::load(&service.data.provider)?.data.is_active())
}

/// Whether the caller runs `service`'s provider or moderates.
fn insider(service: &Doc<Service>) -> Result<bool> {
    if identity::has_role("operator") {
        return Ok(true);
    }
    let Some(user) = identity::caller() else {
        return Ok(false);
    };
    let provider = provider::load(&service.data.provider)?;
    Ok(provider.data.user_id.as_deref() == Some(user.id.as_str()))
}
