//! # services — a catalogue of services anyone can book
//!
//! Accredited providers (mirrored from the `admissions` register's events, see [`provider`])
//! publish services: a category from the instance's taxonomy, the place and opening hours, a
//! price model in cents, who it is for, individual or shared by a group ([`service`]), with a
//! few photos ([`photo`]). Anyone searches them without logging in ([`search`]); a logged-in
//! person books a seat of a slot or sends a request ([`booking`]); the provider confirms or
//! declines, the person may cancel until the deadline the instance sets, and the provider
//! marks it done ([`decide`]). Confirmed bookings have an `.ics` ([`ics`]) and a reminder the
//! day before ([`reminders`]). A shared service's group starts at its minimum and everyone is
//! told. After a done booking the person rates it ([`rating`]); operators hide services and
//! comments. Payment ([`payment`]): a booking draws in the person's own call on their welfare
//! wallet (host API 1.10: the vouchers' and corporate plans' purses for the service's category,
//! in the order of `wallet_owners`), the rest paid to the provider directly; the charge is
//! lowered or paid back when the real price is known, and what the credits owe each provider
//! is settled by the monthly statements ([`settlement`]).
//! Paths below are under `/p/services`; every form has its `/api/` twin.
//!
//! | route | who | what |
//! |---|---|---|
//! | `GET /`, `GET /api/services` | anyone | search: `q`, `category`, `price` (`free`/`paid`), `place`, `date` |
//! | `GET /services/{id}` (+ `/api/`) | anyone | the service, its provider's card, slots, ratings |
//! | `POST /services/{id}/book` | logged in | `slot` (a seat) or none (a request), `note`; `201` `{id, status}` |
//! | `GET /bookings`, `GET /api/bookings` | logged in | the caller's bookings |
//! | `GET /bookings/{id}` (+ `/api/`) | the person, the provider | the booking |
//! | `POST /bookings/{id}/cancel`, `…/rate` | the person | cancel until the deadline; `stars`, `comment` once done |
//! | `GET /bookings/{id}/calendar.ics` | the person, the provider | a confirmed booking |
//! | `POST /bookings/{id}/confirm`, `…/decline`, `…/done` | the provider | a request's confirmation needs `date`, `start`, `minutes` |
//! | `GET /provider` (+ `/api/`) | a provider's account | its desk |
//! | `POST /provider/{id}/services` | a provider's account | publish a service |
//! | `POST /services/{id}/slots` | a provider's account | `date`, `start`, `minutes`, `capacity` |
//! | `POST /services/{id}/photos`, `…/photos/{photo}/remove` | a provider's account | a form with a file: `photo` (JPEG, PNG, WebP), `alt`; remove one ([`photo`]) |
//! | `GET /services/{id}/photos/{photo}` | whoever may see the service | the image |
//! | `GET /statements?month=`, `POST /providers/{id}/statements/{month}/paid` | operator | the month's statements; mark one paid (`reference`), audited |
//! | `GET /api/providers/{id}/statements/{month}`, `GET /providers/{id}/statements/{month}/statement.csv` | operator, the provider's account | a statement, as JSON or CSV ([`settlement`]) |
//! | `GET /api/mine`, `GET/DELETE /api/personal-data` | the kernel, as the person | `/me`, download and erasure (see [`personal`]) |
//! | `GET /operator`, `POST /services/{id}/visibility`, `POST /bookings/{id}/comment` | operator | hide services and rating comments (`hidden`, `reason`) |

pub mod booking;
pub mod config;
pub mod decide;
pub mod ics;
mod notice;
pub mod payment;
pub mod personal;
pub mod photo;
pub mod provider;
pub mod published;
pub mod rating;
pub mod reminders;
pub mod search;
pub mod service;
pub mod settlement;
pub mod slot;
mod web;

use trama_sdk::events::Event;
use trama_sdk::http::{Request, Response};
use trama_sdk::router::Router;
use trama_sdk::twin::Twins;
use trama_sdk::{Error, Plugin, Result, clock};

use web::{bookings, catalogue, desk, operator, photos, statements};

/// The plugin: public so that the native tests can name it.
#[derive(Default)]
pub struct Services;

impl Plugin for Services {
    fn handle(&self, request: Request) -> Result<Response> {
        Router::new()
            .get("/", catalogue::home)
            .get("/api/services", catalogue::search_api)
            .get("/services/{id}", catalogue::page)
            .get("/api/services/{id}", catalogue::api)
            .post_twin("/services/{id}/book", catalogue::book)
            .get("/bookings", bookings::mine)
            .get("/api/bookings", bookings::mine_api)
            .get("/bookings/{id}", bookings::page)
            .get("/api/bookings/{id}", bookings::api)
            .get("/bookings/{id}/calendar.ics", bookings::calendar)
            .post_twin("/bookings/{id}/cancel", bookings::cancel)
            .post_twin("/bookings/{id}/rate", bookings::rate)
            .post_twin("/bookings/{id}/confirm", bookings::confirm)
            .post_twin("/bookings/{id}/decline", bookings::decline)
            .post_twin("/bookings/{id}/done", bookings::done)
            .get("/provider", desk::page)
            .get("/api/provider", desk::api)
            .post_twin("/provider/{id}/services", desk::publish)
            .post_twin("/services/{id}/slots", desk::add_slot)
            .post_twin("/services/{id}/photos", photos::add)
            .post_twin("/services/{id}/photos/{photo}/remove", photos::remove)
            .get("/services/{id}/photos/{photo}", photos::image)
            .get("/operator", operator::page)
            .post_twin("/services/{id}/visibility", operator::set_service)
            .post_twin("/bookings/{id}/comment", operator::set_comment)
            .get("/statements", statements::page)
            .get("/api/providers/{id}/statements/{month}", statements::api)
            .get(
                "/providers/{id}/statements/{month}/statement.csv",
                statements::csv,
            )
            .post_twin(
                "/providers/{id}/statements/{month}/paid",
                statements::mark_paid,
            )
            .get("/api/mine", personal::mine)
            .get("/api/personal-data", personal::export)
            .delete("/api/personal-data", personal::erase)
            .handle(request)
    }

    fn on_event(&self, event: Event) -> Result<()> {
        provider::on_event(&event)
    }

    fn run_job(&self, name: &str) -> Result<()> {
        match name {
            "reminders" => reminders::run(clock::now_ms()).map(|_| ()),
            other => Err(Error::not_found(format!("no job {other}"))),
        }
    }
}

#[cfg(target_arch = "wasm32")]
trama_sdk::export_plugin!(Services);
