//! # surveys — satisfaction questionnaires after a service, answered anonymously
//!
//! When a service is delivered (today: a tutoring lesson the child attended, learned from the
//! typed event `tutoring.attendance_recorded`), each person who received it is sent, through
//! `notify`, a link to a short questionnaire: overall satisfaction from 1 to 5, whether the
//! service met the need, whether they would recommend it, and an optional comment. At most one
//! questionnaire per person and service every `days_between` days; the link works for
//! `answer_days` days and only once.
//!
//! **Anonymity.** The link carries a random secret; the store keeps only its SHA-256, with the
//! service and the month and no account ([`invite`]). An answer is stored apart from its
//! invitation, with the service and the month only — no account, no invitation, no time
//! ([`answer`]) — and the invitation is only marked answered, so response rates can be counted.
//! Answering needs no login and nothing about the person is audited or published: the event
//! `surveys.answered` carries the service, the month and the scores. Results are shown only
//! where at least five people answered ([`results`]), so a small group's answers cannot be told
//! apart.
//!
//! | route | who | what |
//! |---|---|---|
//! | `GET /` | anyone | what the questionnaires are and how answers are kept |
//! | `GET /answer/{secret}` | whoever holds the link | the questionnaire |
//! | `POST /answer/{secret}`, `POST /api/answer/{secret}` | whoever holds the link | the answer (`score`, `need_met`, `recommend`, `comment`) |
//! | `GET /results`, `/api/results`, `/results.csv` | operator | invitations, answers, response rate and results by service and month |
//! | `GET/DELETE /api/personal-data` | the kernel, as the person | when they were last invited (see [`personal`]) |

pub mod answer;
pub mod config;
pub mod invite;
pub mod personal;
pub mod results;
pub mod source;
mod web;

use trama_sdk::events::Event;
use trama_sdk::http::{Request, Response};
use trama_sdk::router::Router;
use trama_sdk::twin::Twins;
use trama_sdk::{Plugin, Result};

/// The plugin: public so that the native tests can name it.
#[derive(Default)]
pub struct Surveys;

impl Plugin for Surveys {
    fn handle(&self, request: Request) -> Result<Response> {
        Router::new()
            .get("/", web::home)
            .get("/answer/{secret}", web::questionnaire)
            .post_twin("/answer/{secret}", web::send)
            .get("/results", web::results_page)
            .get("/api/results", web::results_api)
            .get("/results.csv", web::results_csv)
            .get("/api/personal-data", personal::export)
            .delete("/api/personal-data", personal::erase)
            .handle(request)
    }

    fn on_event(&self, event: Event) -> Result<()> {
        match source::delivery(&event)? {
            Some(delivery) => invite::invite(&event.id, &delivery),
            None => Ok(()),
        }
    }
}

#[cfg(target_arch = "wasm32")]
trama_sdk::export_plugin!(Surveys);
