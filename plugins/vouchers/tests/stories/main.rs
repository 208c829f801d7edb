//! The plugin's stories, natively against the kernel's test host: one test binary, so that
//! the kernel, wasmtime and the database drivers are linked once rather than once per file.

mod applications;
mod attachments;
mod common;
mod deadlines;
mod households;
mod outcomes;
mod personal_data;
mod publications;
mod receipts;
mod redemptions;
mod rulebooks;
mod shops;
mod transfers;
mod versions;
mod wallet;
