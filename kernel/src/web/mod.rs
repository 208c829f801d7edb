//! The HTTP front: routing by Host header to an instance, kernel pages (home, login, sign-up),
//! plugin routes under `/p/{plugin}/…`, and theme assets.

mod context;
mod error;
mod governance;
mod inbox;
mod mine;
mod pages;
mod plugin_route;
mod redirect;

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{any, get, post};

pub use context::Ctx;
pub use error::WebError;
pub use redirect::is_same_site_path;

use crate::live::LiveInstance;

/// Largest request body the kernel accepts (and hands to a plugin).
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

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
}

impl Index {
    fn rebuild(all: Vec<Arc<LiveInstance>>) -> Result<Self, String> {
        let mut by_host = HashMap::new();
        for live in &all {
            for host in &live.current().manifest.instance.hosts {
                let host = host.to_ascii_lowercase();
                if by_host.insert(host.clone(), live.clone()).is_some() {
                    return Err(host);
                }
            }
        }
        Ok(Self { all, by_host })
    }
}

impl Instances {
    pub fn new(instances: Vec<Arc<LiveInstance>>) -> Self {
        let index = Index::rebuild(instances.clone()).unwrap_or_else(|_| Index {
            all: instances,
            by_host: HashMap::new(),
        });
        Self {
            index: RwLock::new(index),
        }
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, Index> {
        self.index
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Every instance served.
    pub fn all(&self) -> Vec<Arc<LiveInstance>> {
        self.read().all.clone()
    }

    /// Adds an instance; refused (with the host name) if one of its hosts is already served.
    pub fn insert(&self, live: Arc<LiveInstance>) -> Result<(), String> {
        let mut index = self
            .index
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let mut all = index.all.clone();
        all.push(live);
        *index = Index::rebuild(all)?;
        Ok(())
    }

    /// Re-reads every instance's host names (after a reload changed a manifest). A host claimed
    /// twice keeps the previous index.
    pub fn reindex(&self) -> Result<(), String> {
        let mut index = self
            .index
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        *index = Index::rebuild(index.all.clone())?;
        Ok(())
    }

    /// The instance serving `host` (a Host header value, possibly with a port). With a single
    /// instance, any host name reaches it (handy on a laptop or behind a proxy that rewrites
    /// Host).
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
                [only] => Some(only.clone()),
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
}

pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/", get(pages::home))
        .route("/login", get(pages::login_form).post(pages::login))
        .route("/signup", get(pages::signup_form).post(pages::signup))
        .route("/logout", post(pages::logout))
        .route("/session", get(pages::session))
        .route("/me", get(mine::list))
        .route("/notifications", get(inbox::list))
        .route("/notifications/read", post(inbox::mark_read))
        .route("/governance", get(governance::overview))
        .route("/governance/proposals", post(governance::propose))
        .route("/governance/proposals/{number}", get(governance::show))
        .route(
            "/governance/proposals/{number}/vote",
            post(governance::vote),
        )
        .route("/healthz", get(|| async { "ok" }))
        .route("/static/{*path}", get(pages::static_file))
        .route("/p/{plugin}", any(plugin_route::handle_root))
        .route("/p/{plugin}/", any(plugin_route::handle_root))
        .route("/p/{plugin}/{*rest}", any(plugin_route::handle))
        .fallback(pages::not_found)
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .with_state(state)
}
