//! `GET /`: one page for everyone, by role — the employee's wallets and the enrolments waiting
//! for their activation code, the HR office's and the operators' shortcuts, the providers'.

use serde_json::json;
use trama_sdk::Result;
use trama_sdk::availability::Availability;
use trama_sdk::http::{Request, Response};
use trama_sdk::i18n::Lang;
use trama_sdk::identity::{self, User};
use trama_sdk::router::Params;

use super::{FormState, OPERATORS, lang, with_form};
use crate::company::{self, HR};
use crate::config::Settings;
use crate::provider;

/// The home page of `user` (a form refused on it, e.g. a wrong activation code, is shown in
/// place).
pub fn page_for(user: &User, status: u16, form: Option<FormState>, lang: Lang) -> Result<Response> {
    let settings = Settings::load()?;
    let (wallets, pending) = super::wallet::my_wallets(user, lang)?;
    let company = company::hr_company_of(user)?.map(|c| c.data.name);
    let context = json!({
        "cooperative": settings.cooperative_name,
        "logged_in": true,
        "wallets": wallets,
        "pending": pending,
        "is_operator": OPERATORS.admits(),
        "is_hr": HR.admits(),
        "hr_company": company,
        "is_provider": !provider::of_user(user)?.is_empty(),
    });
    Response::render_with_status(status, "index.html", &with_form(context, form))
}

pub fn page(request: Request, _: Params) -> Result<Response> {
    let lang = lang(&request);
    match identity::caller() {
        Some(user) => page_for(&user, 200, None, lang),
        None => {
            let settings = Settings::load()?;
            Response::render(
                "index.html",
                &with_form(
                    json!({ "cooperative": settings.cooperative_name, "logged_in": false }),
                    None,
                ),
            )
        }
    }
}

/// `GET /api/status` (anyone; the kernel, for the home page's card): open while a company's
/// plan lets its employees spend credit today, saying how many.
pub fn status(_: Request, _: Params) -> Result<Response> {
    let today = trama_sdk::clock::today();
    let open = crate::plan::PLANS
        .query()
        .filter("state", trama_sdk::store::Cmp::Eq, "active")
        .fetch_all()?
        .iter()
        .filter(|plan| plan.data.is_open(today))
        .count();
    let answer = if open == 0 {
        Availability::closed(trama_sdk::t!("corporate_plans.status.none"))
    } else {
        Availability::open(trama_sdk::t!("corporate_plans.status.open", n = open))
    };
    answer.respond()
}
