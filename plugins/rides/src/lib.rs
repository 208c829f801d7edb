//! Social transport: people ask for accompanied rides to appointments and services, within a
//! monthly limit per person; operators see every ride, the drivers and a spreadsheet export.
//!
//! This is the plugin `docs/plugin-guide.md` builds step by step: the guide includes its code
//! from these files, and a test checks that the two never differ.

pub mod ride;

use trama_sdk::personal_data::{Erased, Export, owned_by};

// ANCHOR: http
use serde::Deserialize;
use serde_json::json;
use trama_sdk::csv::Sheet;
use trama_sdk::http::{Request, Response};
use trama_sdk::i18n::lang;
use trama_sdk::input::{FormState, with_form};
use trama_sdk::router::{Params, Router};
use trama_sdk::submit::Submission;
use trama_sdk::web::Audience;
use trama_sdk::{Plugin, Result, clock, identity, local, settings};

use crate::ride::{RIDES, Ride};

/// Who runs the service: the municipality's operators (and the instance's administrators).
const OPERATORS: Audience = Audience {
    roles: &["operator", "admin"],
    refusal: "rides.refusal.operators",
};

#[derive(Deserialize)]
struct Settings {
    rides_per_month: u32,
}

/// `GET /`: the request form, the person's rides and how many are left this month.
fn home(request: Request, _: Params) -> Result<Response> {
    page(&request, 200, None)
}

fn page(request: &Request, status: u16, form: Option<FormState>) -> Result<Response> {
    let user = identity::require_login()?;
    let limit = settings::get::<Settings>()?.rides_per_month;
    let now = clock::now_ms();
    let used = ride::quota(limit).used(&user.id, now)?;
    let rides: Vec<_> = ride::of_person(&user.id, 50)?
        .into_iter()
        .map(|doc| json!({ "destination": doc.data.destination, "when": local::long_date_time(doc.data.at, lang(request)) }))
        .collect();
    let context = json!({ "rides": rides, "left": limit.saturating_sub(used), "operator": OPERATORS.admits() });
    Response::render_with_status(status, "index.html", &with_form(context, form))
}

/// `POST /rides` (a form) and `POST /api/rides` (JSON): `201` with the ride, or back to the
/// page; a refused request shows the page again with each problem next to its field.
fn ask(request: Request, _: Params) -> Result<Response> {
    let user = identity::require_login()?;
    let sub = Submission::read(&request, "ride", ride::FIELDS)?;
    let show = |status, form| page(&request, status, Some(form));
    let now = clock::now_ms();
    let asked = match ride::check(&sub.input, now) {
        Ok(asked) => asked,
        Err(problems) => return sub.refused(problems, show),
    };
    let limit = settings::get::<Settings>()?.rides_per_month;
    sub.answer(
        ride::book(&user, &asked, limit, now, sub.lang),
        |doc| sub.done(&json!({ "id": doc.id, "at": doc.data.at }), "/"),
        show,
    )
}
// ANCHOR_END: http

// ANCHOR: operators
/// `GET /api/drivers` (operators): the accounts holding the `driver` role, always current —
/// a revoked driver disappears at once, because the plugin keeps no copy.
fn drivers(request: Request, _: Params) -> Result<Response> {
    OPERATORS.require(lang(&request))?;
    let drivers: Vec<_> = identity::holders("driver")?
        .into_iter()
        .map(|u| json!({ "username": u.username, "name": u.display_name }))
        .collect();
    Response::json(&drivers)
}

/// `GET /rides.csv` (operators): every ride, for the operator's spreadsheet.
fn export(request: Request, _: Params) -> Result<Response> {
    let lang = lang(&request);
    OPERATORS.require(lang)?;
    let mut sheet = Sheet::new(lang);
    sheet.header(&["rides.csv.when", "rides.csv.who", "rides.csv.destination"]);
    for doc in RIDES.query().order_by("at").fetch_all()? {
        let Ride {
            name,
            destination,
            at,
            ..
        } = doc.data;
        sheet.row(&[local::numeric(at), name, destination]);
    }
    Ok(sheet.download("rides.csv"))
}
// ANCHOR_END: operators

/// `GET /api/mine`: the caller's rides for the kernel's `/me` page.
fn mine(request: Request, _: Params) -> Result<Response> {
    let user = identity::require_login()?;
    let rides: Vec<_> = ride::of_person(&user.id, 20)?
        .into_iter()
        .map(|doc| {
            let when = local::long_date_time(doc.data.at, lang(&request));
            json!({ "title": format!("{} — {when}", doc.data.destination), "status": "", "href": "/p/rides/" })
        })
        .collect();
    Response::json(&rides)
}

/// `GET /api/personal-data` (the kernel, as the person): their rides and monthly counts.
fn personal_data(_: Request, _: Params) -> Result<Response> {
    let user = identity::require_login()?;
    let rides = owned_by(&RIDES, "person", &user.id)?;
    let quota = ride::quota(u32::MAX);
    let mut months = std::collections::BTreeMap::new();
    for doc in &rides {
        let day = local::today(doc.data.at);
        let month = format!("{:04}-{:02}", day.year, day.month);
        months.insert(month, quota.used(&user.id, doc.data.at)?);
    }
    Export::new()
        .with("rides", &rides)?
        .with_value("rides_per_month", json!(months))
        .response()
}

/// `DELETE /api/personal-data` (the kernel, as the person, carrying out an erasure): every
/// ride and monthly count goes. Nothing here must be kept: no money moves and no rule asks
/// the service to keep who went where (a destination may reveal someone's health).
fn erase_personal_data(_: Request, _: Params) -> Result<Response> {
    let user = identity::require_login()?;
    let quota = ride::quota(u32::MAX);
    let mut erased = Erased::default();
    for doc in owned_by(&RIDES, "person", &user.id)? {
        quota.forget(&user.id, doc.data.at)?;
        if RIDES.delete(&doc.id)? {
            erased.count(1);
        }
    }
    erased.response()
}

// ANCHOR: plugin
#[derive(Default)]
pub struct Rides;

impl Plugin for Rides {
    fn handle(&self, request: Request) -> Result<Response> {
        Router::new()
            .get("/", home)
            .post("/rides", ask)
            .post("/api/rides", ask)
            .get("/api/drivers", drivers)
            .get("/rides.csv", export)
            .get("/api/mine", mine)
            .get("/api/personal-data", personal_data)
            .delete("/api/personal-data", erase_personal_data)
            .handle(request)
    }
}

trama_sdk::export_plugin!(Rides);
// ANCHOR_END: plugin
