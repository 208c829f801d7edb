//! `GET /`: one page for everyone, by role — the citizen's applications ("Le mie domande")
//! and the open campaigns, the operators' shortcuts, the merchants' link; and whether any
//! campaign is open, for the instance's home page.

use serde_json::json;
use trama_sdk::availability::Availability;
use trama_sdk::http::{Request, Response};
use trama_sdk::router::Params;
use trama_sdk::{Result, clock, identity, t};

use super::{OPERATORS, lang};
use crate::campaign::{CAMPAIGNS, Campaign, CampaignView, Phase, State};
use crate::config::Settings;
use crate::web::applications;
use trama_sdk::store::Doc;

/// The campaigns taking applications `today`, the first to close first (at most 200).
fn open_campaigns(today: trama_sdk::clock::Date) -> Result<Vec<Doc<Campaign>>> {
    Ok(CAMPAIGNS
        .query()
        .filter("state", trama_sdk::store::Cmp::Eq, "active")
        .order_by("closes_on")
        .limit(200)
        .fetch()?
        .into_iter()
        .filter(|doc| doc.data.state == State::Active && doc.data.phase(today) == Phase::Open)
        .collect())
}

pub fn page(request: Request, _: Params) -> Result<Response> {
    let lang = lang(&request);
    let settings = Settings::load()?;
    let today = clock::today();
    let open: Vec<CampaignView> = open_campaigns(today)?
        .iter()
        .map(|doc| CampaignView::new(doc, today, lang))
        .collect();
    let user = identity::caller();
    let mine = match &user {
        Some(user) => applications::mine(user, lang)?,
        None => Vec::new(),
    };
    Response::render(
        "index.html",
        &json!({
            "municipality": settings.municipality_name,
            "logged_in": user.is_some(),
            "is_operator": OPERATORS.admits(),
            "is_merchant": identity::has_role("merchant"),
            "open_campaigns": open,
            "mine": mine,
        }),
    )
}

/// `GET /api/status` (anyone; the kernel, for the home page's card): open while a campaign
/// takes applications, with how many and the first closing date.
pub fn status(request: Request, _: Params) -> Result<Response> {
    let lang = lang(&request);
    let today = clock::today();
    let open = open_campaigns(today)?;
    let answer = match open.first() {
        None => Availability::closed(t!("vouchers.status.none")),
        Some(first) => {
            let closes = trama_sdk::clock::Date::parse(&first.data.closes_on)
                .map(|date| trama_sdk::local::long_date(date, lang))
                .unwrap_or_else(|_| first.data.closes_on.clone());
            Availability::open(if open.len() == 1 {
                t!("vouchers.status.one", date = closes)
            } else {
                t!("vouchers.status.many", n = open.len(), date = closes)
            })
        }
    };
    answer.respond()
}
