//! The kernel's integration tests: one test binary, so that the kernel, wasmtime and the
//! database drivers are linked once rather than once per file.

mod api_versions;
mod board;
mod catalogues;
mod docstore;
mod files;
mod jobs;
mod layers;
mod ledger;
mod mail_outbox;
mod pg;
mod protocol;
mod theme_macros;
mod wallet;
