//! Providers and the catalogue, purchases, reimbursements approved and rejected, and what the
//! employee is told — every balance to the cent.

use crate::common;

#[test]
fn employees_buy_from_the_catalogue_claim_reimbursements_and_hr_decides() {
    // The steps assert each refusal, balance and notification as they go.
    let spent = common::purchases_and_reimbursements(common::deposit_plan_and_enrolment());
    // Spending moved no money of the company's: it is still the deposit less the budget.
    let common::Enrolled {
        host,
        operator,
        acme_id,
        ..
    } = &spent.enrolled;
    assert_eq!(common::company_balance(host, operator, acme_id), 700_000);
}
