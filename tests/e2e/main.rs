//! End-to-end tests: the real `trama` binary serving real instances over HTTP on 127.0.0.1,
//! with real plugins compiled to WebAssembly components.

mod support;

mod account_links;
mod accounts;
mod admin;
mod admissions;
mod boundary;
mod browser;
mod budget;
mod casework;
mod casework_referrals;
mod check_cli;
mod connections;
mod corporate_plans;
mod cross_site;
mod dev;
mod events_audit;
mod faults;
mod governance;
mod guide;
mod headers;
mod host_claims;
mod indicators;
mod languages;
mod mail;
mod many;
mod nodes;
mod notices;
mod notifications;
mod oidc;
mod openapi;
mod privacy;
mod rates;
mod requests;
mod sandbox;
mod schemathesis;
mod security;
mod serve;
mod services;
mod site;
mod throttle;
mod transactions;
mod tutoring;
mod vouchers;
