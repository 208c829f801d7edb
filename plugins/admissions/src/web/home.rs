//! `GET /`: one page for everyone — what the network is and how to join, the applicant's own
//! applications and register entries, the committee's shortcut — and the ethics code.

use serde_json::json;
use trama_sdk::availability::Availability;
use trama_sdk::http::{Request, Response};
use trama_sdk::router::Params;
use trama_sdk::{Result, identity, t};

use super::applications::mine;
use crate::config::Settings;
use crate::provider::{self, PROVIDERS, ProviderView, Status};
use crate::roster;
use trama_sdk::store::Cmp;

pub fn page(_: Request, _: Params) -> Result<Response> {
    let settings = Settings::load()?;
    let user = identity::caller();
    let (applications, entries) = match &user {
        Some(user) => (
            mine(user, &settings)?,
            provider::of_user(&user.id)?
                .iter()
                .map(ProviderView::new)
                .collect(),
        ),
        None => (Vec::new(), Vec::<ProviderView>::new()),
    };
    let accredited = PROVIDERS
        .query()
        .filter("status", Cmp::Eq, Status::Active.key())
        .count()?;
    Response::render(
        "index.html",
        &json!({
            "network": settings.network_name,
            "logged_in": user.is_some(),
            "is_member": user.is_some() && identity::has_role(roster::ROLE),
            "applications": applications,
            "entries": entries,
            "accredited": accredited,
            "ethics_version": settings.ethics_code_version,
            "window": settings.voting_window.describe(),
            "validity": settings.accreditation_validity.describe(),
        }),
    )
}

fn ethics_context(settings: &Settings) -> serde_json::Value {
    json!({
        "network": settings.network_name,
        "version": settings.ethics_code_version,
        "text": settings.ethics_code_text,
        "paragraphs": settings
            .ethics_code_text
            .split("\n\n")
            .flat_map(|block| block.lines())
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .collect::<Vec<_>>(),
        "declarations": settings.declarations,
    })
}

/// `GET /ethics` (public): the ethics code in force.
pub fn ethics(_: Request, _: Params) -> Result<Response> {
    let settings = Settings::load()?;
    Response::render("ethics.html", &ethics_context(&settings))
}

/// `GET /api/ethics` (public): `{network, version, text, paragraphs, declarations}`.
pub fn api_ethics(_: Request, _: Params) -> Result<Response> {
    let settings = Settings::load()?;
    Response::json(&ethics_context(&settings))
}

/// `GET /api/status` (anyone; the kernel, for the home page's card): applications are taken at
/// any time, so the service is open; the note says how many organisations are accredited.
pub fn status(_: Request, _: Params) -> Result<Response> {
    let accredited = PROVIDERS
        .query()
        .filter("status", Cmp::Eq, Status::Active.key())
        .count()?;
    Availability::open(t!("admissions.status.open", n = accredited)).respond()
}
