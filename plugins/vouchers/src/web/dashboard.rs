//! The operators' dashboard: `GET /dashboard` (plain HTML, reload to refresh) and
//! `GET /api/dashboard` (the same figures as JSON).

use serde_json::json;
use trama_sdk::http::{Request, Response};
use trama_sdk::router::Params;
use trama_sdk::{Result, clock};

use super::{OPERATORS, lang};
use crate::dashboard;

/// `GET /dashboard` (operators)
pub fn page(request: Request, _: Params) -> Result<Response> {
    let lang = lang(&request);
    OPERATORS.require(lang)?;
    let figures = dashboard::build(clock::today(), lang)?;
    Response::render(
        "dashboard.html",
        &json!({ "dashboard": figures, "generated_utc": clock::now().to_string() }),
    )
}

/// `GET /api/dashboard` (operators)
pub fn api(request: Request, _: Params) -> Result<Response> {
    let lang = lang(&request);
    OPERATORS.require(lang)?;
    Response::json(&dashboard::build(clock::today(), lang)?)
}
