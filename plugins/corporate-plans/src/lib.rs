//! # corporate-plans — corporate welfare plans
//!
//! Companies, large and very small, give their employees a yearly welfare budget to spend on
//! the services of the territory (schools, nurseries, care of elderly relatives, sport,
//! culture). A welfare cooperative runs the instance: its operators register companies and
//! providers and record what companies deposit; each company's HR office creates plans,
//! enrols its employees and decides their reimbursement requests; employees spend their
//! credit on the catalogue or claim back expenses; providers price their services and see
//! what they sold; unspent credit returns to the company when the plan ends.
//!
//! Money is integer cents on the kernel's double-entry ledger (host API 1.1); see
//! [`accounts`] for every account. Every movement has an idempotency key derived from what it
//! is, so retries never pay twice:
//!
//! | movement | from → to | key |
//! |---|---|---|
//! | a company's deposit | `company/{c}/deposits` → `company/{c}/account` | `deposit/{c}/{request}` |
//! | a plan's budget (and top-ups) | `company/{c}/account` → `plan/{p}/budget` | `plan/{p}/fund`, `plan/{p}/top-up/{request}` |
//! | enrolling an employee | `plan/{p}/budget` → `wallet/{e}` (+ allowance) | `enrol/{e}` |
//! | a purchase | `wallet/{e}` → `provider/{pr}/owed` | `buy/{purchase}` |
//! | a reimbursement request | `wallet/{e}` → `hold/{r}` (+ allowance) | `claim/{r}` |
//! | approved / rejected | `hold/{r}` → `payouts/employees` / back to the wallet (or the company) | `claim/{r}/decision` |
//! | paying a provider | `provider/{pr}/owed` → `payouts/providers` | `pay/{pr}/{request}` |
//! | expiry | `wallet/{e}`, `plan/{p}/budget` → `company/{c}/account` | `expire/{e}/{amount}` |
//!
//! Roles: `operator` (or `admin`) — the cooperative; `company_hr` — a company's HR office,
//! linked to one company by a one-time code ([`company`]); employees are any accounts, linked
//! to their enrolment by username and activation code ([`enrol`]); providers are the accounts
//! linked to them ([`provider`]). Paths below are under `/p/corporate-plans`.
//!
//! ## Pages (HTML, no JavaScript needed)
//! | route | who | what |
//! |---|---|---|
//! | `GET /` | all | the employee's wallets and enrolments to activate; shortcuts by role |
//! | `POST /enrolments/{id}/activate` (`code`) | the enrolled username | activate an enrolment |
//! | `GET /wallets/{id}` | its employee | balance, reimbursable share left, movements, purchases, requests, the reimbursement form |
//! | `GET /catalogue`, `POST /purchases` (`enrolment`, `service`, `price`, `request_id`) | employees | the services their plans cover; buy |
//! | `POST /reimbursements` (`enrolment`, `category`, `amount`, `expense_date`, `receipt_reference`, `description`) | employees | ask for a reimbursement |
//! | `GET /hr`, `POST /hr/claim` (`code`) | `company_hr` | link the account; the company, its plans, the new plan form |
//! | `POST /plans` | HR | create a plan (see [`plan::JSON_FIELDS`]) |
//! | `GET /plans/{id}` | its HR, operators | summary, employees, requests to decide, forms |
//! | `POST /plans/{id}/enrolments`, `POST /plans/{id}/enrolments/upload` (`csv`) | HR | enrol one employee, or a table |
//! | `POST /plans/{id}/top-up` (`amount`, `request_id`), `POST /plans/{id}/close` | HR | budget, close early |
//! | `GET /plans/{id}/employees.csv`, `GET /plans/{id}/movements.csv` | its HR, operators | exports |
//! | `POST /reimbursements/{id}/approve` (`note?`), `…/reject` (`reason`) | HR | decide |
//! | `POST /enrolments/{id}/new-code` | HR | a new activation code |
//! | `GET /companies`, `POST /companies`, `GET /companies/{id}` | operators | companies, HR codes |
//! | `POST /companies/{id}/deposits` (`amount`, `reference`, `request_id`), `POST /companies/{id}/hr-codes` | operators | deposits, more HR codes |
//! | `GET /providers`, `POST /providers`, `GET /providers/{id}` | operators | providers registered here or accredited |
//! | `POST /providers/{id}/services`, `POST /providers/{id}/pay`, `…/suspend`, `…/reactivate` | operators | services, payments |
//! | `GET /provider`, `POST /provider/claim` (`code`) | provider owners | link the account; services, sales, payments |
//! | `POST /services/{id}/price` (`price`) | provider owners, operators | set or remove a price |
//! | `GET /providers/{id}/sales.csv` | the provider's owner, operators | export |
//!
//! ## JSON API
//! The same fields as the forms (amounts in euros as text or numbers, read exactly; lists as
//! arrays); a field that breaks a rule is a `422` with the kernel's `{error: {kind, message}}`
//! and `problems: [{field, message}]`; overspending is a `409` saying what is left.
//!
//! | route | what |
//! |---|---|
//! | `GET /api/me` | the caller's wallets and pending enrolments |
//! | `GET /api/personal-data`, `DELETE /api/personal-data` | the kernel, as the person: everything about them ("download my data"), and its erasure (see [`personal`]) |
//! | `GET /api/mine` | the caller's wallets (plan, balance), enrolments to activate and reimbursement requests (amount, status) as `[{title, status, href}]`, for the kernel's `/me` page; newest first, at most 50 |
//! | `GET /api/status` | whether any plan is open today, as `{open, note}`, for the kernel's home page |
//! | `GET /api/wallets/{id}`, `POST /api/enrolments/{id}/activate` | a wallet with its movements; activate |
//! | `GET /api/catalogue`, `POST /api/purchases` (`201`) | catalogue; buy |
//! | `POST /api/reimbursements` (`201`) | ask for a reimbursement |
//! | `GET /api/hr`, `POST /api/hr/claim` | HR: company and plans; link |
//! | `POST /api/plans` (`201`), `GET /api/plans/{id}`, `GET /api/plans/{id}/employees` | plans and reports |
//! | `POST /api/plans/{id}/enrolments` (`201`), `POST /api/plans/{id}/enrolments/upload` (body `text/csv`, or `{csv}`) | enrol |
//! | `POST /api/plans/{id}/top-up`, `POST /api/plans/{id}/close` | budget, close early |
//! | `GET /api/plans/{id}/reimbursements?status=`, `POST /api/reimbursements/{id}/{approve,reject}` | requests |
//! | `POST /api/enrolments/{id}/new-code` | a new activation code |
//! | `GET /api/companies`, `POST /api/companies` (`201`, with `hr_code`), `GET /api/companies/{id}`, `POST /api/companies/{id}/deposits` (`201`), `POST /api/companies/{id}/hr-codes` (`201`) | operators |
//! | `GET /api/providers`, `POST /api/providers` (`201`, with `claim_code`), `GET /api/providers/{id}`, `POST /api/providers/{id}/services` (`201`), `POST /api/providers/{id}/pay` (`201`), `…/suspend`, `…/reactivate` | operators |
//! | `GET /api/provider`, `POST /api/provider/claim`, `POST /api/services/{id}/price` | provider owners |
//!
//! ## Events and jobs
//! Subscribes to `admissions.provider_accredited`, `…_suspended`, `…_revoked` and `…_expired`
//! (see [`provider`]); publishes nothing. The job `expire-plans` runs every minute (see
//! [`expiry`]). The employee is notified of HR's decision on each reimbursement request, once
//! (key `reimbursement/{id}/decided`; host API 1.2, the `notify` capability; see [`notice`]).

pub mod accounts;
pub mod catalogue;
pub mod category;
pub mod company;
pub mod config;
pub mod credit;
pub mod enrol;
pub mod expiry;
pub mod fields;
pub mod notice;
pub mod payout;
pub mod personal;
pub mod plan;
pub mod provider;
pub mod purchase;
pub mod purse;
pub mod reimbursement;
pub mod report;
pub mod table;
pub mod vat;
mod web;

use trama_sdk::events::Event;
use trama_sdk::http::{Request, Response};
use trama_sdk::router::Router;
use trama_sdk::twin::Twins;
use trama_sdk::{Error, Plugin, Result, log};

use web::{companies, home, mine, plans, providers, requests, wallet};

/// The plugin: public so that natively, where nothing is exported, it is still a library item.
#[derive(Default)]
pub struct CorporatePlans;

impl Plugin for CorporatePlans {
    fn handle(&self, request: Request) -> Result<Response> {
        Router::new()
            .get("/", home::page)
            .get("/catalogue", wallet::catalogue_list)
            .post_twin("/purchases", wallet::buy)
            .get("/wallets/{id}", wallet::page)
            .post_twin("/reimbursements", wallet::request_reimbursement)
            .get("/reimbursements/{id}", requests::page)
            .post_twin("/enrolments/{id}/activate", wallet::activate)
            .get("/hr", plans::hr)
            .post_twin("/hr/claim", companies::claim)
            .post_twin("/plans", plans::create)
            .get("/plans/{id}", plans::page)
            .post_twin("/plans/{id}/enrolments", plans::enrol_one)
            .post_twin("/plans/{id}/enrolments/upload", plans::upload)
            .post_twin("/plans/{id}/top-up", plans::top_up)
            .post_twin("/plans/{id}/close", plans::close)
            .get("/plans/{id}/employees.csv", plans::employees_csv)
            .get("/plans/{id}/movements.csv", plans::movements_csv)
            .post_twin("/reimbursements/{id}/approve", plans::decide)
            .post_twin("/reimbursements/{id}/reject", plans::decide)
            .post_twin("/enrolments/{id}/new-code", plans::new_code)
            .get("/companies", companies::list)
            .post_twin("/companies", companies::register)
            .get("/companies/{id}", companies::page)
            .post_twin("/companies/{id}/deposits", companies::deposit)
            .post_twin("/companies/{id}/hr-codes", companies::new_hr_code)
            .get("/providers", providers::list)
            .post_twin("/providers", providers::register)
            .get("/providers/{id}", providers::page)
            .post_twin("/providers/{id}/services", providers::add_service)
            .post_twin("/providers/{id}/pay", providers::pay)
            .post_twin("/providers/{id}/suspend", providers::set_status)
            .post_twin("/providers/{id}/reactivate", providers::set_status)
            .get("/providers/{id}/sales.csv", providers::sales_csv)
            .get("/provider", providers::owner)
            .post_twin("/provider/claim", providers::claim)
            .post_twin("/services/{id}/price", providers::set_price)
            .get("/api/me", wallet::api_me)
            .get("/api/mine", mine::api)
            .get("/api/status", home::status)
            .get("/api/personal-data", personal::export)
            .delete("/api/personal-data", personal::erase)
            .get("/api/wallets/{id}", wallet::api_get)
            .get("/api/catalogue", wallet::api_catalogue)
            .get("/api/hr", plans::api_hr)
            .get("/api/plans/{id}", plans::api_get)
            .get("/api/plans/{id}/employees", plans::api_employees)
            .get("/api/plans/{id}/reimbursements", plans::api_reimbursements)
            .get("/api/reimbursements/{id}", requests::api_get)
            .get("/api/companies", companies::api_list)
            .get("/api/companies/{id}", companies::api_get)
            .get("/api/providers", providers::api_list)
            .get("/api/providers/{id}", providers::api_get)
            .get("/api/provider", providers::api_owner)
            .handle(request)
    }

    fn on_event(&self, event: Event) -> Result<()> {
        // What the wallet moved in an employee's credit; else the admissions provider events,
        // any other being logged and ignored there.
        if let Some(moved) = trama_sdk::wallet::Moved::decode(&event)? {
            return purse::on_moved(&moved);
        }
        provider::on_event(&event)
    }

    fn run_job(&self, name: &str) -> Result<()> {
        match name {
            expiry::EXPIRE_PLANS => expiry::run(),
            other => Err(Error::not_found(format!("there is no job named `{other}`"))),
        }
    }

    /// Opens the accounts every company, plan and provider shares, so the books exist from
    /// the start (opening is idempotent, so upgrades run it again harmlessly).
    fn install(&self, previous: Option<&str>) -> Result<()> {
        accounts::open_shared()?;
        log::info(format!(
            "corporate-plans {} installed (previous: {})",
            env!("CARGO_PKG_VERSION"),
            previous.unwrap_or("none")
        ));
        Ok(())
    }
}

// Only the WebAssembly build is a component. Natively (unit tests) the crate is a library,
// and the component's export names, which contain `:` and `@`, would not link.
#[cfg(target_arch = "wasm32")]
trama_sdk::export_plugin!(CorporatePlans);
