//! A booking's page and its actions: the person cancels, rates and downloads the `.ics`; the
//! provider confirms, declines and marks it done. Anyone else gets `404`.

use serde_json::{Value, json};
use trama_sdk::http::{Request, Response};
use trama_sdk::i18n::{Lang, lang};
use trama_sdk::identity::{self, User};
use trama_sdk::input::{FormState, Problems, with_form};
use trama_sdk::money::format_cents;
use trama_sdk::router::Params;
use trama_sdk::store::{Cmp, Doc};
use trama_sdk::submit::Submission;
use trama_sdk::{Error, Result, clock, local, t};

use crate::booking::{self, BOOKINGS, Booking, Status};
use crate::config::Settings;
use crate::decide;
use crate::ics;
use crate::provider;
use crate::published;
use crate::rating;
use crate::service;

/// Who is looking at a booking.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Viewer {
    Person,
    Provider,
}

fn read(id: &str, user: &User) -> Result<(Doc<Booking>, Viewer)> {
    let doc = booking::load(id)?;
    if doc.data.person == user.id {
        return Ok((doc, Viewer::Person));
    }
    let provider = provider::load(&doc.data.provider)?;
    if provider.data.user_id.as_deref() == Some(user.id.as_str()) {
        return Ok((doc, Viewer::Provider));
    }
    Err(Error::not_found(t!("services.booking.unknown")))
}

/// A booking as lists and its page show it.
pub fn view(doc: &Doc<Booking>, lang: Lang, cancel_hours: i64) -> Result<Value> {
    let b = &doc.data;
    let service = service::load(&b.service)?;
    let now = clock::now_ms();
    let deadline = decide::cancel_deadline(b, cancel_hours);
    Ok(json!({
        "id": doc.id,
        "service_id": b.service,
        "service": service.data.offer.title,
        "address": service.data.offer.address,
        "person": b.person_name,
        "note": b.note,
        "status": b.status.key(),
        "status_label": b.status.label(),
        "request": b.slot.is_none(),
        "when": b.start_at.map(|at| local::long_date_time(at, lang)),
        "minutes": b.minutes,
        "paid_directly": format_cents(b.charge.paid_directly_cents, lang),
        "paid_directly_cents": b.charge.paid_directly_cents,
        "paid_by_credit": b.charge.sources.iter().map(|(source, cents)| json!({
            "source": source,
            "label": crate::settlement::source_label(source),
            "amount": format_cents(*cents, lang),
            "cents": cents,
        })).collect::<Vec<_>>(),
        "cancellable": matches!(b.status, Status::Requested | Status::Confirmed)
            && deadline.is_none_or(|d| now <= d),
        "cancel_until": deadline.map(local::numeric),
        "calendar": b.status == Status::Confirmed && b.start_at.is_some(),
        "rateable": b.status == Status::Done && b.rating.is_none(),
        "rating": b.rating,
    }))
}

fn render(
    id: &str,
    user: &User,
    lang: Lang,
    status: u16,
    form: Option<FormState>,
) -> Result<Response> {
    let (doc, viewer) = read(id, user)?;
    let settings = Settings::load()?;
    let context = json!({
        "booking": view(&doc, lang, settings.cancel_hours)?,
        "person": viewer == Viewer::Person,
        "provider": viewer == Viewer::Provider,
    });
    Response::render_with_status(status, "booking.html", &with_form(context, form))
}

/// `GET /bookings/{id}`
pub fn page(request: Request, params: Params) -> Result<Response> {
    let lang = lang(&request);
    let user = identity::require_login_in(lang)?;
    render(params.get("id")?, &user, lang, 200, None)
}

/// `GET /api/bookings/{id}`
pub fn api(request: Request, params: Params) -> Result<Response> {
    let lang = lang(&request);
    let user = identity::require_login_in(lang)?;
    let (doc, _) = read(params.get("id")?, &user)?;
    Response::json(&view(&doc, lang, Settings::load()?.cancel_hours)?)
}

/// `GET /bookings` and `GET /api/bookings`: the caller's own bookings, newest first.
fn own(request: &Request) -> Result<Vec<Value>> {
    let lang = lang(request);
    let user = identity::require_login_in(lang)?;
    let hours = Settings::load()?.cancel_hours;
    BOOKINGS
        .query()
        .filter("person", Cmp::Eq, user.id.as_str())
        .order_by_desc("created_at")
        .fetch_all()?
        .iter()
        .map(|b| view(b, lang, hours))
        .collect()
}

pub fn mine(request: Request, _: Params) -> Result<Response> {
    Response::render("mine.html", &json!({ "bookings": own(&request)? }))
}

pub fn mine_api(request: Request, _: Params) -> Result<Response> {
    Response::json(&json!({ "bookings": own(&request)? }))
}

/// Why an action on a booking was refused: fields to fix, or anything else.
enum Failure {
    Fields(Problems),
    Other(Error),
}

impl From<Error> for Failure {
    fn from(err: Error) -> Self {
        Self::Other(err)
    }
}

/// A form on the booking's page by `who`, run by `act`.
fn act(
    request: &Request,
    params: &Params,
    form: &str,
    fields: &[&str],
    who: Viewer,
    act: impl FnOnce(&Submission, Doc<Booking>, i64) -> std::result::Result<Doc<Booking>, Failure>,
) -> Result<Response> {
    let lang = lang(request);
    let user = identity::require_login_in(lang)?;
    let id = params.get("id")?.to_owned();
    let (doc, viewer) = read(&id, &user)?;
    if viewer != who {
        return Err(Error::not_found(t!("services.booking.unknown")));
    }
    let sub = Submission::read(request, form, fields)?;
    let show = |status, form| render(&id, &user, lang, status, Some(form));
    match act(&sub, doc, clock::now_ms()) {
        Ok(doc) => sub.done(
            &json!({ "id": doc.id, "status": doc.data.status.key() }),
            &format!("/bookings/{id}"),
        ),
        Err(Failure::Fields(problems)) => sub.refused(problems, show),
        Err(Failure::Other(err)) => sub.failed(err, show),
    }
}

/// `POST /bookings/{id}/confirm` (+ `/api/`), the provider; a request also needs `date`,
/// `start`, `minutes`.
pub fn confirm(request: Request, params: Params) -> Result<Response> {
    act(
        &request,
        &params,
        "confirm",
        &["date", "start", "minutes"],
        Viewer::Provider,
        |sub, doc, now| {
            let service = service::load(&doc.data.service)?;
            let appointment = if doc.data.slot.is_none() {
                Some(decide::read_appointment(&sub.input).map_err(Failure::Fields)?)
            } else {
                None
            };
            let doc = decide::confirm(&doc.id, &service.data, appointment, now)?;
            Ok(published::changed(doc, &service)?)
        },
    )
}

/// `POST /bookings/{id}/decline` (+ `/api/`), the provider.
pub fn decline(request: Request, params: Params) -> Result<Response> {
    act(
        &request,
        &params,
        "decline",
        &[],
        Viewer::Provider,
        |_, doc, now| {
            let service = service::load(&doc.data.service)?;
            Ok(published::changed(
                decide::decline(&doc.id, &service.data, now)?,
                &service,
            )?)
        },
    )
}

/// `POST /bookings/{id}/done` (+ `/api/`), the provider, once it has started.
pub fn done(request: Request, params: Params) -> Result<Response> {
    act(
        &request,
        &params,
        "done",
        &[],
        Viewer::Provider,
        |_, doc, now| {
            let service = service::load(&doc.data.service)?;
            Ok(published::changed(
                decide::done(&doc.id, &service.data, now)?,
                &service,
            )?)
        },
    )
}

/// `POST /bookings/{id}/cancel` (+ `/api/`), the person, until the deadline.
pub fn cancel(request: Request, params: Params) -> Result<Response> {
    act(
        &request,
        &params,
        "cancel",
        &[],
        Viewer::Person,
        |_, doc, now| {
            let hours = Settings::load()?.cancel_hours;
            let provider = provider::load(&doc.data.provider)?;
            let service = service::load(&doc.data.service)?;
            let doc = published::changed(decide::cancel(doc, hours, now)?, &service)?;
            booking::tell_provider(&provider, &service.data, &doc, "cancelled")?;
            Ok(doc)
        },
    )
}

/// `POST /bookings/{id}/rate` (+ `/api/`), the person, once done: `stars`, `comment`.
pub fn rate(request: Request, params: Params) -> Result<Response> {
    act(
        &request,
        &params,
        "rate",
        &["stars", "comment"],
        Viewer::Person,
        |sub, doc, now| {
            let (stars, comment) = rating::check(&sub.input).map_err(Failure::Fields)?;
            Ok(rating::rate(doc, stars, comment, now)?)
        },
    )
}

/// `GET /bookings/{id}/calendar.ics`: a confirmed booking for the person's calendar.
pub fn calendar(request: Request, params: Params) -> Result<Response> {
    let user = identity::require_login_in(lang(&request))?;
    let (doc, _) = read(params.get("id")?, &user)?;
    let b = &doc.data;
    let (Some(start), Status::Confirmed) = (b.start_at, b.status) else {
        return Err(Error::not_found(t!("services.booking.no_calendar")));
    };
    let service = service::load(&b.service)?;
    let text = ics::calendar(&ics::Event {
        uid: &format!("booking-{}@services.trama", doc.id),
        start_ms: start,
        minutes: b.minutes.unwrap_or(60),
        stamp_ms: clock::now_ms(),
        summary: &service.data.offer.title,
        location: &service.data.offer.address,
        description: &service.data.offer.hours,
    });
    Ok(Response::download(
        format!("booking-{}.ics", doc.id),
        "text/calendar; charset=utf-8",
        text.into_bytes(),
    ))
}
