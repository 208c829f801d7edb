//! The HTTP front: routing by Host header to an instance, kernel pages (home, login, sign-up),
//! plugin routes under `/p/{plugin}/…`, and theme assets.

mod context;
mod error;
mod governance;
mod inbox;
mod pages;
mod plugin_route;
mod redirect;

use std::collections::HashMap;
use std::sync::Arc;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{any, get, post};

pub use context::Ctx;
pub use error::WebError;

use crate::live::LiveInstance;

/// Largest request body the kernel accepts (and hands to a plugin).
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

/// The instances a server answers for, by host name.
pub struct Instances {
    by_host: HashMap<String, Arc<LiveInstance>>,
    /// With a single instance, any host name reaches it (handy on a laptop or behind a proxy
    /// that rewrites Host).
    only: Option<Arc<LiveInstance>>,
}

impl Instances {
    pub fn new(instances: Vec<Arc<LiveInstance>>) -> Self {
        let mut by_host = HashMap::new();
        for instance in &instances {
            for host in &instance.current().manifest.instance.hosts {
                by_host.insert(host.to_ascii_lowercase(), instance.clone());
            }
        }
        let only = match instances.as_slice() {
            [single] => Some(single.clone()),
            _ => None,
        };
        Self { by_host, only }
    }

    /// The instance serving `host` (a Host header value, possibly with a port).
    pub fn for_host(&self, host: &str) -> Option<Arc<LiveInstance>> {
        let name = host
            .rsplit_once(':')
            .filter(|(_, port)| port.chars().all(|c| c.is_ascii_digit()))
            .map_or(host, |(name, _)| name)
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_ascii_lowercase();
        self.by_host
            .get(&name)
            .cloned()
            .or_else(|| self.only.clone())
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
