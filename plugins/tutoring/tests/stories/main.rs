//! The plugin's stories, natively against the kernel's test host: one test binary, so that
//! the kernel, wasmtime and the database drivers are linked once rather than once per file.

mod budget;
mod common;
mod groups;
mod month;
mod notices;
mod paths;
mod personal_data;
mod reports;
