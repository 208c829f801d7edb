//! # vouchers — voucher campaigns for municipalities
//!
//! A municipality runs campaigns of economic support — food vouchers ("buoni spesa"), utility
//! bills, rent, arrears ("morosità incolpevole") — with a budget, an application form, rules of
//! eligibility, an amount per household and a ranking. Citizens apply (or an operator files
//! for them), automatic checks decide or send the application to review ("istruttoria"), and
//! at the closing the eligible applications are ranked and funded in order within the budget,
//! with vouchers split into denominations. Affiliated merchants redeem the vouchers, partially
//! or in full, and the municipality reimburses them.
//!
//! Money is integer cents on the kernel's double-entry ledger (host API 1.1); every movement
//! has an idempotency key derived from what it is, so retries never pay twice:
//!
//! | movement | from → to | key |
//! |---|---|---|
//! | funding a campaign | `funding` (external) → `campaign/{id}/budget` | `fund/{campaign}` |
//! | adding budget | `funding` → `campaign/{id}/budget` | `topup/{campaign}/{request id}` |
//! | money the coordination table allocated (kernel-only `POST /_kernel/budget/allocations`) | `funding` → `campaign/{id}/budget` | `topup/{campaign}/allocation/{proposal}` |
//! | issuing a voucher | `campaign/{id}/budget` → `voucher/{code}` | `issue/{campaign}/{tax code}/{n}` |
//! | redeeming | `voucher/{code}` → `merchant/{id}/owed` | `redeem/{merchant}/{request id}` |
//! | (memorandum) | `memo/counterpart` → `memo/campaign/{id}/redeemed` | `…/memo` |
//! | reimbursing | `merchant/{id}/owed` → `payouts` (external) | `reimburse/{merchant}/{request id}` |
//! | a voucher lapsing ([`lapse`]) | `voucher/{code}` → `campaign/{id}/budget` | `lapse/{code}` |
//! | ordering a transfer ([`transfer`]) | `campaign/{id}/budget` → `campaign/{id}/transfers` | `order/{order id}` |
//! | the treasury paid an export | `campaign/{id}/transfers` → `treasury` (external) | `treasury/{batch id}` |
//! | withdrawing a campaign ([`revise`]) | `campaign/{id}/budget` → `funding` | `cancel/{campaign}` |
//!
//! Roles: `operator` (or `admin`) runs campaigns, reviews, registers and reimburses merchants;
//! any logged-in user applies; `merchant` redeems. Paths below are under `/p/vouchers`.
//!
//! ## Pages (HTML, no JavaScript needed)
//! | route | who | what |
//! |---|---|---|
//! | `GET /` | all | "Le mie domande", the open campaigns, shortcuts by role |
//! | `GET /campaigns`, `GET /campaigns/new`, `POST /campaigns` | operator | list, form, create |
//! | `GET /campaigns/new-rulebook` | operator | create from a rulebook: a shipped template or the operator's TOML (see [`rulebook`]) |
//! | `GET`/`POST /simulate` (`template`, `rulebook` or `campaign`; `run` and the answers) | operator | a rulebook applied to a household, nothing stored |
//! | `GET /campaigns/{id}/rulebook.toml` | operator | the campaign's rulebook, to share |
//! | `GET /campaigns/{id}` | all | the campaign; the form to apply; for operators the applications (`?status=&page=`), filing on behalf, closing, exports |
//! | `POST /campaigns/{id}/apply` | logged in | apply (`tax_code` and the campaign's fields) |
//! | `POST /campaigns/{id}/apply-on-behalf` | operator | apply for someone (`full_name`, `tax_code`, fields) |
//! | `POST /campaigns/{id}/close` | operator | close now (see [`close`]) |
//! | `POST /campaigns/{id}/budget` (`amount`, `request_id`) | operator | add budget; a closed campaign funds the next in its ranking ([`scroll`]) |
//! | `POST /campaigns/{id}/transfer-batches` (`request_id`) | operator | a batch of the transfer orders not yet exported ([`transfer`]) |
//! | `GET /campaigns/{id}/transfer-batches/{batch}/pain001.xml` | operator | the batch as a SEPA `pain.001.001.09` file |
//! | `GET`/`POST /campaigns/{id}/transfer-batches/{batch}/paid` (`confirm=yes`) | operator | confirm, then mark the batch paid by the treasury |
//! | `POST /campaigns/{id}/edit` (the campaign's fields to change, `reason`) | operator | a new version of the notice: title, words and closing date until the closing, rules only while there are no applications ([`revise`]) |
//! | `POST /campaigns/{id}/extend` (`closes_on`, `reason`) | operator | a later closing date, as a new version |
//! | `POST /campaigns/{id}/cancel` (`reason`, `confirm`) | operator | withdraw the notice: without `confirm=yes` a page asks to confirm; then the budget goes back, pending applications are cancelled |
//! | `GET /campaigns/{id}/applications.csv`, `…/beneficiaries.csv` (`?part=N`: 2500 and 5000 rows) | operator | exports |
//! | `GET /applications/{id}` | its citizen, operator | status, reasons, question, vouchers, history |
//! | `GET /applications/{id}/files/{file}` | its citizen, operator (audited) | an attached document |
//! | `POST /applications/{id}/approve`, `/reject` (`reason`), `/request-info` (`question`) | operator | review |
//! | `POST /applications/{id}/answer` (`answer`) | its citizen; an operator for an application filed on behalf of someone without an account | answer the question |
//! | `GET /dashboard` | operator | figures (reload to refresh) |
//! | `GET /merchants`, `POST /merchants` | operator | shops, owed balances, registration (gives a claim code) |
//! | `POST /merchants/{id}/reimburse` (`amount?`, `reference`, `request_id`) | operator | pay a shop |
//! | `POST /merchants/{id}/suspend`, `/reactivate` | operator | stop or allow redemptions |
//! | `GET /reimbursements.csv` | operator | export |
//! | `GET /merchant`, `POST /merchant/claim` (`code`) | merchant | the shop's page; link the account |
//! | `POST /redeem` (`code`, `amount`, `request_id`) | merchant | redeem (form or JSON) |
//!
//! ## JSON API
//! Same fields as the forms (amounts in euros as text or numbers, read exactly; lists as
//! arrays); a field that breaks a rule is a `422` with the kernel's `{error: {kind, message}}` and
//! `problems: [{field, message}]`.
//!
//! | route | what |
//! |---|---|
//! | `GET /api/campaigns`, `POST /api/campaigns` (`201`), `GET /api/campaigns/{id}` | campaigns |
//! | `GET /api/campaigns/{id}/applications?status=&limit=&offset=` | operator: applications |
//! | `POST /api/campaigns/{id}/applications` (`on_behalf: true` for operators) | apply (`201`); a citizen once per campaign, under the fiscal number SPID/CIE certified or else the tax code their account first applied with (`409`/`422` otherwise); a tax code or household member someone else's application already claimed is taken and held for review, never refused (see [`application`]); an operator filing on behalf gets `409` |
//! | `GET /api/campaigns/{id}/transfers` | operator: `{orders, to_export, awaiting_cents, batches}` |
//! | `POST /api/campaigns/{id}/transfer-batches` (`201`; `409` nothing to export; `422` no treasury IBAN), `POST /api/campaigns/{id}/transfer-batches/{batch}/paid` (`{confirm: true}`) | operator |
//! | `POST /api/campaigns/{id}/close` | `200` closed, `202` still closing; `409` for a withdrawn campaign |
//! | `POST /api/campaigns/{id}/edit`, `…/extend`, `…/cancel` (`confirm: true`) | operator: `200` with the campaign (`notice_version`, `revisions`, `cancellation`); `409` when the rules are frozen by applications or the closing started; `422` with `problems` |
//! | `POST /api/simulate` | operator: `{template | rulebook | campaign, day?, answers…}` → the decision, amount, failed and review rules, priority and every step |
//! | `GET /api/applications/{id}`, `POST /api/applications/{id}/{approve,reject,request-info,answer}` | review |
//! | `GET /api/my-applications` | the caller's applications |
//! | `GET /api/mine` | the caller's applications as `[{title, status, href}]`, for the kernel's `/me` page |
//! | `GET /api/status` | whether any campaign takes applications now, as `{open, note}`, for the kernel's home page |
//! | `GET /api/vouchers/{code}` | face value and balance |
//! | `GET /api/merchants`, `POST /api/merchants` (`201`, with `claim_code`), `POST /api/merchants/{id}/reimburse` (`201`) | operator |
//! | `GET /api/merchant`, `POST /api/merchant/claim`, `POST /api/redeem` (`201`; `409` over the balance) | merchant |
//! | `GET /api/dashboard` | operator |
//! | `GET /api/personal-data`, `DELETE /api/personal-data` | the kernel, as the person: everything about them ("download my data"), and its erasure (see [`personal`]) |
//!
//! ## Events and jobs
//! Publishes `vouchers.voucher_issued` (once per funded application, listing its vouchers:
//! `{campaign_id, application_id, user_id, amount_cents, vouchers: [{code, amount_cents}]}`) and
//! `vouchers.voucher_redeemed` (`{redemption_id, code, campaign_id, merchant_id, amount_cents,
//! remaining_cents}`); and, for casework's referrals and outreach (see [`publish`]),
//! `vouchers.campaign_published` (each version of a notice: title, dates, simple eligibility
//! rules), `vouchers.application_submitted` and `vouchers.application_decided` (`granted`,
//! `refused`, `not_funded`), naming the applicant by `trama_contracts::person::key` of the tax
//! code, never the code;
//! subscribes to `admissions.provider_accredited`, `…_suspended`, `…_revoked` (see
//! [`merchant`]) and to the kernel's `wallet.drawn` and `wallet.repaid` (see [`purse`]). The job `close-campaigns` runs every minute, `recover-redemptions` every 30
//! seconds (see [`jobs`]); `announce-changes` every minute tells the applicants of a changed
//! notice those the request that changed it did not reach (see [`revise::announce`]).
//!
//! ## Messages
//! Each applicant with an account is told the outcome of their application once (`notify`,
//! key `outcome/{application id}`), in their language: funded with the voucher codes and
//! amounts (or, for a campaign paying by transfer, the transfers ordered with the IBAN's last
//! four characters only), rejected or ineligible with the reasons, not funded at the closing (see
//! [`notice`]).
//!
//! ## Redemptions after a crash
//! A redemption's document is written `pending` before its money moves and becomes `done`
//! after, so a crash never leaves money moved without a record; a retry of the same request,
//! or the job `recover-redemptions` after `recovery_grace_seconds` (default 120), settles a
//! pending one from the ledger: `done` if its transfer exists, `void` ("annullata") if not.
//! Only `done` redemptions took money; the shop's page shows the others with their status
//! (see [`redeem`]).

pub mod application;
pub mod campaign;
pub mod close;
pub mod config;
pub mod dashboard;
pub mod jobs;
pub mod lapse;
pub mod merchant;
pub mod notice;
pub mod payment;
pub mod personal;
pub mod publish;
pub mod purse;
pub mod rank;
pub mod redeem;
pub mod retention;
pub mod revise;
pub mod rulebook;
pub mod rules;
pub mod scroll;
pub mod tally;
pub mod transfer;
pub mod voucher;
mod web;

use trama_sdk::events::Event;
use trama_sdk::http::{Request, Response};
use trama_sdk::ledger::{self, AccountKind};
use trama_sdk::router::Router;
use trama_sdk::twin::Twins;
use trama_sdk::{Error, Plugin, Result, log};

use web::{
    applications, budget, campaigns, dashboard as dash, exports, home, merchants, revisions,
    rulebooks, transfers,
};

/// What an operator or the applicant does to an application, each posted to
/// `/applications/{id}/STEP` and `/api/applications/{id}/STEP` (see [`trama_sdk::twin`]).
const APPLICATION_STEPS: &[&str] = &["approve", "reject", "request-info", "answer"];

/// The plugin: public so that natively, where nothing is exported, it is still a library item.
#[derive(Default)]
pub struct Vouchers;

impl Plugin for Vouchers {
    fn handle(&self, request: Request) -> Result<Response> {
        Router::new()
            .get("/", home::page)
            .get("/campaigns", campaigns::list_page)
            .get("/campaigns/new", campaigns::new_form)
            .get("/campaigns/new-rulebook", rulebooks::new_form)
            .get("/simulate", rulebooks::simulate)
            .post("/simulate", rulebooks::simulate)
            .post("/api/simulate", rulebooks::simulate)
            .post_twin("/campaigns", campaigns::create)
            .get("/campaigns/{id}", campaigns::page)
            .get("/campaigns/{id}/rulebook.toml", rulebooks::export)
            .post("/campaigns/{id}/apply", campaigns::apply)
            .post("/campaigns/{id}/apply-on-behalf", campaigns::apply)
            .post_twin("/campaigns/{id}/close", campaigns::close)
            .post_twin("/campaigns/{id}/budget", budget::add)
            .post_twin("/campaigns/{id}/transfer-batches", transfers::create)
            .get(
                "/campaigns/{id}/transfer-batches/{batch}/pain001.xml",
                transfers::download,
            )
            .get(
                "/campaigns/{id}/transfer-batches/{batch}/paid",
                transfers::confirm,
            )
            .post_twin(
                "/campaigns/{id}/transfer-batches/{batch}/paid",
                transfers::mark_paid,
            )
            .get("/api/campaigns/{id}/transfers", transfers::api_overview)
            .post_twin("/campaigns/{id}/edit", revisions::edit)
            .post_twin("/campaigns/{id}/extend", revisions::extend)
            .post_twin("/campaigns/{id}/cancel", revisions::cancel)
            .get(
                "/campaigns/{id}/applications.csv",
                exports::export_applications,
            )
            .get(
                "/campaigns/{id}/beneficiaries.csv",
                exports::export_beneficiaries,
            )
            .get("/applications/{id}", applications::page)
            .get("/applications/{id}/files/{file}", applications::attachment)
            .post_steps("/applications/{id}", APPLICATION_STEPS, applications::step)
            .get("/dashboard", dash::page)
            .get("/merchants", merchants::operator_list)
            .post_twin("/merchants", merchants::register)
            .post_twin("/merchants/{id}/reimburse", merchants::reimburse)
            .post("/merchants/{id}/suspend", merchants::set_status)
            .post("/merchants/{id}/reactivate", merchants::set_status)
            .get("/reimbursements.csv", merchants::export_reimbursements)
            .get("/merchant", merchants::page)
            .post_twin("/merchant/claim", merchants::claim)
            .post_twin("/redeem", merchants::redeem)
            .get("/api/campaigns", campaigns::api_list)
            .get("/api/campaigns/{id}", campaigns::api_get)
            .get(
                "/api/campaigns/{id}/applications",
                campaigns::api_applications,
            )
            .post("/api/campaigns/{id}/applications", campaigns::apply)
            .get("/api/applications/{id}", applications::api_get)
            .get("/api/my-applications", applications::api_mine)
            .get("/api/mine", applications::api_mine_summary)
            .get("/api/status", home::status)
            .get("/api/vouchers/{code}", merchants::api_voucher)
            .get("/api/merchants", merchants::api_list)
            .get("/api/merchant", merchants::api_me)
            .get("/api/dashboard", dash::api)
            .get("/_kernel/budget/measures", budget::measures)
            .post("/_kernel/budget/allocations", budget::allocate)
            .get("/api/personal-data", personal::export)
            .delete("/api/personal-data", personal::erase)
            .handle(request)
    }

    fn on_event(&self, event: Event) -> Result<()> {
        // What the wallet moved in a voucher; else the admissions provider events, any other
        // being logged and ignored there.
        if let Some(moved) = trama_sdk::wallet::Moved::decode(&event)? {
            return purse::on_moved(&moved);
        }
        merchant::on_provider_event(&event)
    }

    fn run_job(&self, name: &str) -> Result<()> {
        match name {
            jobs::CLOSE_CAMPAIGNS => jobs::close_campaigns(),
            jobs::RECOVER_REDEMPTIONS => jobs::recover_redemptions(),
            jobs::LAPSE_VOUCHERS => lapse::run().map(|_| ()),
            jobs::RETAIN_APPLICATIONS => jobs::retain_applications(),
            revise::announce::JOB => jobs::announce_changes(),
            other => Err(Error::not_found(format!("there is no job named `{other}`"))),
        }
    }

    /// Opens the accounts every campaign and merchant shares, so the books exist from the
    /// start (opening is idempotent, so upgrades run it again harmlessly).
    fn install(&self, previous: Option<&str>) -> Result<()> {
        ledger::open(campaign::FUNDING, AccountKind::External)?;
        ledger::open(merchant::PAYOUTS, AccountKind::External)?;
        ledger::open(voucher::MEMO_COUNTERPART, AccountKind::External)?;
        ledger::open(transfer::TREASURY, AccountKind::External)?;
        log::info(format!(
            "vouchers {} installed (previous: {})",
            env!("CARGO_PKG_VERSION"),
            previous.unwrap_or("none")
        ));
        Ok(())
    }
}

// Only the WebAssembly build is a component. Natively (unit tests, the benchmark) the crate is
// a library, and the component's export names, which contain `:` and `@`, would not link.
#[cfg(target_arch = "wasm32")]
trama_sdk::export_plugin!(Vouchers);
