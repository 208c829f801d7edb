//! End-to-end tests: the real `trama` binary serving real instances over HTTP on 127.0.0.1,
//! with real plugins compiled to WebAssembly components.

mod support;

mod accounts;
mod check_cli;
mod events_audit;
mod sandbox;
mod serve;
mod vouchers;
