//! What the plugin holds about one person, for "download my data" and for an erasure (the
//! `personal_data` route, see [`trama_sdk::personal_data`]), called by the kernel as that
//! person.
//!
//! **Whose records.** The applications the person filed (`user_id`) and those an operator
//! filed on their behalf with the same tax code; the vouchers and transfer orders of those
//! applications (an order shown with the IBAN's last four characters only); the shop
//! their account is linked to, the redemptions they registered there and the shop's
//! reimbursements.
//!
//! **What an erasure does**, as a municipality's data protection officer would have it:
//!
//! | record | erasure |
//! |---|---|
//! | application not funded (waiting, under review, ineligible, rejected, not funded) | deleted, with its count ([`crate::tally`]); its tax code is blanked in the closing's plan |
//! | funded application | kept for the accounts of public support: name, tax code, question, answer, reason and notes become `cancellato`, the account is unlinked; a rulebook's written answers (text, dates, IBAN) become `cancellato` and its household keeps only how many members and their relations; amount, rank, status, dates, answers that are figures and the calculation, and vouchers stay |
//! | attached documents | deleted, for funded applications too |
//! | voucher | kept (its money is in the ledger, which never changes): unlinked from the account |
//! | transfer order | kept, as its funded application is (a payment the treasury made or must make, to the payee and IBAN it names): unlinked from the account |
//! | shop | a business, kept: unlinked from the account (and its claim code cleared) |
//! | redemption the person registered | kept for the accounts: their username becomes `cancellato` |
//!
//! Application ids are opaque since 1.3 (before, `{campaign}-{tax code}`). A funded
//! application's claim (`{campaign}-{tax code}`, [`crate::application::household`]) and the
//! ledger's issuing keys (`issue/{campaign}/{tax code}/{n}`) keep its tax code: the ledger is
//! never rewritten, and the claim is what refuses a second application of that tax code. An
//! application that is deleted takes its claims with it.
//!
//! A campaign being closed is ranking and issuing from its applications: an erasure touching
//! one is refused (`409`) until the closing ends, and the kernel carries it out again then.
//! Everything else is one transaction (one call), so a refused erasure changes nothing, and
//! a second one finds nothing left linked to the person (`erased: 0`).

use std::collections::BTreeMap;

use serde_json::{Value as Json, json};
use trama_sdk::http::{Request, Response};
use trama_sdk::identity::User;
use trama_sdk::personal_data::{ERASED, Erased, Export, erase_opt, erase_text, owned_by};
use trama_sdk::router::Params;
use trama_sdk::store::{Batch, Cmp, Doc};
use trama_sdk::{Error, Result, identity, ledger, store, t};

use crate::application::{APPLICATIONS, Application, Status};
use crate::campaign::{CAMPAIGNS, State};
use crate::close::{PLANS, plan_id};
use crate::merchant::{MERCHANTS, Merchant, REIMBURSEMENTS};
use crate::redeem::REDEMPTIONS;
use crate::tally;
use crate::transfer::{self, TRANSFERS, TransferOrder};
use crate::voucher::{self, VOUCHERS, Voucher};

/// The person's applications: those they filed, then those the office filed for them — found
/// by the fiscal number SPID or CIE certified, never by a tax code someone typed (a typed code
/// proves nothing, and would hand one person another's records).
pub fn applications_of(user: &User) -> Result<Vec<Doc<Application>>> {
    let mut found: BTreeMap<String, Doc<Application>> = BTreeMap::new();
    for doc in owned_by(&APPLICATIONS, "user_id", &user.id)? {
        found.insert(doc.id.clone(), doc);
    }
    if let Some(certified) = trama_sdk::identity::fiscal_number() {
        for doc in owned_by(&APPLICATIONS, "tax_code", &certified)? {
            if doc.data.user_id.is_none() {
                found.entry(doc.id.clone()).or_insert(doc);
            }
        }
    }
    Ok(found.into_values().collect())
}

/// The vouchers of application `id`.
fn vouchers_of(id: &str) -> Result<Vec<Doc<Voucher>>> {
    VOUCHERS
        .query()
        .filter("application", Cmp::Eq, id)
        .fetch_all()
}

/// The transfer orders of application `id`.
fn orders_of(id: &str) -> Result<Vec<Doc<TransferOrder>>> {
    TRANSFERS
        .query()
        .filter("application", Cmp::Eq, id)
        .fetch_all()
}

/// `GET /api/personal-data` (the kernel, as the person): their applications, with the
/// vouchers and what is left on each and the transfer orders, their shop, its redemptions and
/// reimbursements.
pub fn export(_: Request, _: Params) -> Result<Response> {
    let me = identity::require_login()?;
    let applications = applications_of(&me)?;
    let mut vouchers = Vec::new();
    let mut transfers = Vec::new();
    for app in &applications {
        for doc in orders_of(&app.id)? {
            let o = doc.data;
            transfers.push(json!({
                "id": doc.id,
                "application": o.application,
                "amount_cents": o.amount_cents,
                "due_on": o.due_on,
                "iban": transfer::mask(&o.iban),
                "payee_name": o.payee_name,
                "status": o.status,
            }));
        }
        for doc in vouchers_of(&app.id)? {
            let balance = ledger::get(&voucher::account(&doc.id))?.map_or(0, |a| a.balance_cents);
            let mut entry = serde_json::to_value(&doc.data)
                .map_err(|err| Error::internal(format!("voucher {}: {err}", doc.id)))?;
            entry["code"] = json!(doc.id);
            entry["balance_cents"] = json!(balance);
            vouchers.push(entry);
        }
    }
    let merchants = owned_by(&MERCHANTS, "user_id", &me.id)?;
    let mut redemptions = Vec::new();
    let mut reimbursements = Vec::new();
    for shop in &merchants {
        redemptions.extend(
            owned_by(&REDEMPTIONS, "merchant", &shop.id)?
                .into_iter()
                .filter(|doc| doc.data.by == me.username),
        );
        reimbursements.extend(owned_by(&REIMBURSEMENTS, "merchant", &shop.id)?);
    }
    Export::new()
        .with("applications", &applications)?
        .with_value("vouchers", Json::Array(vouchers))
        .with_value("transfers", Json::Array(transfers))
        .with("merchants", &merchants)?
        .with("redemptions", &redemptions)?
        .with("reimbursements", &reimbursements)?
        .response()
}

/// `DELETE /api/personal-data` (the kernel, as the person, carrying out an erasure): see the
/// module documentation.
pub fn erase(_: Request, _: Params) -> Result<Response> {
    let me = identity::require_login()?;
    let applications = applications_of(&me)?;
    // Nothing changes while one of their campaigns is being closed.
    for app in &applications {
        let campaign = CAMPAIGNS.get(&app.data.campaign)?;
        if let Some(campaign) = campaign.filter(|c| c.data.state == State::Closing) {
            return Err(Error::conflict(t!(
                "vouchers.personal_data.closing",
                title = campaign.data.title,
            )));
        }
    }
    let mut erased = Erased::default();
    for app in applications {
        if app.data.status == Status::Beneficiary {
            pseudonymise_funded(app, &me, &mut erased)?;
        } else {
            delete_application(&app)?;
            erased.count(1);
        }
    }
    for shop in owned_by(&MERCHANTS, "user_id", &me.id)? {
        let changed = unlink_shop(shop, &me, &mut erased)?;
        erased.count(changed);
    }
    erased.finish(&me)
}

/// A funded application and its vouchers, kept without the person (see the module docs).
fn pseudonymise_funded(mut app: Doc<Application>, me: &User, erased: &mut Erased) -> Result<()> {
    let a = &mut app.data;
    erase_text(&mut a.full_name);
    erase_text(&mut a.tax_code);
    a.user_id = None;
    if a.filed_by == me.username {
        erase_text(&mut a.filed_by);
    }
    erase_opt(&mut a.question);
    erase_opt(&mut a.answer);
    erase_opt(&mut a.rejection);
    for step in &mut a.history {
        if step.actor == me.username {
            erase_text(&mut step.actor);
        }
        erase_opt(&mut step.note);
    }
    // The documents name the person and prove nothing the kept figures need.
    a.drop_attachments()?;
    if let Some(calculation) = &mut a.calculation {
        crate::rulebook::answer::pseudonymise(&mut calculation.answers);
        calculation.outcome.pseudonymise();
    }
    APPLICATIONS.put_if_version(&app.id, &app.data, app.version)?;
    erased.count(1);
    erased.keep(
        t!("vouchers.personal_data.kept_applications"),
        t!("vouchers.personal_data.kept_applications_why"),
    );
    for mut doc in orders_of(&app.id)? {
        if doc.data.user_id.take().is_some() {
            TRANSFERS.put_if_version(&doc.id, &doc.data, doc.version)?;
            erased.count(1);
        }
        erased.keep(
            t!("vouchers.transfer.kept_orders"),
            t!("vouchers.transfer.kept_orders_why"),
        );
    }
    for mut doc in vouchers_of(&app.id)? {
        if doc.data.user_id.take().is_some() {
            VOUCHERS.put_if_version(&doc.id, &doc.data, doc.version)?;
            erased.count(1);
        }
        erased.keep(
            t!("vouchers.personal_data.kept_vouchers"),
            t!("vouchers.personal_data.kept_vouchers_why"),
        );
    }
    Ok(())
}

/// Deletes an application nobody must keep, with its count, and blanks its tax code in the
/// closing's plan of its campaign, if it was ranked.
pub(crate) fn delete_application(app: &Doc<Application>) -> Result<()> {
    let a = &app.data;
    store::retry(|| {
        let Some(current) = APPLICATIONS.get(&app.id)? else {
            return Ok(());
        };
        let mut batch = Batch::new();
        batch.delete_if_version(&APPLICATIONS, &app.id, current.version);
        current.data.clone().drop_attachments()?;
        crate::application::household::release(&mut batch, &app.id)?;
        tally::push_removals(
            &mut batch,
            &a.campaign,
            &[(&current.data.tax_code, current.data.status)],
        )?;
        batch.commit().map(|_| ())
    })?;
    let chunks = CAMPAIGNS
        .get(&a.campaign)?
        .and_then(|c| c.data.close)
        .map_or(0, |close| close.chunks);
    for chunk in 0..chunks {
        let id = plan_id(&a.campaign, chunk);
        let Some(mut plan) = PLANS.get(&id)? else {
            continue;
        };
        let mut changed = false;
        for entry in &mut plan.data.entries {
            if entry.tax_code == a.tax_code {
                ERASED.clone_into(&mut entry.tax_code);
                changed = true;
            }
        }
        if changed {
            PLANS.put_if_version(&id, &plan.data, plan.version)?;
        }
    }
    Ok(())
}

/// Unlinks the person's account from a shop (a business, kept) and takes their username off
/// the redemptions they registered there: how many records changed.
fn unlink_shop(mut shop: Doc<Merchant>, me: &User, erased: &mut Erased) -> Result<u64> {
    shop.data.link = trama_sdk::claim::Link::default();
    MERCHANTS.put_if_version(&shop.id, &shop.data, shop.version)?;
    erased.keep(
        t!(
            "vouchers.personal_data.kept_merchant",
            name = shop.data.name
        ),
        t!("vouchers.personal_data.kept_merchant_why"),
    );
    let mut changed = 1;
    for mut doc in owned_by(&REDEMPTIONS, "merchant", &shop.id)? {
        if doc.data.by != me.username {
            continue;
        }
        ERASED.clone_into(&mut doc.data.by);
        REDEMPTIONS.put_if_version(&doc.id, &doc.data, doc.version)?;
        changed += 1;
        erased.keep(
            t!("vouchers.personal_data.kept_redemptions"),
            t!("vouchers.personal_data.kept_redemptions_why"),
        );
    }
    Ok(changed)
}
