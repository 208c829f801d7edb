//! `GET /api/mine`: the caller's welfare, as the kernel's "my applications and bookings" page
//! (`/me`) lists it (`[plugin] mine` in `plugin.toml`): their wallets with the balance, the
//! enrolments still waiting for the activation code, and their reimbursement requests with the
//! amount and HR's decision. Each item is `{title, status, href}` in the request's language.

use std::collections::HashMap;

use trama_sdk::http::{Request, Response};
use trama_sdk::i18n::Lang;
use trama_sdk::identity::{self, User};
use trama_sdk::mine::{self, Item, MOST};
use trama_sdk::money::format_cents;
use trama_sdk::router::Params;
use trama_sdk::store::Doc;
use trama_sdk::{Result, clock, t};

use super::{BASE, lang};
use crate::accounts;
use crate::category;
use crate::company::COMPANIES;
use crate::enrol::{self, Enrolment, MAX_FAILED_ATTEMPTS};
use crate::plan::{PLANS, Plan};
use crate::reimbursement::{self, Reimbursement, Status};

/// `Welfare 2025 — Acme srl`: which plan of which company.
fn plan_title(plan: &str, company: &str) -> String {
    if company.is_empty() {
        plan.to_owned()
    } else {
        format!("{plan} — {company}")
    }
}

/// What a wallet holds, and whether it can still be spent.
pub fn wallet_status(balance_cents: i64, over: bool, lang: Lang) -> String {
    let balance = format_cents(balance_cents, lang);
    if over {
        t!("corporate_plans.mine.plan_closed", balance = balance)
    } else {
        t!("corporate_plans.mine.credit_available", balance = balance)
    }
}

/// A reimbursement request: how much, for what, and HR's decision with its reason or note.
pub fn request_item(doc: &Doc<Reimbursement>, lang: Lang) -> Item {
    let r = &doc.data;
    let amount = format_cents(r.amount_cents, lang);
    let title = t!(
        "corporate_plans.mine.request",
        amount = amount,
        category = category::label(&r.category),
        receipt = r.receipt_reference
    );
    let status = match (&r.reason, r.status) {
        (Some(reason), Status::Approved | Status::Rejected) if !reason.is_empty() => t!(
            "corporate_plans.mine.decided",
            status = r.status.label(),
            reason = reason
        ),
        _ => r.status.label(),
    };
    Item {
        title,
        status,
        href: format!("{BASE}/wallets/{}", r.enrolment),
        at: r.decided_at.unwrap_or(r.submitted_at),
    }
}

/// The plans and companies' names, read once for all the caller's enrolments.
#[derive(Default)]
struct Names {
    plans: HashMap<String, Option<Plan>>,
    companies: HashMap<String, String>,
}

impl Names {
    fn plan(&mut self, id: &str) -> Result<Option<Plan>> {
        if !self.plans.contains_key(id) {
            let plan = PLANS.get(id)?.map(|p| p.data);
            self.plans.insert(id.to_owned(), plan);
        }
        Ok(self.plans.get(id).cloned().flatten())
    }

    fn company(&mut self, id: &str) -> Result<String> {
        if !self.companies.contains_key(id) {
            let name = COMPANIES.get(id)?.map(|c| c.data.name).unwrap_or_default();
            self.companies.insert(id.to_owned(), name);
        }
        Ok(self.companies.get(id).cloned().unwrap_or_default())
    }

    fn title(&mut self, enrolment: &Enrolment) -> Result<(String, Option<Plan>)> {
        let plan = self.plan(&enrolment.plan)?;
        let company = self.company(&enrolment.company)?;
        let title = plan.as_ref().map(|p| p.title.as_str()).unwrap_or_default();
        Ok((plan_title(title, &company), plan))
    }
}

/// The caller's wallets, pending enrolments and requests, newest first, at most [`MOST`].
pub fn mine(user: &User, lang: Lang) -> Result<Vec<Item>> {
    let enrol::Mine { active, pending } = enrol::of_user(user)?;
    let today = clock::today();
    let mut names = Names::default();
    let mut items = Vec::new();
    for doc in &active {
        let (title, plan) = names.title(&doc.data)?;
        let balance = accounts::balance(&accounts::wallet(&doc.id))?;
        let over = plan.as_ref().is_none_or(|p| p.is_over(today));
        items.push(Item {
            title,
            status: wallet_status(balance, over, lang),
            href: format!("{BASE}/wallets/{}", doc.id),
            at: doc.data.activated_at.unwrap_or(doc.data.enrolled_at),
        });
        items.extend(
            reimbursement::by("enrolment", &doc.id, MOST as u32, 0)?
                .iter()
                .map(|r| request_item(r, lang)),
        );
    }
    for doc in &pending {
        let (title, _) = names.title(&doc.data)?;
        let status = if doc.data.failed_attempts >= MAX_FAILED_ATTEMPTS {
            t!("corporate_plans.mine.locked")
        } else {
            t!("corporate_plans.mine.to_activate")
        };
        items.push(Item {
            title,
            status,
            // The activation form is on the home page.
            href: format!("{BASE}/"),
            at: doc.data.enrolled_at,
        });
    }
    Ok(mine::newest_first(items))
}

/// `GET /api/mine` (logged in): `[{title, status, href}]`.
pub fn api(request: Request, _: Params) -> Result<Response> {
    let lang = lang(&request);
    let user = identity::require_login_in(lang)?;
    Response::json(&mine(&user, lang)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(status: Status, reason: Option<&str>) -> Doc<Reimbursement> {
        Doc {
            id: "p.anna.FT12025".into(),
            version: 1,
            data: Reimbursement {
                submitted_at: 10,
                decided_at: (status != Status::Pending).then_some(20),
                reason: reason.map(str::to_owned),
                ..Reimbursement::sample(status, 30_000, "FT 1/2025")
            },
        }
    }

    #[test]
    fn a_wallet_says_what_it_holds_and_whether_it_is_closed() {
        assert_eq!(
            wallet_status(56_950, false, Lang::It),
            "Credito disponibile: 569,50 €"
        );
        trama_sdk::i18n::set_locale("en");
        let closed = wallet_status(0, true, Lang::En);
        trama_sdk::i18n::set_locale("it");
        assert_eq!(closed, "Plan closed, balance €0.00");
        assert_eq!(plan_title("Welfare 2025", "Acme"), "Welfare 2025 — Acme");
        assert_eq!(plan_title("Welfare 2025", ""), "Welfare 2025");
    }

    #[test]
    fn a_request_gives_the_amount_and_the_decision_with_its_reason() {
        let pending = request_item(&request(Status::Pending, None), Lang::It);
        assert_eq!(
            pending.title,
            format!(
                "Rimborso di 300,00 € — {}, ricevuta FT 1/2025",
                category::label("education")
            )
        );
        assert_eq!(pending.status, "In attesa");
        assert_eq!(pending.href, "/p/corporate-plans/wallets/p.anna");
        assert_eq!(pending.at, 10);
        trama_sdk::i18n::set_locale("en");
        let rejected = request_item(
            &request(Status::Rejected, Some("ricevuta illeggibile")),
            Lang::En,
        );
        trama_sdk::i18n::set_locale("it");
        assert_eq!(rejected.status, "Rejected: ricevuta illeggibile");
        assert!(rejected.title.starts_with("Reimbursement of €300.00"));
        assert_eq!(rejected.at, 20);
    }
}
