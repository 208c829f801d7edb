//! The plugin's stories, natively against the kernel's test host: one test binary, so that
//! the kernel, wasmtime and the database drivers are linked once rather than once per file.

mod application;
mod clock;
mod common;
mod personal_data;
mod receipts;
mod register;
mod suspension;
