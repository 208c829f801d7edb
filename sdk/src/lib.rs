//! # trama-sdk: write Trama plugins in Rust
//!
//! A Trama plugin is a WebAssembly component the kernel loads into a sandbox. It has no files,
//! no network, no clock and no randomness of its own: everything it does goes through the
//! kernel's host API (`wit/plugin.wit`, package `trama:plugin@1.10.0`), which checks it against
//! the capabilities the plugin declares in its `plugin.toml`. This crate is the only thing a
//! plugin author needs: it wraps that API in plain Rust types and hides the generated bindings.
//!
//! | module | what for |
//! |---|---|
//! | [`http`] | the [`Request`](http::Request) (typed forms, query and JSON) and the [`Response`](http::Response) (JSON, pages, redirects with a one-time message for the person, downloads) |
//! | [`router`] | dispatching by method and path pattern, with `404`/`405` answers |
//! | [`twin`] | one handler for a page's form and its JSON API twin (`/x` and `/api/x`) in the route table |
//! | [`store`] | typed documents in declared collections: versions, queries, atomic batches, retry on conflict |
//! | [`settings`] | the instance's settings of the plugin, validated by the kernel |
//! | [`identity`] | the caller, their roles, other accounts |
//! | [`ledger`] | money in integer cents: accounts, idempotent transfers that never overdraw (host API 1.1); purses offered to a person's wallet (1.10) |
//! | [`personal_data`] | the person's data for "download my data" and its erasure, through the `personal_data` route |
//! | [`payout`] | paying out what an owed account holds, once per request id, with the payment's record |
//! | [`budget`] | measures the coordination table funds: the `[budget]` routes' types, allocations taken once per key |
//! | [`notify`] | messages to people through the kernel's outbox, sent once per key (host API 1.2) |
//! | [`events`] | publishing and receiving named events |
//! | [`audit`] | the instance's tamper-evident log of changes |
//! | [`web`] | who a page is for, `201` for API creations, redirects inside the plugin |
//! | [`submit`] | one flow for a form and its JSON twin: `422` JSON or the page again, `201` or a redirect |
//! | [`code`] | codes people type (Crockford base 32), created unique; secret tokens |
//! | [`claim`] | one-time claim codes that link an account to a record |
//! | [`quota`] | "at most N per month per person", atomic with the write it limits |
//! | [`scale`] | ordinal scales a territory words in its settings (a household's situation, a pupil's marks), read from forms |
//! | [`protocol`] | protocol numbers (`2026/000123`) from the instance's register, for a receipt (host API 1.8) |
//! | [`seal`] | text kept encrypted at rest (a care manager's sensitive notes), with keys held outside the database (host API 1.9) |
//! | [`wallet`] | the person's welfare wallet: spending the purses other plugins offer them (their public and company credit) on what they book, with their consent (host API 1.10) |
//! | [`log`] | the kernel's log |
//! | [`clock`] | the time, and UTC calendar helpers |
//! | [`csv`] | CSV exports (RFC 4180) guarded against formula injection |
//! | [`i18n`] | the two languages of pages and messages, Italian first, from the request's locale |
//! | [`input`] | forms and JSON bodies read the same way, the problems found, refused forms shown again |
//! | [`checked`] | the end of a form check: the value read, or every problem found |
//! | [`money`] | euros as people write them (`1.234,56`, `1,234.56`) to and from integer cents |
//! | [`fiscal`] | Italian tax identifiers: codice fiscale and partita IVA, with their check characters |
//! | [`host`] | where the calls to the kernel go: the component's imports, or natively a [`NativeHost`](host::native::NativeHost) such as `trama-testhost` |
//! | `allocator` | (wasm32 only) the plugin's allocator, which spares a typical call from growing its memory |
//!
//! Every fallible function returns [`Result`], whose [`Error`] variants are the HTTP statuses
//! the kernel answers with; `?` does the right thing almost everywhere.
//!
//! Each call is served by a fresh instance of the plugin, so nothing survives in memory
//! between calls: keep state in the store. A panic is contained by the kernel (the call fails
//! with a 500), but an [`Error`] gives the user a better message.
//!
//! ## Example
//!
//! A complete plugin: `plugin.toml` declares the collection and its index,
//! `templates/index.html` extends the theme's `base.html`.
//!
//! ```no_run
//! use serde::{Deserialize, Serialize};
//! use trama_sdk::http::{Request, Response};
//! use trama_sdk::router::{Params, Router};
//! use trama_sdk::store::{Cmp, Collection};
//! use trama_sdk::{Error, Plugin, Result, audit, clock, identity};
//!
//! #[derive(Serialize, Deserialize)]
//! struct Note {
//!     author: String,
//!     text: String,
//!     created_at: i64,
//! }
//!
//! const NOTES: Collection<Note> = Collection::new("notes");
//!
//! #[derive(Deserialize)]
//! struct NoteForm {
//!     text: String,
//! }
//!
//! fn index(request: Request, _: Params) -> Result<Response> {
//!     let notes = NOTES.query().order_by_desc("created_at").limit(50).fetch()?;
//!     Response::render("index.html", &serde_json::json!({ "notes": notes, "locale": request.locale() }))
//! }
//!
//! fn add(request: Request, _: Params) -> Result<Response> {
//!     let user = identity::require_login()?;
//!     let form: NoteForm = request.parse_form()?;
//!     if form.text.trim().is_empty() {
//!         return Err(Error::invalid("form field `text`: write something first"));
//!     }
//!     let note = NOTES.insert(Note {
//!         author: user.username,
//!         text: form.text,
//!         created_at: clock::now_ms(),
//!     })?;
//!     audit::record("note.created", &note.id, &serde_json::json!({}))?;
//!     Ok(Response::redirect("/p/notes/"))
//! }
//!
//! fn mine(_: Request, _: Params) -> Result<Response> {
//!     let user = identity::require_login()?;
//!     let notes = NOTES.query().filter("author", Cmp::Eq, user.username).fetch()?;
//!     Response::json(&notes)
//! }
//!
//! #[derive(Default)]
//! struct Notes;
//!
//! impl Plugin for Notes {
//!     fn handle(&self, request: Request) -> Result<Response> {
//!         Router::new()
//!             .get("/", index)
//!             .post("/notes", add)
//!             .get("/api/mine", mine)
//!             .handle(request)
//!     }
//! }
//!
//! trama_sdk::export_plugin!(Notes);
//! ```
//!
//! ## Building
//!
//! A plugin is a `cdylib` crate built for `wasm32-unknown-unknown` and then encoded as a
//! component; `trama plugin build plugins/NAME` does both (`trama plugin new NAME` scaffolds
//! one that builds).

#[doc(hidden)]
pub mod bindings;

/// Only where a plugin runs: single-threaded WebAssembly, which its `Sync` claim relies on.
#[cfg(all(target_arch = "wasm32", not(target_feature = "atomics")))]
pub mod allocator;
pub mod audit;
pub mod availability;
pub mod budget;
pub mod checked;
pub mod choices;
pub mod claim;
pub mod clock;
pub mod code;
pub mod csv;
mod error;
pub mod events;
pub mod files;
pub mod fiscal;
mod form;
pub mod history;
pub mod host;
pub mod http;
pub mod i18n;
pub mod identity;
pub mod input;
pub mod interval;
pub mod ledger;
pub mod local;
pub mod log;
pub mod mine;
pub mod money;
pub mod notify;
pub mod payout;
pub mod personal_data;
mod plugin;
pub mod protocol;
pub mod quota;
pub mod router;
pub mod scale;
pub mod seal;
pub mod settings;
pub mod stats;
pub mod store;
pub mod submit;
pub mod twin;
pub mod wallet;
pub mod web;

pub use error::{Error, Result};
pub use plugin::{Plugin, serve};

/// What [`export_plugin!`] and [`choices!`] expand to; not part of the API.
#[doc(hidden)]
pub mod __private {
    pub use crate::plugin::Adapter;
    pub use serde;
}
