//! # casework — the social case file (cartella sociale)
//!
//! The welcome desk of the social services opens a case for a person: who they are (name,
//! codice fiscale, contacts), who lives with them, their needs from the territory's taxonomy,
//! and their consent to processing with the version of the notice they were given. The case
//! is assigned to a care manager and a care team. The care manager keeps notes (a sensitive
//! note is sealed with the instance's keys, never in plain text in the store), a personal plan
//! of goals and actions, and closes the case with an outcome from a fixed list.
//!
//! Only the assigned care manager, the supervisors of the case's team and the person
//! themselves see a case — everyone else gets `404` — and every read is audited with the
//! reader's relation (see [`access`]). Supervisors see statistics with small cells suppressed
//! (see [`stats`]). Paths below are under `/p/casework`.
//!
//! | route | who | what |
//! |---|---|---|
//! | `GET /` | logged in | the desk: the intake form and the care manager's cases; a supervisor's teams' cases; the person's own case |
//! | `POST /cases`, `POST /api/cases` | care manager | intake (`name, tax_code, phone, email, address, household, needs, team, care_manager, consent`, optional `situation`); `201` `{id}` |
//! | `GET /cases/{id}`, `GET /api/cases/{id}` | assigned, supervisor, the person | the file (the person: a summary without sensitive notes); audited |
//! | `POST /cases/{id}/notes` (+ `/api/`) | assigned, supervisor | a note (`text`, `sensitive`) |
//! | `POST /cases/{id}/goals` (+ `/api/`) | assigned, supervisor | a goal of the plan (`text`) |
//! | `POST /cases/{id}/actions` (+ `/api/`) | assigned, supervisor | an action of a goal (`goal`, `text`) |
//! | `POST /cases/{id}/progress` (+ `/api/`) | assigned, supervisor | a goal's or action's status (`item`: `2` or `2.1`, `status`) |
//! | `POST /cases/{id}/close` (+ `/api/`) | assigned, supervisor | closure (`outcome`, `note`) |
//! | `POST /cases/{id}/assign` (+ `/api/`) | a supervisor of the case's team | another care manager (`care_manager`, a username) and/or team (`team`); audited |
//! | `POST /cases/{id}/review-date` (+ `/api/`) | assigned, supervisor | the next review of the plan (`date`); audited |
//! | `POST /cases/{id}/reviews` (+ `/api/`) | assigned, supervisor | a review (`note`, `plan`, `next`, `situation`); sets the next date; publishes `casework.case_reviewed` (before/after, see [`situation`]); audited |
//! | `POST /cases/{id}/attachments` (+ `/api/`) | assigned, supervisor | a document (form with files: `file`, `title`, `shareable`); audited |
//! | `GET /cases/{id}/attachments/{file}` | who sees the case (the person: shareable ones) | the document; every download audited |
//! | `GET /stats`, `GET /api/stats` | supervisor, admin | cases by need and by outcome, referrals, outreach; `from`, `to` (`YYYY-MM`, Rome) and `team` narrow them (see [`period`]); counts under 5 shown as `< 5` |
//! | `GET /outcomes`, `GET /api/outcomes` | supervisor, admin | reviews compared with the situation at intake, by month: improved, unchanged, worse (see [`situation`]); the page shows counts under 5 as `< 5` |
//! | `GET /staff`, `POST /staff` (+ `/api/`) | admin | care teams of staff (`username`, `teams`) |
//! | `GET /ask` | logged in | the person's online request for help, and the state of theirs |
//! | `POST /requests`, `POST /api/requests` | logged in | a request (`name, tax_code, phone, email, address, household, needs, text, consent`; the code comes from SPID/CIE when asserted); `201` `{id}` |
//! | `GET /requests`, `GET /api/requests` | care manager, supervisor (the API: anyone, their own) | the queue of waiting requests: all without a team, their teams' ones |
//! | `GET /requests/{id}` (+ `/api/`) | staff who see it, the person | the request; audited |
//! | `POST /requests/{id}/team` (+ `/api/`) | a supervisor who sees it | gives it a care team (`team`) |
//! | `POST /requests/{id}/take` (+ `/api/`) | staff who see it | opens the case (`care_manager`, `team`, `confirm_duplicate`), tells the person |
//! | `POST /cases/{id}/referrals` (+ `/api/`) | assigned, supervisor | a referral (`service`, `campaign`, `offer`, `name`, `contact`, `reason`), see [`referral`] |
//! | `POST /cases/{id}/referrals/{referral}/outcome` (+ `/api/`) | assigned, supervisor | an outcome recorded by hand (`outcome`) |
//! | `POST /cases/{id}/profile` (+ `/api/`) | assigned, supervisor | the household's ISEE and residence (`isee`, `resident`), see [`profile`] |
//! | `GET /outreach`, `GET /outreach/{campaign}`, `GET /api/outreach/{campaign}` | care manager, supervisor | open measures; the households of their cases likely eligible that have not applied (audited), see [`outreach`] |
//! | `POST /outreach/{campaign}/contacts` (+ `/api/`) | assigned, supervisor of the case | a contact (`case`, `date`, `channel`, `result`) |
//! | `GET /api/mine` | logged in | the person's own case for `/me` |
//! | `GET/DELETE /api/personal-data` | the kernel, as the person | download and erasure (see [`personal`]) |

pub mod access;
pub mod attachment;
pub mod case;
pub mod catalogue;
pub mod config;
pub mod inbox;
pub mod measure;
pub mod note;
pub mod opening;
pub mod outreach;
pub mod people;
pub mod period;
pub mod personal;
pub mod plan;
pub mod profile;
pub mod referral;
pub mod request;
pub mod review;
pub mod service_stats;
pub mod situation;
pub mod stats;
mod web;

use trama_sdk::events::Event;
use trama_sdk::http::{Request, Response};
use trama_sdk::router::Router;
use trama_sdk::twin::Twins;
use trama_sdk::{Plugin, Result};

use web::{
    admin, attachments, desk, file, outcomes, outreach as reach, profile as means, referrals,
    requests, reviews,
};

/// The plugin: public so that the native tests can name it.
#[derive(Default)]
pub struct Casework;

impl Plugin for Casework {
    fn handle(&self, request: Request) -> Result<Response> {
        Router::new()
            .get("/", desk::home)
            .post_twin("/cases", desk::intake)
            .get("/cases/{id}", file::page)
            .get("/api/cases/{id}", file::api)
            .post_twin("/cases/{id}/notes", file::add_note)
            .post_twin("/cases/{id}/goals", file::add_goal)
            .post_twin("/cases/{id}/actions", file::add_action)
            .post_twin("/cases/{id}/progress", file::progress)
            .post_twin("/cases/{id}/close", file::close)
            .post_twin("/cases/{id}/assign", file::assign)
            .post_twin("/cases/{id}/review-date", reviews::set_date)
            .post_twin("/cases/{id}/reviews", reviews::add)
            .post_twin("/cases/{id}/attachments", attachments::upload)
            .get("/cases/{id}/attachments/{file}", attachments::download)
            .post_twin("/cases/{id}/referrals", referrals::refer)
            .post_twin(
                "/cases/{id}/referrals/{referral}/outcome",
                referrals::outcome,
            )
            .post_twin("/cases/{id}/profile", means::save)
            .get("/outreach", reach::measures)
            .get("/outreach/{campaign}", reach::households_page)
            .get("/api/outreach/{campaign}", reach::households_api)
            .post_twin("/outreach/{campaign}/contacts", reach::record_contact)
            .get("/outcomes", outcomes::page)
            .get("/api/outcomes", outcomes::api)
            .get("/stats", admin::stats_page)
            .get("/api/stats", admin::stats_api)
            .get("/staff", admin::staff_page)
            .post_twin("/staff", admin::set_staff)
            .get("/ask", requests::ask)
            .get("/requests", requests::queue_page)
            .get("/api/requests", requests::list_api)
            .post_twin("/requests", requests::send)
            .get("/requests/{id}", requests::page)
            .get("/api/requests/{id}", requests::api)
            .post_twin("/requests/{id}/team", requests::set_team)
            .post_twin("/requests/{id}/take", requests::take)
            .get("/api/mine", personal::mine)
            .get("/api/personal-data", personal::export)
            .delete("/api/personal-data", personal::erase)
            .handle(request)
    }

    fn run_job(&self, name: &str) -> Result<()> {
        match name {
            review::JOB => {
                let sent = review::run(trama_sdk::clock::now_ms())?;
                if sent.queued > 0 {
                    trama_sdk::log::info(format!("{} review reminders queued", sent.queued));
                }
                Ok(())
            }
            other => Err(trama_sdk::Error::not_found(format!(
                "there is no job named `{other}`"
            ))),
        }
    }

    /// Referrals follow the person's applications and bookings, and the measures are learned,
    /// from the events of vouchers and tutoring (see [`inbox`]).
    fn on_event(&self, event: Event) -> Result<()> {
        inbox::on_event(&event)
    }
}

#[cfg(target_arch = "wasm32")]
trama_sdk::export_plugin!(Casework);
