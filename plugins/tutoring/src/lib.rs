//! # tutoring — homework support in small groups
//!
//! A cooperative selects and trains young tutors; the municipality funds a number of hours of
//! homework support per family; lessons are for small groups (at most three children by
//! default) and take place in public spaces — library rooms, community halls — that are booked
//! with them. This plugin keeps the registers of tutors, spaces, families and children, lets
//! families (or operators for them) book lessons, takes attendance, sends reminders, and gives
//! the cooperative and the municipality monthly reports and calendars.
//!
//! The rules are enforced inside the kernel's atomic batches (see [`booking`]): a tutor, a
//! space or a child is never in two lessons at once, a group never exceeds its size, a child
//! only joins a group of their level, and a family never books beyond its funded hours, however
//! many people book at the same moment.
//!
//! Times are local times in Europe/Rome (`trama_sdk::local`); a lesson also stores its UTC instant.
//!
//! Roles: `operator` (or `admin`) is the cooperative's staff; `tutor` a tutor who linked their
//! account with the claim code the operator gave them; every logged-in person can register
//! their children and book. Paths below are under `/p/tutoring`.
//!
//! ## Pages (HTML, no JavaScript needed)
//! | route | who | what |
//! |---|---|---|
//! | `GET /` | all | the family's children and hours; shortcuts by role |
//! | `GET /family`, `POST /family/children` | logged in | the caller's children, bookings, hours, calendar; register a child |
//! | `GET /children/{id}`, `POST /children/{id}` | family, operator | edit a child (level, subjects, active) |
//! | `GET /book?child=&subject=&from=&days=` | family, operator | groups with room and free times |
//! | `POST /bookings` (`child` + `lesson`, or `child`, `subject`, `tutor`, `space`, `date`, `start`) | family, operator | book |
//! | `POST /bookings/{id}/cancel` | family, operator | cancel (late: the hour is used) |
//! | `GET /lessons/{id}` | operator, its tutor, its families | the lesson; the register; calling it off |
//! | `POST /lessons/{id}/attendance` (`present`, repeated) | its tutor, operator | the register |
//! | `POST /lessons/{id}/cancel` (`reason`) | operator | call a lesson off (hours go back) |
//! | `GET /tutor`, `POST /tutor/claim` (`code`) | tutor | the tutor's lessons; link the account |
//! | `GET /tutors`, `POST /tutors`, `GET /tutors/{id}`, `POST /tutors/{id}`, `POST /tutors/{id}/feed` | operator | tutors |
//! | `GET /spaces`, `POST /spaces`, `GET /spaces/{id}`, `POST /spaces/{id}` | operator | spaces |
//! | `GET /families`, `POST /families`, `GET /families/{id}`, `POST /families/{id}/children` | operator (a family its own) | families |
//! | `POST /families/{id}/allowance` (`period`, `hours`, `note`) | operator | set (or clear) a family's hours for a period |
//! | `POST /families/{id}/feed` | family, operator | a new calendar address |
//! | `POST /children/{id}/paths`, `POST /children/{id}/paths/end` (`subject`, `grade`) | family, operator | start a tutoring path in a subject with the child's mark, end it with the mark at the end (see [`progress`]) |
//! | `GET /lessons?from=&to=&tutor=` | operator | lessons of a period |
//! | `GET /reports?month=`, `GET /reports/{families,tutors,spaces,lessons}.csv?month=` | operator | monthly report and exports |
//! | `POST /reminders/run` | operator | send the reminders due now |
//! | `GET /feeds/tutor/{token}.ics`, `GET /feeds/family/{token}.ics` | whoever has the address | iCalendar feeds |
//!
//! ## JSON API
//! The same fields as the forms (lists as arrays); a field that breaks a rule is a `422` with
//! the kernel's `{error: {kind, message}}` and `problems: [{field, message}]`; a booking the
//! state forbids (full group, tutor/space/child taken, no hours left) is a `409` whose message
//! says which.
//!
//! | route | what |
//! |---|---|
//! | `GET/POST /api/tutors`, `GET/POST /api/tutors/{id}`, `GET /api/tutor`, `POST /api/tutor/claim` | tutors |
//! | `GET/POST /api/spaces`, `POST /api/spaces/{id}` | spaces |
//! | `GET /api/family`, `POST /api/family/children`, `POST /api/children/{id}` | the caller's family |
//! | `GET/POST /api/families`, `GET /api/families/{id}`, `POST /api/families/{id}/children`, `POST /api/families/{id}/allowance` | operators |
//! | `GET /api/slots?child=&subject=&from=&days=` | `{from, to, groups, openings}` |
//! | `POST /api/bookings` (`201`), `POST /api/bookings/{id}/cancel` | booking |
//! | `GET /api/lessons?from=&to=&tutor=`, `GET /api/lessons/{id}`, `POST /api/lessons/{id}/attendance`, `POST /api/lessons/{id}/cancel` | lessons |
//! | `GET /api/reports?month=` | the monthly report |
//! | `GET /api/outcomes` | operators: the tutoring paths ended by month, improved, unchanged or worse (see [`progress`]) |
//! | `POST /api/reminders/run` | `{queued, already_sent, without_account}` |
//! | `GET /api/personal-data`, `DELETE /api/personal-data` | the kernel, as the person: everything about them ("download my data"), and its erasure (see [`personal`]) |
//! | `GET /api/mine` | the caller's lessons as `[{title, status, href}]`, for the kernel's `/me` page: the family's bookings (upcoming and of the last 30 days) and, for a tutor, the lessons they will teach; latest first, at most 50 |
//! | `GET /api/status` | whether groups can meet now (an active tutor and space) and in which subjects, as `{open, note}`, for the kernel's home page |
//! | `GET /_kernel/budget/measures`, `POST /_kernel/budget/allocations` | the kernel only: the service as a measure the coordination table funds, and money it allocated (see [`budget`]) |
//!
//! ## Events and jobs
//! Publishes `tutoring.lesson_booked`, `tutoring.booking_cancelled`, `tutoring.lesson_cancelled`,
//! `tutoring.attendance_recorded` (payloads in [`booking`], [`cancel`], [`attendance`]) and
//! `tutoring.path_completed`, a child's marks before and after a tutoring path ([`progress`]).
//! A booking made online by a parent logged in with SPID or CIE carries `person`, the key of
//! their fiscal number (`trama_contracts::person::key`), so casework can follow a referral.
//! The job `reminders` runs every ten minutes (see [`reminders`]).

pub mod allowance;
pub mod attendance;
pub mod booking;
pub mod budget;
pub mod cancel;
pub mod config;
pub mod edit;
pub mod family;
#[cfg(test)]
mod fixtures;
pub mod ics;
pub mod input;
pub mod lesson;
pub mod personal;
pub mod progress;
pub mod reminders;
pub mod report;

pub mod rules;
pub mod schedule;
pub mod slots;
pub mod space;
pub mod tutor;
mod web;

use trama_sdk::http::{Request, Response};
use trama_sdk::router::Router;
use trama_sdk::twin::Twins;
use trama_sdk::{Error, Plugin, Result, clock, log};

use web::{
    bookings, families, feeds, home, lessons, mine, progress as paths, reports, spaces, tutors,
};

/// The plugin: public so that natively, where nothing is exported, it is still a library item.
#[derive(Default)]
pub struct Tutoring;

impl Plugin for Tutoring {
    fn handle(&self, request: Request) -> Result<Response> {
        Router::new()
            .get("/", home::page)
            // Families.
            .get("/family", families::mine_page)
            .post_twin("/family/children", families::add_own_child)
            .get("/children/{id}", families::child_page)
            .post_twin("/children/{id}", families::update_child)
            .post_twin("/children/{id}/paths", paths::start)
            .post_twin("/children/{id}/paths/end", paths::end)
            .get("/families", families::list_page)
            .post_twin("/families", families::register)
            .get("/families/{id}", families::page)
            .post_twin("/families/{id}/children", families::add_child)
            .post_twin("/families/{id}/allowance", families::set_allowance)
            .post("/families/{id}/feed", families::renew_feed)
            // Booking.
            .get("/book", bookings::search_page)
            .post_twin("/bookings", bookings::book)
            .post_twin("/bookings/{id}/cancel", bookings::cancel)
            // Lessons.
            .get("/lessons", lessons::list_page)
            .get("/lessons/{id}", lessons::page)
            .post_twin("/lessons/{id}/attendance", lessons::record_attendance)
            .post_twin("/lessons/{id}/cancel", lessons::cancel_lesson)
            .post_twin("/reminders/run", lessons::run_reminders)
            // Tutors and spaces.
            .get("/tutor", tutors::own_page)
            .post_twin("/tutor/claim", tutors::claim)
            .get("/tutors", tutors::list_page)
            .post_twin("/tutors", tutors::register)
            .get("/tutors/{id}", tutors::edit_page)
            .post_twin("/tutors/{id}", tutors::update)
            .post("/tutors/{id}/feed", tutors::renew_feed)
            .get("/spaces", spaces::list_page)
            .post_twin("/spaces", spaces::register)
            .get("/spaces/{id}", spaces::edit_page)
            .post_twin("/spaces/{id}", spaces::update)
            // Reports and calendars.
            .get("/reports", reports::page)
            .get("/reports/{file}", reports::csv)
            .get("/feeds/tutor/{file}", feeds::tutor)
            .get("/feeds/family/{file}", feeds::family)
            // JSON API.
            .get("/api/tutors", tutors::api_list)
            .get("/api/tutors/{id}", tutors::api_get)
            .get("/api/tutor", tutors::api_me)
            .get("/api/spaces", spaces::api_list)
            .get("/api/family", families::api_mine)
            .get("/api/families", families::api_list)
            .get("/api/families/{id}", families::api_get)
            .get("/api/slots", bookings::api_slots)
            .get("/api/lessons", lessons::api_list)
            .get("/api/lessons/{id}", lessons::api_get)
            .get("/api/reports", reports::api)
            .get("/api/outcomes", paths::outcomes)
            .get("/api/mine", mine::api)
            .get("/api/status", home::status)
            .get("/api/personal-data", personal::export)
            .delete("/api/personal-data", personal::erase)
            // The coordination table's money (the kernel only, see `budget`).
            .get("/_kernel/budget/measures", budget::measures)
            .post("/_kernel/budget/allocations", budget::allocate)
            .handle(request)
    }

    fn run_job(&self, name: &str) -> Result<()> {
        match name {
            reminders::JOB => {
                let settings = config::Settings::load()?;
                let sent = reminders::run(&settings, clock::now_ms())?;
                if sent.queued > 0 {
                    log::info(format!("{} reminders queued", sent.queued));
                }
                Ok(())
            }
            other => Err(Error::not_found(format!("there is no job named `{other}`"))),
        }
    }

    /// Nothing to prepare: collections exist as soon as they are declared, and every document
    /// is created on first use. Succeeds on an empty store, so the plugin can be enabled on a
    /// running instance (by governance) and serve at once.
    fn install(&self, previous: Option<&str>) -> Result<()> {
        log::info(format!(
            "tutoring {} installed (previous: {})",
            env!("CARGO_PKG_VERSION"),
            previous.unwrap_or("none")
        ));
        Ok(())
    }
}

// Only the WebAssembly build is a component. Natively (unit tests) the crate is a library, and
// the component's export names, which contain `:` and `@`, would not link.
#[cfg(target_arch = "wasm32")]
trama_sdk::export_plugin!(Tutoring);
