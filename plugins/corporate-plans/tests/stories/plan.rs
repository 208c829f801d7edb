//! Companies, HR codes and deposits; the plan; enrolment from a table with a bad row;
//! employees activating their enrolment — every balance to the cent.

use crate::common;

#[test]
fn a_company_deposits_funds_a_plan_and_enrols_its_employees_who_activate_their_wallets() {
    // The step asserts each refusal, amount and balance as it goes.
    let enrolled = common::deposit_plan_and_enrolment();
    // The deposit, less the plan's budget, is still the company's; Beta's is untouched.
    let common::Enrolled {
        host,
        operator,
        acme_id,
        beta_id,
        ..
    } = enrolled;
    assert_eq!(common::company_balance(&host, &operator, &acme_id), 700_000);
    assert_eq!(common::company_balance(&host, &operator, &beta_id), 100_000);
}

#[test]
fn an_activated_credit_is_offered_to_the_employees_welfare_wallet_for_the_plans_days() {
    let common::Enrolled {
        host,
        anna,
        anna_enrolment,
        ..
    } = common::deposit_plan_and_enrolment();
    let wallet = host.wallet_of(&anna);
    assert_eq!(wallet.len(), 1, "{wallet:?}");
    let purse = &wallet[0];
    assert_eq!(
        (purse.owner.as_str(), purse.account.clone()),
        ("corporate-plans", format!("wallet/{anna_enrolment}"))
    );
    assert_eq!(purse.balance, 110_000, "the same money as her wallet");
    assert!(purse.categories.is_empty(), "any category by default");
    assert_eq!(
        purse.valid_from.as_deref(),
        Some(format!("{}-01-01", common::YEAR).as_str())
    );
    assert_eq!(
        purse.valid_until.as_deref(),
        Some(format!("{}-12-31", common::YEAR).as_str())
    );
}
