//! # admissions — the provider admission committee of a territorial network
//!
//! Service providers — cooperatives, social enterprises, associations, local shops — ask to join
//! the territorial network. A multi-stakeholder committee examines each request against the
//! ethics code the coordination table approved, asks for information when something is
//! missing, and votes. Admitted providers enter a public accreditation register with their
//! approved services, an admission date and an expiry; they renew, and the committee may
//! suspend, reinstate or revoke them, again by vote. Other plugins (vouchers, corporate plans)
//! learn about the register through events.
//!
//! Roles: any logged-in account applies for its organisation; `committee` examines and votes
//! (see [`roster`] for how the committee is counted); the register is public. Paths below are
//! under `/p/admissions`.
//!
//! Someone who logged in with SPID or CIE is the legal representative of what they file, under
//! the fiscal number the login certified (`identity::fiscal_number()`): the form shows it
//! instead of asking it, and another `representative_tax_code` is refused with `422`.
//!
//! ## Pages (HTML, no JavaScript needed)
//! | route | who | what |
//! |---|---|---|
//! | `GET /` | all | how to join, "Le mie domande", the applicant's register entries, shortcuts |
//! | `GET /ethics` | all | the ethics code in force, with its version |
//! | `GET /apply` (`?provider=ID` to renew), `POST /apply` | logged in | the application form |
//! | `GET /applications/{id}` | its applicant, committee | status, requests to answer, decision and reasons; for the committee comments, votes, conflicts |
//! | `POST /applications/{id}/answer` (`answer`), `/withdraw`, `/services/{service}/withdraw` | its applicant | answer a request; withdraw the application or one service |
//! | `POST /applications/{id}/comments` (`text`), `/request-info` (`question`), `/vote` (`choice`, `reason`), `/conflict` (`note`) | committee | examine |
//! | `GET /applications/{id}/minutes.csv` | committee | the minutes |
//! | `GET /committee`, `POST /committee/profile` (`tax_code`, `links`) | committee | the queue, the roster, the member's declared links |
//! | `GET /register` (`?status=all\|active\|…&category=`), `GET /register/{id}` | all | the register, an entry |
//! | `GET /register.csv` | all | the register, one row per service |
//! | `POST /register/{id}/motions` (`kind`: suspend, revoke, reinstate; `reason`) | committee | open a proceeding |
//! | `GET /motions/{id}`, `POST /motions/{id}/vote`, `/conflict` | committee (and the provider, to read) | a proceeding |
//! | `POST /motions/{id}/statement` (`text`) | the provider | its statement in defence |
//! | `GET /motions/{id}/minutes.csv`, `GET /decisions.csv` | committee | minutes; every decision |
//!
//! ## JSON API
//! Same fields as the forms; `services` is a list of `{title, category, description, id?}`,
//! `categories` and `declarations` (numbers, from 1) lists. A field that breaks a rule is a `422`
//! with the kernel's `{error: {kind, message}}` and `problems: [{field, message}]`.
//!
//! | route | what |
//! |---|---|
//! | `GET /api/ethics` | the code in force |
//! | `POST /api/applications` (`201`) | apply (`409` if the organisation has one under examination) |
//! | `GET /api/applications?status=&limit=&offset=` | committee: applications |
//! | `GET /api/my-applications` | the caller's applications |
//! | `GET /api/personal-data`, `DELETE /api/personal-data` | the kernel, as the person: everything about them ("download my data"), and its erasure (see [`personal`]) |
//! | `GET /api/mine` | the caller's applications and register entries as `[{title, status, href}]`, for the kernel's `/me` page; newest change first, at most 50 |
//! | `GET /api/status` | open (applications are taken at any time), with how many organisations the register lists, as `{open, note}`, for the kernel's home page |
//! | `GET /api/applications/{id}`, `POST /api/applications/{id}/{comments,request-info,vote,conflict,answer,withdraw}`, `POST /api/applications/{id}/services/{service}/withdraw` | as above |
//! | `GET /api/committee`, `POST /api/committee/profile` | committee |
//! | `GET /api/register`, `GET /api/register/{id}` | the register |
//! | `POST /api/register/{id}/motions` (`201`), `GET /api/motions/{id}`, `POST /api/motions/{id}/{vote,conflict,statement}` | proceedings |
//!
//! ## Settings, events, jobs
//! Settings (see `plugin.toml`): the ethics code (`ethics_code_version`, `ethics_code_text`),
//! `categories`, `declarations`, `quorum_percent`, `majority`, `voting_window`,
//! `voting_rounds`, `accreditation_validity`, `renewal_notice`, `reapply_after` (durations like
//! `7d`, see [`duration`]), `max_services`, `network_name`.
//!
//! Publishes `admissions.provider_accredited`, `…_suspended`, `…_revoked`, `…_expired` (payloads
//! in [`provider`]). The `deadlines` job (every 30 s) closes windows, expires accreditations and
//! reminds providers to renew (see [`jobs`]). Every step is in the audit log. Applicants are told
//! of requests and decisions through the kernel's notifications (host API 1.2, see [`notice`]).

pub mod application;
pub mod ballot;
pub mod case;
pub mod catalogue;
pub mod config;
pub mod conflict;
pub mod decision;
pub mod duration;
pub mod jobs;
pub mod minutes;
pub mod motion;
pub mod notice;
pub mod organisation;
pub mod personal;
pub mod provider;
pub mod roster;
pub mod time;
mod web;

use trama_sdk::events::Event;
use trama_sdk::http::{Request, Response};
use trama_sdk::router::Router;
use trama_sdk::twin::Twins;
use trama_sdk::{Error, Plugin, Result, log};

use web::{applications, apply, committee, exports, home, mine, register};

/// Where the kernel mounts the plugin: for links read outside its pages (the kernel's `/me`
/// page, notifications). Redirects are relative ([`trama_sdk::web::to`]).
pub const BASE: &str = "/p/admissions";

/// What can be done to an application from its page or the API, each posted to
/// `/applications/{id}/STEP` and `/api/applications/{id}/STEP` (see [`trama_sdk::twin`]).
const APPLICATION_STEPS: &[&str] = &[
    "comments",
    "request-info",
    "vote",
    "conflict",
    "answer",
    "withdraw",
    "services/{service}/withdraw",
];

/// What the committee does on a motion, posted like [`APPLICATION_STEPS`].
const MOTION_STEPS: &[&str] = &["vote", "conflict", "statement"];

/// The plugin: public so that natively, where nothing is exported, it is still a library item.
#[derive(Default)]
pub struct Admissions;

impl Plugin for Admissions {
    fn handle(&self, request: Request) -> Result<Response> {
        Router::new()
            .get("/", home::page)
            .get("/ethics", home::ethics)
            .get("/apply", apply::form)
            .post("/apply", apply::submit)
            .get("/applications/{id}", applications::page)
            .get(
                "/applications/{id}/minutes.csv",
                exports::application_minutes,
            )
            .post_steps("/applications/{id}", APPLICATION_STEPS, applications::step)
            .get("/committee", committee::page)
            .post_twin("/committee/profile", committee::profile)
            .get("/register", register::page)
            .get("/register.csv", exports::register)
            .get("/register/{id}", register::provider)
            .post_twin("/register/{id}/motions", register::open_motion)
            .get("/motions/{id}", register::motion_get)
            .get("/motions/{id}/minutes.csv", exports::motion_minutes)
            .post_steps("/motions/{id}", MOTION_STEPS, register::motion_step)
            .get("/decisions.csv", exports::decisions)
            .get("/api/ethics", home::api_ethics)
            .post("/api/applications", apply::submit)
            .get("/api/applications", applications::api_list)
            .get("/api/my-applications", applications::api_mine)
            .get("/api/mine", mine::api)
            .get("/api/status", home::status)
            .get("/api/personal-data", personal::export)
            .delete("/api/personal-data", personal::erase)
            .get("/api/applications/{id}", applications::api_get)
            .get("/api/committee", committee::api)
            .get("/api/register", register::api_list)
            .get("/api/register/{id}", register::api_provider)
            .get("/api/motions/{id}", register::api_motion)
            .handle(request)
    }

    fn on_event(&self, event: Event) -> Result<()> {
        log::debug(format!("ignoring event {} ({})", event.id, event.name));
        Ok(())
    }

    fn run_job(&self, name: &str) -> Result<()> {
        match name {
            jobs::DEADLINES => jobs::deadlines(),
            other => Err(Error::not_found(format!("there is no job named `{other}`"))),
        }
    }

    fn install(&self, previous: Option<&str>) -> Result<()> {
        log::info(format!(
            "admissions {} installed (previous: {})",
            env!("CARGO_PKG_VERSION"),
            previous.unwrap_or("none")
        ));
        Ok(())
    }
}

// Only the WebAssembly build is a component. Natively (unit tests) the crate is a library, and
// the component's export names, which contain `:` and `@`, would not link.
#[cfg(target_arch = "wasm32")]
trama_sdk::export_plugin!(Admissions);
