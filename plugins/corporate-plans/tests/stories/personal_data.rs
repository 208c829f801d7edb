//! "Download my data" and erasure (`/api/personal-data`, called by the kernel as the person):
//! an employee's export holds their enrolment, wallet, purchases and requests and nobody
//! else's; an erasure keeps them for the accounts without the person, the wallet's money and
//! the company's balance unchanged; HR and a provider's owner are unlinked the same way, and a
//! second erasure does nothing.

use crate::common;

use common::{company_balance, deposit_plan_and_enrolment, purchases_and_reimbursements};
use corporate_plans::accounts;
use corporate_plans::company::DEPOSITS;
use corporate_plans::enrol::ENROLMENTS;
use serde_json::json;
use trama_sdk::ledger;
use trama_sdk::store::Cmp;

#[test]
fn an_employee_hr_and_a_provider_download_their_records_and_an_erasure_keeps_the_money() {
    let spent = purchases_and_reimbursements(deposit_plan_and_enrolment());
    let common::Enrolled {
        host,
        operator,
        hr,
        owner,
        acme_id,
        anna,
        anna_enrolment,
        bruno_enrolment,
        ..
    } = &spent.enrolled;
    let balance = |enrolment: &str| {
        host.call(None, || {
            Ok(ledger::get(&accounts::wallet(enrolment))?.map(|a| a.balance_cents))
        })
        .expect("the ledger")
    };
    let enrolment = |id: &str| {
        host.call(None, || Ok(ENROLMENTS.get(id)?.map(|doc| doc.data)))
            .expect("the store")
            .expect("the enrolment")
    };

    // Anna's download: her enrolment and wallet, her purchases and requests; not Bruno's.
    let export = host.personal_data(anna);
    assert_eq!(export["enrolments"][0]["id"], anna_enrolment.as_str());
    assert_eq!(
        export["wallets"][0]["balance_cents"].as_i64(),
        balance(anna_enrolment)
    );
    let purchases = export["purchases"].as_array().map_or(0, Vec::len);
    let requests = export["reimbursement_requests"]
        .as_array()
        .map_or(0, Vec::len);
    assert!(purchases >= 2 && requests >= 2, "{export}");
    assert!(
        !export.to_string().contains(bruno_enrolment.as_str()),
        "{export}"
    );
    assert_eq!(host.personal_data(hr)["hr_links"][0]["id"], hr.id.as_str());
    assert_eq!(
        host.personal_data(owner)["providers"][0]["legal_name"],
        "Palestra Centro ASD"
    );

    let wallet_before = balance(anna_enrolment);
    let company_before = company_balance(host, operator, acme_id);
    let bruno_before = enrolment(bruno_enrolment);

    // Anna is erased: everything kept for the accounts, without her.
    host.erase_expecting(
        anna,
        1 + (purchases + requests) as u64,
        &[
            "iscrizioni ai piani e portafogli welfare",
            "acquisti con il credito welfare",
            "richieste di rimborso",
        ],
    );
    let kept_enrolment = enrolment(anna_enrolment);
    assert_eq!(kept_enrolment.full_name, "cancellato");
    assert_eq!(kept_enrolment.username, format!("cancellato-{}", anna.id));
    assert_eq!(kept_enrolment.user_id, None);
    assert_eq!(balance(anna_enrolment), wallet_before);
    assert_eq!(company_balance(host, operator, acme_id), company_before);
    assert_eq!(enrolment(bruno_enrolment), bruno_before);
    host.assert_forgotten(anna, &["enrolments", "purchases"]);

    // HR is erased: the link goes, the deposits they recorded stay without their username.
    let erased = host.erase(hr);
    assert!(erased.erased >= 2, "{}", erased.body);
    let deposits = host
        .call(None, || {
            DEPOSITS
                .query()
                .filter("company", Cmp::Eq, acme_id.as_str())
                .fetch_all()
        })
        .expect("deposits");
    assert!(!deposits.is_empty());
    assert!(
        deposits.iter().all(|d| d.data.by != hr.username),
        "{deposits:?}"
    );
    assert_eq!(host.personal_data(hr)["hr_links"], json!([]));
    assert_eq!(company_balance(host, operator, acme_id), company_before);

    // The gym's owner is erased: the provider stays, unlinked.
    host.erase_expecting(owner, 1, &["fornitore «Palestra Centro ASD»"]);
    host.assert_forgotten(owner, &["providers"]);
}
