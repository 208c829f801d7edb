//! Merchants' pages and API: operators register shops and reimburse them; shopkeepers claim
//! their shop, redeem vouchers and see what they are owed.

use serde::Deserialize;
use serde_json::{Value, json};
use trama_sdk::csv::Sheet;
use trama_sdk::http::{Request, Response};
use trama_sdk::i18n::Lang;
use trama_sdk::identity::{self, User};
use trama_sdk::local;
use trama_sdk::money::format_cents;
use trama_sdk::router::Params;
use trama_sdk::store::Doc;
use trama_sdk::store::{self, Cmp};
use trama_sdk::submit::Submission;
use trama_sdk::{Error, Result, clock, t};

use super::{FormState, OPERATORS, SHOPS, created, lang, to, wants_json, with_form};
use crate::config::Settings;
use crate::merchant::{
    self, MERCHANTS, MerchantStatus, MerchantView, REIMBURSEMENTS, Reimbursement,
};
use crate::redeem::{self, REDEMPTIONS, RedemptionStatus, RedemptionView};
use crate::voucher;
use trama_sdk::code;

/// Rows read per store query by the export.
const EXPORT_PAGE: u32 = 1000;

fn merchant_views(lang: Lang) -> Result<Vec<MerchantView>> {
    MERCHANTS
        .query()
        .limit(1000)
        .fetch()?
        .iter()
        .map(|doc| Ok(MerchantView::new(doc, merchant::owed(&doc.id)?, lang)))
        .collect()
}

fn operator_page(status: u16, form: Option<FormState>, lang: Lang) -> Result<Response> {
    let context = json!({
        "merchants": merchant_views(lang)?,
        // One per page load: a double-clicked "paid" pays once.
        "request_id": store::new_id(),
    });
    Response::render_with_status(status, "merchants.html", &with_form(context, form))
}

/// `GET /merchants` (operators): shops, what each is owed, the registration form.
pub fn operator_list(request: Request, _: Params) -> Result<Response> {
    let lang = lang(&request);
    OPERATORS.require(lang)?;
    operator_page(200, None, lang)
}

/// `GET /api/merchants` (operators)
pub fn api_list(request: Request, _: Params) -> Result<Response> {
    let lang = lang(&request);
    OPERATORS.require(lang)?;
    Response::json(&merchant_views(lang)?)
}

/// `POST /merchants` and `POST /api/merchants` (operators): `{name, vat_number, address}`;
/// `201` with the merchant and its one-time `claim_code`.
pub fn register(request: Request, _: Params) -> Result<Response> {
    let lang = lang(&request);
    OPERATORS.require(lang)?;
    let sub = Submission::read(&request, "register", merchant::JSON_FIELDS)?;
    let page = |status, form| operator_page(status, Some(form), lang);
    let new = match merchant::read_new(&sub.input) {
        Ok(new) => new,
        Err(problems) => return sub.refused(problems, page),
    };
    sub.answer(
        merchant::register(new, clock::now_ms()),
        |doc| {
            let done = t!("vouchers.done.merchant_registered", name = doc.data.name);
            sub.done(&MerchantView::new(&doc, 0, lang), "/merchants")
                .map(|answer| answer.with_notice(done))
        },
        page,
    )
}

/// `POST /merchants/{id}/reimburse` and `POST /api/merchants/{id}/reimburse` (operators):
/// `{amount?, reference, request_id}`; without `amount`, everything owed. `201` with the
/// reimbursement and the balance still owed.
pub fn reimburse(request: Request, params: Params) -> Result<Response> {
    let lang = lang(&request);
    let user = OPERATORS.require(lang)?;
    let id = params.get("id")?.to_owned();
    let sub = Submission::read(
        &request,
        &format!("reimburse-{id}"),
        merchant::REIMBURSE_FIELDS,
    )?;
    let page = |status, form| operator_page(status, Some(form), lang);
    let payment = match merchant::read_payment(&sub.input) {
        Ok(payment) => payment,
        Err(problems) => return sub.refused(problems, page),
    };
    let paid = |doc: Doc<Reimbursement>| {
        if !sub.json {
            let amount = format_cents(doc.data.amount_cents, lang);
            let done = t!("vouchers.done.reimbursed", amount = amount);
            return Ok(to("/merchants").with_notice(done));
        }
        created(&json!({
            "id": doc.id,
            "merchant": doc.data.merchant,
            "amount_cents": doc.data.amount_cents,
            "amount_text": format_cents(doc.data.amount_cents, lang),
            "reference": doc.data.reference,
            "owed_cents": merchant::owed(&id)?,
        }))
    };
    sub.answer(
        merchant::reimburse(&id, payment, &user, clock::now_ms(), lang),
        paid,
        page,
    )
}

/// `POST /merchants/{id}/suspend` and `…/reactivate` (operators).
pub fn set_status(request: Request, params: Params) -> Result<Response> {
    let lang = lang(&request);
    OPERATORS.require(lang)?;
    let id = params.get("id")?;
    let status = if request.path().ends_with("/suspend") {
        MerchantStatus::Suspended
    } else {
        MerchantStatus::Active
    };
    let doc = merchant::set_status(id, status, clock::now_ms())?;
    if wants_json(&request) {
        Response::json(&MerchantView::new(&doc, merchant::owed(id)?, lang))
    } else {
        let done = match status {
            MerchantStatus::Suspended => {
                t!("vouchers.done.merchant_suspended", name = doc.data.name)
            }
            _ => t!("vouchers.done.merchant_reactivated", name = doc.data.name),
        };
        Ok(to("/merchants").with_notice(done))
    }
}

/// `GET /reimbursements.csv` (operators): every reimbursement, oldest first.
pub fn export_reimbursements(request: Request, _: Params) -> Result<Response> {
    let lang = lang(&request);
    OPERATORS.require(lang)?;
    let mut names = std::collections::HashMap::new();
    let mut sheet = Sheet::new(lang);
    sheet.header(&[
        "vouchers.csv.paid_at",
        "vouchers.csv.merchant_id",
        "vouchers.csv.merchant",
        "vouchers.csv.vat_number",
        "vouchers.csv.amount_eur",
        "vouchers.csv.reference",
        "vouchers.csv.paid_by",
        "vouchers.csv.transfer_id",
    ]);
    let mut offset = 0;
    loop {
        let page = REIMBURSEMENTS
            .query()
            .order_by("paid_at")
            .limit(EXPORT_PAGE)
            .offset(offset)
            .fetch()?;
        for doc in &page {
            let r = &doc.data;
            if !names.contains_key(&r.merchant) {
                let found = MERCHANTS
                    .get(&r.merchant)?
                    .map(|m| (m.data.name, m.data.vat_number));
                names.insert(r.merchant.clone(), found.unwrap_or_default());
            }
            let (name, vat) = names.get(&r.merchant).cloned().unwrap_or_default();
            let amount = sheet.cents(r.amount_cents);
            sheet.row(&[
                local::numeric(r.paid_at),
                r.merchant.clone(),
                name,
                vat,
                amount,
                r.reference.clone(),
                r.paid_by.clone(),
                r.transfer_id.clone(),
            ]);
        }
        if page.len() < EXPORT_PAGE as usize {
            break;
        }
        offset += EXPORT_PAGE;
    }
    Ok(sheet.download("reimbursements.csv"))
}

#[derive(Deserialize)]
struct MerchantQuery {
    done: Option<String>,
}

/// What a shopkeeper's page and `GET /api/merchant` show.
fn merchant_context(user: &User, done: Option<&str>, lang: Lang) -> Result<Value> {
    let settings = Settings::load()?;
    let Some(shop) = merchant::of_user(user)? else {
        return Ok(json!({ "linked": false }));
    };
    let owed = merchant::owed(&shop.id)?;
    let recent: Vec<RedemptionView> = REDEMPTIONS
        .query()
        .filter("merchant", Cmp::Eq, shop.id.as_str())
        .order_by_desc("at")
        .limit(20)
        .fetch()?
        .iter()
        .map(|doc| RedemptionView::new(doc, &settings.voucher_code_prefix, lang))
        .collect();
    let reimbursements: Vec<Value> = REIMBURSEMENTS
        .query()
        .filter("merchant", Cmp::Eq, shop.id.as_str())
        .order_by_desc("paid_at")
        .limit(20)
        .fetch()?
        .iter()
        .map(|doc| {
            json!({
                "amount_cents": doc.data.amount_cents,
                "amount_text": format_cents(doc.data.amount_cents, lang),
                "reference": doc.data.reference,
                "paid_utc": trama_sdk::clock::DateTime::from_unix_ms(doc.data.paid_at).to_string(),
            })
        })
        .collect();
    let receipt = match done {
        Some(id) => REDEMPTIONS
            .get(id)?
            // The receipt says the money was taken: only for a completed redemption.
            .filter(|doc| doc.data.merchant == shop.id && doc.data.status == RedemptionStatus::Done)
            .map(|doc| RedemptionView::new(&doc, &settings.voucher_code_prefix, lang)),
        None => None,
    };
    Ok(json!({
        "linked": true,
        "merchant": MerchantView::new(&shop, owed, lang),
        "active": shop.data.status == MerchantStatus::Active,
        "owed_cents": owed,
        "owed_text": format_cents(owed, lang),
        "redemptions": recent,
        "reimbursements": reimbursements,
        "receipt": receipt,
    }))
}

fn merchant_page(
    user: &User,
    done: Option<&str>,
    status: u16,
    form: Option<FormState>,
    lang: Lang,
) -> Result<Response> {
    let mut context = merchant_context(user, done, lang)?;
    context["request_id"] = json!(store::new_id());
    Response::render_with_status(status, "merchant.html", &with_form(context, form))
}

/// `GET /merchant` (role `merchant`): the claim form, or the redemption form with what the
/// shop is owed.
pub fn page(request: Request, _: Params) -> Result<Response> {
    let lang = lang(&request);
    let user = SHOPS.require(lang)?;
    let query: MerchantQuery = request.parse_query()?;
    merchant_page(&user, query.done.as_deref(), 200, None, lang)
}

/// `GET /api/merchant` (role `merchant`)
pub fn api_me(request: Request, _: Params) -> Result<Response> {
    let lang = lang(&request);
    let user = SHOPS.require(lang)?;
    Response::json(&merchant_context(&user, None, lang)?)
}

/// `POST /merchant/claim` and `POST /api/merchant/claim` (role `merchant`): `{code}`.
pub fn claim(request: Request, _: Params) -> Result<Response> {
    let lang = lang(&request);
    let user = SHOPS.require(lang)?;
    let sub = Submission::read(&request, "claim", &["code"])?;
    let code = sub.input.one("code").unwrap_or_default().to_owned();
    let claimed = |doc: Doc<merchant::Merchant>| {
        if sub.json {
            Response::json(&MerchantView::new(&doc, merchant::owed(&doc.id)?, lang))
        } else {
            let done = t!("vouchers.done.claimed", name = doc.data.name);
            Ok(to("/merchant").with_notice(done))
        }
    };
    sub.answer(merchant::claim(&user, &code), claimed, |status, form| {
        merchant_page(&user, None, status, Some(form), lang)
    })
}

/// `POST /redeem` (form or JSON) and `POST /api/redeem` (role `merchant`): `{code, amount,
/// request_id}`. JSON: `201` with the redemption (and `remaining_cents`); a form goes back to
/// the page with the receipt. Over the balance: `409` saying what is left.
pub fn redeem(request: Request, _: Params) -> Result<Response> {
    let lang = lang(&request);
    let user = SHOPS.require(lang)?;
    let sub = Submission::read(&request, "redeem", redeem::JSON_FIELDS)?;
    let settings = Settings::load()?;
    let page = |status, form| merchant_page(&user, None, status, Some(form), lang);
    let req = match redeem::read(&sub.input) {
        Ok(req) => req,
        Err(problems) => return sub.refused(problems, page),
    };
    match redeem::redeem(&user, req, clock::now_ms(), lang) {
        Ok(doc) => {
            let amount = format_cents(doc.data.amount_cents, lang);
            let done = t!("vouchers.done.redeemed", amount = amount);
            sub.done(
                &RedemptionView::new(&doc, &settings.voucher_code_prefix, lang),
                &format!("/merchant?done={}", doc.id),
            )
            .map(|answer| answer.with_notice(done))
        }
        // Not `sub.failed`: a refused redemption also shows a `403` (a suspended shop) on the
        // page, and gets a fresh request id with it instead of the one it was sent with.
        Err(err) if !sub.json && (err.belongs_in_form() || matches!(err, Error::Forbidden(_))) => {
            let mut values = sub.echo();
            values.remove("request_id");
            page(
                err.status(),
                FormState::message("redeem", err.message(), values),
            )
        }
        Err(err) => Err(err),
    }
}

/// `GET /api/vouchers/{code}`: a voucher's face value and what is left on it, for its
/// beneficiary, merchants and operators.
pub fn api_voucher(request: Request, params: Params) -> Result<Response> {
    let lang = lang(&request);
    let user = identity::require_login()?;
    let text = params.get("code")?;
    let code = code::normalize(text, crate::voucher::CODE_LEN)
        .map_err(|err| Error::bad_request(err.describe(text, lang)))?;
    let not_found = || Error::not_found(t!("vouchers.voucher.not_found", code = text));
    let (doc, balance) = voucher::find(&code)?.ok_or_else(not_found)?;
    let allowed = OPERATORS.admits()
        || identity::has_role("merchant")
        || doc.data.user_id.as_deref() == Some(user.id.as_str());
    if !allowed {
        return Err(not_found());
    }
    let settings = Settings::load()?;
    Response::json(&json!({
        "code": doc.id,
        "display": code::display(&doc.id, &settings.voucher_code_prefix),
        "campaign": doc.data.campaign,
        "amount_cents": doc.data.amount_cents,
        "balance_cents": balance,
        "balance_text": format_cents(balance, lang),
    }))
}
