//! The plugin's stories, natively against the kernel's test host: one test binary, so that
//! the kernel, wasmtime and the database drivers are linked once rather than once per file.

mod bookings;
mod catalogue;
mod common;
mod groups;
mod personal_data;
mod photos;
mod published;
mod ratings;
mod wallet;
