//! What the plugin holds about one person, for "download my data" and for an erasure (the
//! `personal_data` route, see [`trama_sdk::personal_data`]), called by the kernel as that
//! person.
//!
//! **Whose records.** An employee's enrolments (by account, or by username while not yet
//! activated) with the wallet's balance, their purchases and reimbursement requests; an HR
//! person's link to their company; the provider their account is linked to.
//!
//! **What an erasure does**, as a data protection officer would have it:
//!
//! | record | erasure |
//! |---|---|
//! | enrolment | kept, its wallet's money stays in the ledger and goes back to the company when the plan expires: name and employee code become `cancellato`, the username `cancellato-{account id}` (as the kernel renames the account; unique, so the expiry's walk in username order still meets every wallet), the activation code is cleared and the account unlinked |
//! | purchase | kept for the accounts: the employee's name `cancellato`, the account unlinked |
//! | reimbursement request | kept for the accounts (a pending one too: HR still decides it and its money is on hold): name and description `cancellato`, the account unlinked |
//! | HR link | deleted; the HR person's username and name become `cancellato` in the company's deposits, codes, plans, enrolments and decisions |
//! | provider | a business, kept: unlinked from the account, its claim code cleared |
//!
//! An enrolment's id, `{plan}.{username}`, and the ledger accounts and keys named after it keep
//! the username: the ledger is never rewritten. While a plan of the person is expiring (its
//! walk is under way) the erasure is refused (`409`) and carried out again once it expired.
//! Everything is one call, one transaction; a second erasure finds nothing linked to the person
//! (`erased: 0`).

use std::collections::BTreeMap;

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Value as Json, json};
use trama_sdk::http::{Request, Response};
use trama_sdk::identity::User;
use trama_sdk::personal_data::{ERASED, Erased, Export, erase_text, owned_by, scrub};
use trama_sdk::router::Params;
use trama_sdk::store::{Collection, Doc};
use trama_sdk::{Error, Result, identity, ledger, t};

use crate::company::{DEPOSITS, HR_CODES, HR_LINKS};
use crate::enrol::{ENROLMENTS, Enrolment};
use crate::plan::{PLANS, State};
use crate::provider::PROVIDERS;
use crate::purchase::PURCHASES;
use crate::reimbursement::REIMBURSEMENTS;

/// The person's enrolments: activated (by account) and waiting (by username).
fn enrolments_of(me: &User) -> Result<Vec<Doc<Enrolment>>> {
    let mut found: BTreeMap<String, Doc<Enrolment>> = BTreeMap::new();
    for doc in owned_by(&ENROLMENTS, "user_id", &me.id)? {
        found.insert(doc.id.clone(), doc);
    }
    for doc in owned_by(&ENROLMENTS, "username", &me.username)? {
        if doc.data.user_id.is_none() {
            found.entry(doc.id.clone()).or_insert(doc);
        }
    }
    Ok(found.into_values().collect())
}

/// `GET /api/personal-data` (the kernel, as the person): enrolments with their wallets'
/// balances, purchases, reimbursement requests, the HR link and the linked provider.
pub fn export(_: Request, _: Params) -> Result<Response> {
    let me = identity::require_login()?;
    let enrolments = enrolments_of(&me)?;
    let mut wallets = Vec::new();
    let mut purchases = Vec::new();
    let mut requests = Vec::new();
    for e in &enrolments {
        let balance = ledger::get(&crate::accounts::wallet(&e.id))?.map_or(0, |a| a.balance_cents);
        wallets.push(json!({ "enrolment": e.id, "balance_cents": balance }));
        purchases.extend(owned_by(&PURCHASES, "enrolment", &e.id)?);
        requests.extend(owned_by(&REIMBURSEMENTS, "enrolment", &e.id)?);
    }
    let hr: Vec<_> = HR_LINKS.get(&me.id)?.into_iter().collect();
    Export::new()
        .with("enrolments", &enrolments)?
        .with_value("wallets", Json::Array(wallets))
        .with("purchases", &purchases)?
        .with("reimbursement_requests", &requests)?
        .with("hr_links", &hr)?
        .with("providers", &owned_by(&PROVIDERS, "user_id", &me.id)?)?
        .response()
}

/// `DELETE /api/personal-data` (the kernel, as the person, carrying out an erasure): see the
/// module documentation.
pub fn erase(_: Request, _: Params) -> Result<Response> {
    let me = identity::require_login()?;
    let enrolments = enrolments_of(&me)?;
    for e in &enrolments {
        if let Some(plan) = PLANS.get(&e.data.plan)?
            && plan.data.state == State::Closing
        {
            return Err(Error::conflict(t!(
                "corporate_plans.personal_data.expiring",
                title = plan.data.title
            )));
        }
    }
    let mut erased = Erased::default();
    for e in enrolments {
        erase_enrolment(e, &me, &mut erased)?;
    }
    if let Some(link) = HR_LINKS.get(&me.id)? {
        HR_LINKS.delete(&link.id)?;
        erased.count(1);
        let person = [me.username.as_str(), me.display_name.as_str()];
        let company = link.data.company.as_str();
        let changed = scrub_company(&DEPOSITS, company, &person)?
            + scrub_company(&HR_CODES, company, &person)?
            + scrub_company(&PLANS, company, &person)?
            + scrub_company(&ENROLMENTS, company, &person)?
            + scrub_company(&REIMBURSEMENTS, company, &person)?;
        if changed > 0 {
            erased.count(changed);
            erased.keep(
                t!("corporate_plans.personal_data.kept_hr"),
                t!("corporate_plans.personal_data.kept_hr_why"),
            );
        }
    }
    for mut provider in owned_by(&PROVIDERS, "user_id", &me.id)? {
        provider.data.link = trama_sdk::claim::Link::default();
        PROVIDERS.put_if_version(&provider.id, &provider.data, provider.version)?;
        erased.count(1);
        erased.keep(
            t!(
                "corporate_plans.personal_data.kept_provider",
                name = provider.data.legal_name
            ),
            t!("corporate_plans.personal_data.kept_provider_why"),
        );
    }
    erased.finish(&me)
}

/// An enrolment and what hangs on it, kept without the person.
fn erase_enrolment(mut e: Doc<Enrolment>, me: &User, erased: &mut Erased) -> Result<()> {
    let data = &mut e.data;
    erase_text(&mut data.full_name);
    if let Some(code) = data.employee_code.as_mut() {
        erase_text(code);
    }
    data.username = format!("{ERASED}-{}", me.id);
    data.activation_code = None;
    data.user_id = None;
    ENROLMENTS.put_if_version(&e.id, &e.data, e.version)?;
    erased.count(1);
    erased.keep(
        t!("corporate_plans.personal_data.kept_wallets"),
        t!("corporate_plans.personal_data.kept_wallets_why"),
    );
    for mut purchase in owned_by(&PURCHASES, "enrolment", &e.id)? {
        erase_text(&mut purchase.data.employee_name);
        erase_text(&mut purchase.data.user_id);
        PURCHASES.put_if_version(&purchase.id, &purchase.data, purchase.version)?;
        erased.count(1);
        erased.keep(
            t!("corporate_plans.personal_data.kept_purchases"),
            t!("corporate_plans.personal_data.kept_purchases_why"),
        );
    }
    for mut request in owned_by(&REIMBURSEMENTS, "enrolment", &e.id)? {
        erase_text(&mut request.data.employee_name);
        erase_text(&mut request.data.description);
        erase_text(&mut request.data.user_id);
        REIMBURSEMENTS.put_if_version(&request.id, &request.data, request.version)?;
        erased.count(1);
        erased.keep(
            t!("corporate_plans.personal_data.kept_requests"),
            t!("corporate_plans.personal_data.kept_requests_why"),
        );
    }
    Ok(())
}

/// The documents of `company` in `collection` that name the person, written back without:
/// how many.
fn scrub_company<T: Serialize + DeserializeOwned>(
    collection: &Collection<T>,
    company: &str,
    person: &[&str],
) -> Result<u64> {
    let mut changed = 0;
    for doc in owned_by(collection, "company", company)? {
        if let Some(data) = scrub(&doc.data, person)? {
            collection.put_if_version(&doc.id, &data, doc.version)?;
            changed += 1;
        }
    }
    Ok(changed)
}
