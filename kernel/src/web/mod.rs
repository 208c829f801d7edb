//! The HTTP front: routing by Host header to an instance, kernel pages (home, login, sign-up),
//! plugin routes under `/p/{plugin}/…`, and theme assets.

mod account;
mod admin;
mod ask;
mod body;
mod budget;
mod chart;
pub(crate) mod context;
mod dev_page;
mod error;
mod fleet_report;
mod footer;
pub(crate) mod form;
mod governance;
mod headers;
mod home;
mod inbox;
mod indicators;
mod mine;
mod notice;
mod oidc;
mod pages;
mod plugin_route;
mod privacy;
mod redirect;
mod search;
mod wallet;

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{any, get, post};

pub use context::Ctx;
pub use error::WebError;

use crate::live::LiveInstance;

/// Largest request body the kernel accepts (and hands to a plugin).
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

/// What a form with files may carry besides its files: no more than a form without them.
pub const UPLOAD_LIMITS: crate::files::Limits = crate::files::Limits {
    fields: form::MAX_FORM_FIELDS,
    text_bytes: MAX_BODY_BYTES,
};

/// The instances a server answers for, by host name. Instances join while the server runs
/// (a reload), so the index sits behind a lock that requests only read.
#[derive(Default)]
pub struct Instances {
    index: RwLock<Index>,
}

#[derive(Default)]
struct Index {
    all: Vec<Arc<LiveInstance>>,
    by_host: HashMap<String, Arc<LiveInstance>>,
    /// Whether exactly one instance folder was configured: only then does any host name reach
    /// it (handy on a laptop or behind a proxy that rewrites Host). With several, a territory
    /// that failed to open must not have its visitors land on another one.
    single: bool,
}

impl Index {
    /// Indexes `all` by host; `Err` names a host or an instance id claimed twice (two folders
    /// with one id would share their rows in a shared database).
    fn rebuild(all: Vec<Arc<LiveInstance>>, single: bool) -> Result<Self, String> {
        let mut by_host = HashMap::new();
        let mut ids = std::collections::HashSet::new();
        for live in &all {
            let current = live.current();
            if !ids.insert(current.id().to_owned()) {
                return Err(format!("instance id `{}`", current.id()));
            }
            for host in &current.manifest.instance.hosts {
                let host = host.to_ascii_lowercase();
                if by_host.insert(host.clone(), live.clone()).is_some() {
                    return Err(format!("host `{host}`"));
                }
            }
        }
        Ok(Self {
            all,
            by_host,
            single,
        })
    }
}

impl Instances {
    fn read(&self) -> std::sync::RwLockReadGuard<'_, Index> {
        self.index
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Every instance served.
    pub fn all(&self) -> Vec<Arc<LiveInstance>> {
        self.read().all.clone()
    }

    /// Adds an instance; refused (naming what clashes) if its id or one of its hosts is
    /// already served.
    pub fn insert(&self, live: Arc<LiveInstance>) -> Result<(), String> {
        let mut index = self
            .index
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let mut all = index.all.clone();
        all.push(live);
        *index = Index::rebuild(all, index.single)?;
        Ok(())
    }

    /// Whether exactly one instance folder is configured (see [`Index::single`]).
    pub fn set_single(&self, single: bool) {
        self.index
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .single = single;
    }

    /// Re-reads every instance's host names (after a reload changed a manifest). A host claimed
    /// twice keeps the previous index.
    pub fn reindex(&self) -> Result<(), String> {
        let mut index = self
            .index
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        *index = Index::rebuild(index.all.clone(), index.single)?;
        Ok(())
    }

    /// The instance serving `host` (a Host header value, possibly with a port), or the only one
    /// when only one folder is configured. With several folders, the one left serving after the
    /// others failed to open is not "the only one": their visitors get a 404, not its pages.
    pub fn for_host(&self, host: &str) -> Option<Arc<LiveInstance>> {
        let name = host
            .rsplit_once(':')
            .filter(|(_, port)| port.chars().all(|c| c.is_ascii_digit()))
            .map_or(host, |(name, _)| name)
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_ascii_lowercase();
        let index = self.read();
        index
            .by_host
            .get(&name)
            .cloned()
            .or_else(|| match index.all.as_slice() {
                [only] if index.single => Some(only.clone()),
                _ => None,
            })
    }
}

/// Shared state of the HTTP server.
#[derive(Clone)]
pub struct AppState {
    pub instances: Arc<Instances>,
    /// Mark cookies `Secure` even without `X-Forwarded-Proto: https` (set behind TLS).
    pub secure_cookies: bool,
    /// Take the client address from the last `X-Forwarded-For` hop (the one the proxy added)
    /// instead of the TCP peer (`--trust-proxy`): only behind a reverse proxy, since otherwise
    /// any client could name a fresh address on every login attempt.
    pub trust_proxy: bool,
    /// The longest a request body may take to arrive in all (`--body-timeout`); the
    /// connection layer also bounds each pause, this bounds the total.
    pub body_timeout: std::time::Duration,
    /// `trama dev`: server errors are shown with their details (see [`WebError::render`]).
    pub dev: bool,
    /// The id of the instance whose administrators see the fleet report (`--fleet-report`).
    pub fleet_report: Option<String>,
}

pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/", get(home::home))
        .route("/login", get(pages::login_form).post(pages::login))
        .route("/login/oidc/{provider}", get(oidc::start))
        .route("/login/oidc/{provider}/callback", get(oidc::callback))
        .route("/signup", get(pages::signup_form).post(pages::signup))
        .route("/logout", post(pages::logout))
        .route("/session", get(pages::session))
        .route("/me", get(mine::list))
        .route("/me/wallet", get(wallet::show))
        .route("/cerca", get(search::search))
        .route("/notifications", get(inbox::list))
        .route("/notifications/read", post(inbox::mark_read))
        .route("/governance", get(governance::overview))
        .route("/governance/proposals", post(governance::propose))
        .route("/governance/budget", get(budget::show))
        .route("/governance/budget.csv", get(budget::csv))
        .route("/governance/budget/deposits", post(budget::deposit))
        .route("/governance/indicators", get(indicators::dashboard))
        .route("/governance/indicators.csv", get(indicators::dashboard_csv))
        .route(
            "/governance/indicators/{id}/validate",
            post(indicators::validate),
        )
        .route("/indicators", get(indicators::public))
        .route("/indicators/open-data.csv", get(indicators::open_data))
        .route("/fleet/indicators", get(fleet_report::fleet))
        .route("/fleet/indicators.csv", get(fleet_report::fleet_csv))
        .route("/governance/proposals/{number}", get(governance::show))
        .route(
            "/governance/proposals/{number}/vote",
            post(governance::vote),
        )
        .merge(admin::router())
        .merge(account::router())
        .merge(privacy::router())
        .merge(footer::router())
        .route("/healthz", get(|| async { "ok" }))
        .route("/static/{*path}", get(pages::static_file))
        .route("/p/{plugin}", any(plugin_route::handle_root))
        .route("/p/{plugin}/", any(plugin_route::handle_root))
        .route("/p/{plugin}/{*rest}", any(plugin_route::handle))
        .fallback(pages::not_found)
        .method_not_allowed_fallback(pages::method_not_allowed)
        // `body::read_body` has read the body within the limit that applies to the request;
        // extractors must not cut a form with files short at the smaller one.
        .layer(DefaultBodyLimit::max(crate::files::MAX_UPLOAD_BYTES))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            notice::show_once,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            body::read_body,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            headers::security_headers,
        ))
        .with_state(state)
}
