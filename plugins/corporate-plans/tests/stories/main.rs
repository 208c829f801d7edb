//! The plugin's stories, natively against the kernel's test host: one test binary, so that
//! the kernel, wasmtime and the database drivers are linked once rather than once per file.

mod bookings;
mod common;
mod expiry;
mod personal_data;
mod plan;
mod providers;
mod receipts;
mod spending;
