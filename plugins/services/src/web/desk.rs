//! The provider's desk: its services (publish one, add slots and photos) and the bookings to
//! confirm, decline or mark done. Only the account the admissions register links to an active
//! provider acts for it.

use serde_json::{Value, json};
use trama_sdk::http::{Request, Response};
use trama_sdk::i18n::{Lang, lang};
use trama_sdk::identity::{self, User};
use trama_sdk::input::{FormState, with_form};
use trama_sdk::router::Params;
use trama_sdk::store::Cmp;
use trama_sdk::submit::Submission;
use trama_sdk::{Error, Result, clock, local, t};

use crate::booking::{BOOKINGS, Status};
use crate::config::Settings;
use crate::provider;
use crate::published;
use crate::service::{self, PriceModel, SERVICES};
use crate::slot;

fn provider_view(doc: &trama_sdk::store::Doc<provider::Provider>, lang: Lang) -> Result<Value> {
    let now = clock::now_ms();
    let hours = Settings::load()?.cancel_hours;
    let mut services = Vec::new();
    for s in SERVICES
        .query()
        .filter("provider", Cmp::Eq, doc.id.as_str())
        .order_by_desc("created_at")
        .fetch_all()?
    {
        let mut view = service::view(&s, doc, lang);
        view["slots"] = slot::upcoming(&s.id, now)?
            .iter()
            .map(|x| slot::view(x, lang))
            .collect();
        services.push(view);
    }
    let bookings = BOOKINGS
        .query()
        .filter("provider", Cmp::Eq, doc.id.as_str())
        .order_by_desc("created_at")
        .limit(200)
        .fetch()?
        .iter()
        .filter(|b| matches!(b.data.status, Status::Requested | Status::Confirmed))
        .map(|b| super::bookings::view(b, lang, hours))
        .collect::<Result<Vec<_>>>()?;
    Ok(json!({
        "card": provider::card(doc),
        "services": services,
        "bookings": bookings,
    }))
}

/// The desk, with `form` shown again when one was refused.
pub(super) fn render(
    user: &User,
    lang: Lang,
    status: u16,
    form: Option<FormState>,
) -> Result<Response> {
    let providers = provider::of_user(user)?
        .iter()
        .map(|p| provider_view(p, lang))
        .collect::<Result<Vec<_>>>()?;
    let prices: Vec<Value> = PriceModel::ALL
        .iter()
        .map(|m| json!({ "value": m.key(), "label": m.label() }))
        .collect();
    let settings = Settings::load()?;
    let context = json!({
        "providers": providers,
        "photo_form": super::photos::form(&settings),
        "categories": settings.categories,
        "prices": prices,
        "today": local::today(clock::now_ms()).to_string(),
    });
    Response::render_with_status(status, "desk.html", &with_form(context, form))
}

/// `GET /provider`: the desk of the providers the caller acts for.
pub fn page(request: Request, _: Params) -> Result<Response> {
    let lang = lang(&request);
    let user = identity::require_login_in(lang)?;
    render(&user, lang, 200, None)
}

/// `GET /api/provider`
pub fn api(request: Request, _: Params) -> Result<Response> {
    let lang = lang(&request);
    let user = identity::require_login_in(lang)?;
    let providers = provider::of_user(&user)?
        .iter()
        .map(|p| provider_view(p, lang))
        .collect::<Result<Vec<_>>>()?;
    Response::json(&json!({ "providers": providers }))
}

/// `POST /provider/{id}/services` (+ `/api/`): publishes a service (see [`service::FIELDS`]).
pub fn publish(request: Request, params: Params) -> Result<Response> {
    let lang = lang(&request);
    let user = identity::require_login_in(lang)?;
    let provider = provider::acting(&user, params.get("id")?)?;
    let sub = Submission::read(&request, "service", service::FIELDS)?;
    let show = |status, form| render(&user, lang, status, Some(form));
    let draft = match service::check(&sub.input, &Settings::load()?, lang) {
        Ok(draft) => draft,
        Err(problems) => return sub.refused(problems, show),
    };
    let doc = published::service(service::publish(&provider.id, draft, clock::now_ms())?)?;
    sub.done(&json!({ "id": doc.id }), "/provider")
}

/// `POST /services/{id}/slots` (+ `/api/`): a slot of one of the caller's services
/// (`date`, `start`, `minutes`, `capacity`).
pub fn add_slot(request: Request, params: Params) -> Result<Response> {
    let lang = lang(&request);
    let user = identity::require_login_in(lang)?;
    let service = service::load(params.get("id")?)?;
    provider::acting(&user, &service.data.provider)?;
    if service.data.hidden {
        return Err(Error::conflict(t!("services.service.hidden")));
    }
    let sub = Submission::read(&request, &format!("slot-{}", service.id), slot::FIELDS)?;
    let show = |status, form| render(&user, lang, status, Some(form));
    let today = local::today(clock::now_ms());
    let draft = match slot::check(&sub.input, &service.data, today) {
        Ok(draft) => draft,
        Err(problems) => return sub.refused(problems, show),
    };
    let doc = slot::publish(&service.id, &service.data, draft)?;
    sub.done(&json!({ "id": doc.id }), "/provider")
}
