//! Employees buying services of the catalogue with their credit.
//!
//! A purchase is one ledger transfer from the employee's wallet to what the cooperative owes
//! the provider (`wallet/{e}` → `provider/{p}/owed`), under the key `buy/{purchase}`, where the
//! purchase id is `{enrolment}.{request id}` and the request id comes with the form (or the
//! JSON). The wallet is a funded account, so the ledger refuses — atomically, however many
//! purchases race — anything that would take it below zero; a retried request replays the
//! transfer instead of paying twice. The purchase document is written after the money moved
//! and tells the provider who bought what.
//!
//! A purchase needs an active enrolment of the caller, a plan open today whose categories
//! include the service's, a listed service of an active provider and, when the form says what
//! price the employee saw, that same price still.

use serde::{Deserialize, Serialize};
use trama_sdk::checked::IntoResult;
use trama_sdk::i18n::Lang;
use trama_sdk::identity::User;
use trama_sdk::input::{Input, Problems};
use trama_sdk::ledger::{self, LedgerError, TransferRequest};
use trama_sdk::money::{self, format_cents};
use trama_sdk::store::{Cmp, Collection, Doc};
use trama_sdk::{Error, Result, audit, clock, i18n, t};

use crate::accounts;
use crate::catalogue;
use crate::category;
use crate::enrol;
use crate::fields;
use crate::plan;
use crate::provider::{self, Status};

pub const PURCHASES: Collection<Purchase> = Collection::new("purchases");
pub const JSON_FIELDS: &[&str] = &["enrolment", "service", "price", "request_id"];

/// A purchase, id `{enrolment}.{request id}`. `plan`, `enrolment`, `provider` and `at` are
/// indexed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Purchase {
    pub plan: String,
    pub company: String,
    pub enrolment: String,
    pub user_id: String,
    pub employee_name: String,
    pub provider: String,
    pub provider_name: String,
    pub service: String,
    pub service_title: String,
    pub category: String,
    pub amount_cents: i64,
    pub request_id: String,
    pub transfer_id: String,
    pub at: i64,
}

/// A purchase request, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Order {
    pub enrolment: String,
    pub service: String,
    /// The price the employee saw, if the form says it.
    pub price_cents: Option<i64>,
    pub request_id: String,
}

pub fn read(input: &Input) -> std::result::Result<Order, Problems> {
    let mut problems = Problems::default();
    let enrolment = input.one("enrolment").unwrap_or_default().to_owned();
    if enrolment.is_empty() {
        problems.push("enrolment", t!("corporate_plans.purchase.choose_plan"));
    }
    let service = input.one("service").unwrap_or_default().to_owned();
    if service.is_empty() {
        problems.push("service", t!("corporate_plans.purchase.choose_service"));
    }
    let price_cents = match input.one("price") {
        None => None,
        Some(text) => match money::parse_euros(text) {
            Ok(cents) => Some(cents),
            Err(err) => {
                problems.push("price", err.describe(text, i18n::current()));
                None
            }
        },
    };
    let request_id = fields::request_id(input, &mut problems);
    problems.into_result(Order {
        enrolment,
        service,
        price_cents,
        request_id,
    })
}

/// Buys `order` for the caller (see the module documentation). `404` for an enrolment or
/// service that is not theirs or does not exist, `422` for a plan that is closed or does not
/// cover the category, `409` when the wallet holds less than the price (saying how much it
/// holds) or the price changed.
pub fn buy(user: &User, order: Order, lang: Lang) -> Result<Doc<Purchase>> {
    let enrolment = enrol::load_own(&order.enrolment, user)?;
    let id = format!("{}.{}", enrolment.id, order.request_id);
    if let Some(done) = PURCHASES.get(&id)? {
        if done.data.service != order.service {
            return Err(fields::reused());
        }
        return Ok(done);
    }
    let plan = plan::load(&enrolment.data.plan)?;
    let today = clock::today();
    if let Some(reason) = plan.data.closed_reason(today) {
        return Err(Error::invalid(t!(
            "corporate_plans.purchase.cannot_spend",
            reason = reason
        )));
    }
    let service = catalogue::load(&order.service)?;
    let provider = provider::load(&service.data.provider)?;
    let (Some(price), true, Status::Active) = (
        service.data.price_cents,
        service.data.listed,
        provider.data.status,
    ) else {
        return Err(Error::conflict(t!(
            "corporate_plans.purchase.unavailable",
            service = service.data.title
        )));
    };
    if !plan.data.allows(&service.data.category) {
        return Err(Error::invalid(t!(
            "corporate_plans.plan.category_not_covered",
            plan = plan.data.title,
            category = category::label(&service.data.category)
        )));
    }
    if let Some(seen) = order.price_cents
        && seen != price
    {
        return Err(Error::conflict(t!(
            "corporate_plans.purchase.price_changed",
            service = service.data.title,
            price = format_cents(price, lang),
            seen = format_cents(seen, lang)
        )));
    }
    let wallet = accounts::wallet(&enrolment.id);
    let transfer = ledger::transfer(
        &TransferRequest::new(
            &*wallet,
            accounts::provider_owed(&provider.id),
            price,
            format!("buy/{id}"),
        )
        .memo(format!(
            "{} — {}",
            service.data.title, provider.data.legal_name
        )),
    )
    .map_err(|err| match err {
        LedgerError::InsufficientFunds(_) => {
            let left = accounts::balance(&wallet).unwrap_or(0);
            Error::conflict(t!(
                "corporate_plans.purchase.credit_short",
                left = format_cents(left, lang),
                service = service.data.title,
                price = format_cents(price, lang)
            ))
        }
        LedgerError::Conflict(_) => fields::reused(),
        other => other.into(),
    })?;
    let purchase = Purchase {
        plan: plan.id.clone(),
        company: plan.data.company.clone(),
        enrolment: enrolment.id.clone(),
        user_id: user.id.clone(),
        employee_name: enrolment.data.full_name.clone(),
        provider: provider.id.clone(),
        provider_name: provider.data.legal_name.clone(),
        service: service.id.clone(),
        service_title: service.data.title.clone(),
        category: service.data.category.clone(),
        amount_cents: transfer.amount_cents,
        request_id: order.request_id,
        transfer_id: transfer.id,
        at: clock::now_ms(),
    };
    let doc = match PURCHASES.create(&id, purchase) {
        Ok(doc) => doc,
        Err(Error::Conflict(_)) => PURCHASES
            .get(&id)?
            .ok_or_else(|| Error::internal(format!("purchase {id} vanished")))?,
        Err(err) => return Err(err),
    };
    audit::record(
        "purchase.made",
        &doc.id,
        &serde_json::json!({
            "plan": doc.data.plan,
            "provider": doc.data.provider,
            "service": doc.data.service,
            "amount_cents": doc.data.amount_cents,
        }),
    )?;
    Ok(doc)
}

/// A purchase as pages and the API show it.
#[derive(Debug, Clone, Serialize)]
pub struct PurchaseView {
    pub id: String,
    pub plan: String,
    pub enrolment: String,
    pub employee_name: String,
    pub provider: String,
    pub provider_name: String,
    pub service: String,
    pub service_title: String,
    pub category: String,
    pub category_label: String,
    pub amount_cents: i64,
    pub amount_text: String,
    pub at_utc: String,
}

impl PurchaseView {
    pub fn new(doc: &Doc<Purchase>, lang: Lang) -> Self {
        let p = &doc.data;
        Self {
            id: doc.id.clone(),
            plan: p.plan.clone(),
            enrolment: p.enrolment.clone(),
            employee_name: p.employee_name.clone(),
            provider: p.provider.clone(),
            provider_name: p.provider_name.clone(),
            service: p.service.clone(),
            service_title: p.service_title.clone(),
            category: p.category.clone(),
            category_label: category::label(&p.category),
            amount_cents: p.amount_cents,
            amount_text: format_cents(p.amount_cents, lang),
            at_utc: trama_sdk::clock::DateTime::from_unix_ms(p.at).to_string(),
        }
    }
}

/// Purchases whose indexed `field` equals `value`, newest first, `limit` from `offset`.
pub fn by(field: &str, value: &str, limit: u32, offset: u32) -> Result<Vec<Doc<Purchase>>> {
    PURCHASES
        .query()
        .filter(field, Cmp::Eq, value)
        .order_by_desc("at")
        .limit(limit)
        .offset(offset)
        .fetch()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_order_names_what_is_missing() {
        let problems = read(&Input::default()).unwrap_err();
        let fields: Vec<&str> = problems.0.iter().map(|p| p.field.as_str()).collect();
        assert_eq!(fields, vec!["enrolment", "service", "request_id"]);
        let order = read(&Input::from_pairs(&[
            ("enrolment".into(), "p.anna".into()),
            ("service".into(), "s1".into()),
            ("price".into(), "12.50".into()),
            ("request_id".into(), "0123456789abcdef".into()),
        ]))
        .unwrap();
        assert_eq!(order.price_cents, Some(1250));
    }
}
