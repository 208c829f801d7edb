//! # hello — the example plugin that uses every host import
//!
//! `hello` keeps a list of greetings. It exists to show plugin authors how the SDK is used and
//! to let the kernel's tests drive every host import over HTTP, so its behaviour is specified
//! exactly here. Paths are relative to the mount point `/p/hello`.
//!
//! A greeting is `{name, message, created_at}` in collection `greetings` (indexed by `name` and
//! `created_at`). Both fields are trimmed; `name` must have 1 to 80 characters and `message` 1
//! to the `max_message_length` setting (default 280), counted in characters. A rule broken is
//! a `422` whose message names the field (in the request's locale); malformed input — a form
//! field or JSON member missing, JSON that does not parse — is a `400` naming it.
//!
//! Every creation, by form, JSON or batch, publishes `hello.greeted` with `{id, name}`, appends
//! the audit entry `greeting.created` (subject: the id, detail: `{name}`) and logs a line.
//!
//! ## Pages
//! | route | behaviour |
//! |---|---|
//! | `GET /` | `index.html`: the `greeting` setting, a form, the latest 100 greetings (newest first, by `created_at`) and their total |
//! | `POST /greet` | form fields `name`, `message`: creates a greeting and redirects to `/p/hello/`, whose page then says once "Saluto di NAME aggiunto." (`notice`, host API 1.8); a broken rule renders `index.html` again with status `422`, the message and the typed values |
//! | `GET /export.csv` | `greetings.csv` (`text/csv`): `id,name,message,created_at` (RFC 3339 UTC), oldest first, RFC 4180 quoting, CRLF lines; cells starting with `= + - @` get a leading `'` |
//!
//! ## JSON API
//! A greeting is shown as `{id, version, name, message, created_at}` (`created_at` in Unix ms).
//!
//! | route | behaviour |
//! |---|---|
//! | `GET /api/greetings` | array, newest first; `?name=` keeps exact matches (an indexed query); `?limit=` (default 100, at most 1000) and `?offset=` page |
//! | `POST /api/greetings` | body `{name, message}`: `201` and the greeting; `?commit=each` commits the greeting, its event and its audit entry one by one (`store::checkpoint`) instead of together |
//! | `GET /api/greetings/{id}` | the greeting, or `404` |
//! | `PUT /api/greetings/{id}` | body `{message, version}`: replaces the message if the greeting is still at `version`, else `409`; `404` if absent; audits `greeting.updated` |
//! | `DELETE /api/greetings/{id}` | `{"deleted": id}`, or `404`; audits `greeting.deleted` |
//! | `POST /api/batch` | body `{"greetings": [{name, message}, …], "fail_on": name?}` (at most 100): one atomic store batch; `201` and the array. If `fail_on` equals a (trimmed) name, the batch also holds a write of that greeting expecting a wrong version, so the whole batch fails with `409` and nothing is written |
//! | `GET /api/count` | `{"greetings": n, "events_seen": n, "jobs_run": n, "visits": n}` |
//! | `POST /api/visits` | bumps the counter `visits` under `store.lock`: `{"visits": n}`; `?optimistic=1` reads it plainly and retries on version conflicts (16 attempts, then `409`) |
//! | `GET /api/whoami` | `{"user": {id, username, display_name, roles} or null, "is_admin": bool, "fiscal_number": the caller's bound fiscal number or null}` (`identity.fiscal-number`, host API 1.6) |
//! | `GET /api/admin` | `{"admin": true, "username": …}` for role `admin`; `401` if not logged in, `403` without the role |
//! | `GET /api/users/{id}` | the account (`identity.find-user`) for a logged-in caller; `401` if not logged in, `404` if unknown |
//! | `GET /api/holders/{role}` | the accounts holding `role` (`identity.holders`, host API 1.4) as `[{username, display_name}]`, for a logged-in caller; hello declares only `admin`, so any other role is refused by the kernel (`500`, and a `plugin.refused` audit entry) |
//! | `GET /api/settings` | the settings object |
//! | `GET /api/time` | `{"now": unix ms, "utc": RFC 3339}` |
//! | `POST /api/notify` | body `{subject, body, key, then_refuse?}`: sends the logged-in caller a notification through the kernel outbox (link `/p/hello/`); `{"queued": bool}` (`false` when the key was used before); with `then_refuse` it answers `409` after sending, so the kernel drops the message; `401` if not logged in |
//!
//! An unknown path is a `404`; a known path with another method is a `405`.
//!
//! ## Events, jobs, install
//! - `hello.greeted` (subscribed): the event id goes into collection `seen_events` with expected
//!   version 0, and counter `events_seen` is bumped in the same batch; a redelivery conflicts
//!   and is ignored, so each event counts once.
//! - job `tidy` (every hour): bumps counter `jobs_run`; any other job name fails.
//! - install/upgrade: writes `meta/install` = `{previous, version, installed_at}`.

mod api;
mod counters;
mod model;
mod pages;

use trama_sdk::events::Event;
use trama_sdk::http::{Request, Response};
use trama_sdk::router::Router;
use trama_sdk::{Plugin, Result};

#[derive(Default)]
pub struct Hello;

impl Plugin for Hello {
    fn handle(&self, request: Request) -> Result<Response> {
        Router::new()
            .get("/", pages::index)
            .post("/greet", pages::greet)
            .get("/export.csv", pages::export_csv)
            .get("/api/greetings", api::list)
            .post("/api/greetings", api::create)
            .get("/api/greetings/{id}", api::get)
            .put("/api/greetings/{id}", api::update)
            .delete("/api/greetings/{id}", api::delete)
            .post("/api/batch", api::batch)
            .get("/api/count", api::count)
            .post("/api/visits", api::visit)
            .get("/api/whoami", api::whoami)
            .get("/api/admin", api::admin)
            .get("/api/users/{id}", api::user)
            .get("/api/holders/{role}", api::holders)
            .get("/api/settings", api::settings)
            .get("/api/time", api::time)
            .post("/api/notify", api::notify)
            .get("/api/personal-data", api::personal_data)
            .delete("/api/personal-data", api::erase_personal_data)
            .handle(request)
    }

    fn on_event(&self, event: Event) -> Result<()> {
        counters::on_event(&event)
    }

    fn run_job(&self, name: &str) -> Result<()> {
        counters::run_job(name)
    }

    fn install(&self, previous: Option<&str>) -> Result<()> {
        counters::install(previous)
    }
}

trama_sdk::export_plugin!(Hello);
