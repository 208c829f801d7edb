//! The names of the plugin's ledger accounts, in one place.
//!
//! | account | kind | holds |
//! |---|---|---|
//! | `company/{c}/deposits` | external | what company `c` paid to the cooperative (its bank) |
//! | `company/{c}/account` | funded | the company's money at the cooperative, not yet in a plan |
//! | `plan/{p}/budget` | funded | a plan's budget not yet given to an employee |
//! | `wallet/{e}` | funded | an enrolled employee's credit |
//! | `allowance/{e}` | funded, memorandum | how much more of the credit may be reimbursed |
//! | `memo/allowance` | external, memorandum | the counterpart of the allowances |
//! | `hold/{claim}` | funded | a reimbursement request waiting for HR |
//! | `payouts/employees` | external | reimbursements paid to employees (with the payroll) |
//! | `provider/{pr}/owed` | funded | what the cooperative owes a provider for services sold |
//! | `payouts/providers` | external | payments made to providers |
//! | `memo/booked/{e}` | external, memorandum | what the credit of `e` paid for in the services catalogue, through the welfare wallet, less what came back |
//! | `memo/returned/{p}` | external, memorandum | what came back from the catalogue to the wallets of plan `p` after its expiry, and went on to the company |
//! | `memo/booked` | external, memorandum | the counterpart of both |
//!
//! The allowance accounts are memorandum accounts ("conti d'ordine"): they hold no money, only
//! a ceiling that the ledger enforces atomically together with the money — a reimbursement
//! request moves the amount out of the wallet *and* out of the allowance in one
//! `transfer_all`, so two requests racing cannot claim more than the plan's share, just as two
//! purchases racing cannot take the wallet below zero.

use trama_sdk::Result;
use trama_sdk::ledger::{self, AccountKind};

pub const MEMO_ALLOWANCE: &str = "memo/allowance";
pub const EMPLOYEE_PAYOUTS: &str = "payouts/employees";
pub const PROVIDER_PAYOUTS: &str = "payouts/providers";
pub const MEMO_BOOKED: &str = "memo/booked";

pub fn company_deposits(company: &str) -> String {
    format!("company/{company}/deposits")
}

pub fn company_account(company: &str) -> String {
    format!("company/{company}/account")
}

pub fn plan_budget(plan: &str) -> String {
    format!("plan/{plan}/budget")
}

pub fn wallet(enrolment: &str) -> String {
    format!("wallet/{enrolment}")
}

pub fn allowance(enrolment: &str) -> String {
    format!("allowance/{enrolment}")
}

/// The memorandum of what enrolment `enrolment`'s credit paid in the services catalogue.
pub fn booked(enrolment: &str) -> String {
    format!("{MEMO_BOOKED}/{enrolment}")
}

/// The memorandum of what the catalogue paid back to plan `plan`'s wallets after its expiry.
pub fn returned_late(plan: &str) -> String {
    format!("memo/returned/{plan}")
}

pub fn hold(claim: &str) -> String {
    format!("hold/{claim}")
}

pub fn provider_owed(provider: &str) -> String {
    format!("provider/{provider}/owed")
}

/// The balance of `name` in cents; an account never opened holds nothing.
pub fn balance(name: &str) -> Result<i64> {
    Ok(ledger::get(name)?.map_or(0, |a| a.balance_cents))
}

/// Opens the accounts every company, plan and provider shares (idempotent).
pub fn open_shared() -> Result<()> {
    ledger::open(MEMO_ALLOWANCE, AccountKind::External)?;
    ledger::open(EMPLOYEE_PAYOUTS, AccountKind::External)?;
    ledger::open(PROVIDER_PAYOUTS, AccountKind::External)?;
    ledger::open(MEMO_BOOKED, AccountKind::External)?;
    Ok(())
}
