//! The plugin's stories, natively against the kernel's test host: one test binary, so that
//! the kernel, wasmtime and the database drivers are linked once rather than once per file.

mod attachments;
mod casework;
mod catalogue_referrals;
mod common;
mod duplicates;
mod outcomes;
mod outreach;
mod personal_data;
mod referrals;
mod requests;
mod reviews;
mod stats;
