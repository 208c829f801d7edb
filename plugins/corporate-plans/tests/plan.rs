//! Companies, HR codes and deposits; the plan; enrolment from a table with a bad row;
//! employees activating their enrolment — every balance to the cent.

mod common;

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
