//! A request for reimbursement on its own page: the receipt with its protocol number, what the
//! employee sent and its history as a timeline. The employee who sent it, HR of its company and
//! the operators see it; anyone else is told it does not exist.

use serde_json::json;
use trama_sdk::http::{Request, Response};
use trama_sdk::identity::{self, User};
use trama_sdk::router::Params;
use trama_sdk::store::Doc;
use trama_sdk::{Error, Result, t};

use super::{OPERATORS, lang};
use crate::company;
use crate::reimbursement::{REIMBURSEMENTS, Reimbursement, ReimbursementView};

/// The request `id`, if `user` may see it.
fn visible(id: &str, user: &User) -> Result<Doc<Reimbursement>> {
    let not_found = || Error::not_found(t!("corporate_plans.reimbursement.no_request", id = id));
    let doc = REIMBURSEMENTS.get(id)?.ok_or_else(not_found)?;
    if doc.data.user_id == user.id || OPERATORS.admits() {
        return Ok(doc);
    }
    match company::hr_company_of(user)? {
        Some(company) if company.id == doc.data.company => Ok(doc),
        _ => Err(not_found()),
    }
}

/// `GET /reimbursements/{id}`: the request's receipt, details and history.
pub fn page(request: Request, params: Params) -> Result<Response> {
    let lang = lang(&request);
    let user = identity::require_login_in(lang)?;
    let doc = visible(params.get("id")?, &user)?;
    Response::render(
        "reimbursement.html",
        &json!({
            "request": ReimbursementView::new(&doc, lang),
            "is_mine": doc.data.user_id == user.id,
        }),
    )
}

/// `GET /api/reimbursements/{id}`: the same, in JSON.
pub fn api_get(request: Request, params: Params) -> Result<Response> {
    let lang = lang(&request);
    let user = identity::require_login_in(lang)?;
    let doc = visible(params.get("id")?, &user)?;
    Response::json(&ReimbursementView::new(&doc, lang))
}
