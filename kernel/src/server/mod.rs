//! `trama serve`: opens the instances, starts their background workers (the mail workers
//! among them) and the HTTP server, and reloads the instances on SIGHUP.

/// What a form with files may carry besides its files (the limits of a form without them),
/// for a test host that decodes forms as the server does.
pub use crate::web::UPLOAD_LIMITS;

mod connections;
mod mail;
mod settings;

pub use connections::Limits;
pub use settings::{Overrides, ServerSettings, SettingsError};

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use tokio::sync::watch;

use crate::fleet::Fleet;
use crate::host::PluginHost;
use crate::instance::BuildPolicy;
use crate::web::{self, AppState};

#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error(transparent)]
    Host(#[from] crate::host::HostError),
    #[error("no instance could be served:\n{0}")]
    NothingToServe(String),
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error("server error: {0}")]
    Io(#[from] std::io::Error),
}

pub struct ServeOptions {
    pub instance_dirs: Vec<PathBuf>,
    pub listen: SocketAddr,
    pub cache_dir: PathBuf,
    pub build: BuildPolicy,
    pub secure_cookies: bool,
    /// See [`AppState::trust_proxy`].
    pub trust_proxy: bool,
    pub limits: Limits,
    /// `trama dev`: server errors show their details (a template's file and line) to the
    /// visitor, who is the developer. Never in production: they may hold internals.
    pub dev: bool,
    /// See [`AppState::fleet_report`].
    pub fleet_report: Option<String>,
}

/// A task started beside the server once its instances are open (the development loop's
/// watcher), given the fleet; stopped when the server stops.
pub type Companion = Box<dyn FnOnce(Arc<Fleet>) -> tokio::task::JoinHandle<()> + Send>;

pub async fn serve(options: ServeOptions) -> Result<(), ServeError> {
    serve_with(options, None).await
}

/// [`serve`], with a `companion` task running beside it.
pub async fn serve_with(
    options: ServeOptions,
    companion: Option<Companion>,
) -> Result<(), ServeError> {
    let host = PluginHost::new(&options.cache_dir)?;
    let (stop, stopped) = watch::channel(false);
    let fleet = Arc::new(Fleet::new(
        options.instance_dirs.clone(),
        host,
        options.build,
        stopped,
    ));
    let refused = fleet.load().await;
    if fleet.instances().all().is_empty() {
        return Err(ServeError::NothingToServe(
            refused
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("\n"),
        ));
    }
    let state = AppState {
        instances: fleet.instances(),
        secure_cookies: options.secure_cookies,
        trust_proxy: options.trust_proxy,
        fleet_report: options.fleet_report.clone(),
        body_timeout: options.limits.body_timeout,
        dev: options.dev,
    };
    let listener = tokio::net::TcpListener::bind(options.listen)
        .await
        .map_err(|source| ServeError::Bind {
            addr: options.listen,
            source,
        })?;
    let addr = listener.local_addr()?;
    let descriptors = connections::raise_descriptor_limit();
    let reloader = tokio::spawn(reload_on_hangup(fleet.clone()));
    // Instances with `[mail]` send their notifications (`crate::mail`).
    let mailer = mail::start(fleet.clone(), stop.subscribe());
    let companion = companion.map(|start| start(fleet.clone()));
    // Tests and scripts read this line to learn the port when listening on port 0.
    println!("Trama listening on http://{addr}");
    tracing::info!(
        %addr,
        instances = fleet.instances().all().len(),
        max_connections = options.limits.max_connections,
        open_files_limit = descriptors,
        "listening"
    );
    connections::serve(
        listener,
        web::router(state),
        options.limits,
        shutdown_signal(),
    )
    .await;
    reloader.abort();
    if let Some(companion) = companion {
        companion.abort();
    }
    let _ = stop.send(true);
    fleet.join().await;
    let _ = mailer.await;
    Ok(())
}

/// Reloads the fleet on every SIGHUP: new instance folders start serving, changed manifests
/// take effect, and a broken one is reported while the others go on.
async fn reload_on_hangup(fleet: Arc<Fleet>) {
    #[cfg(unix)]
    {
        let Ok(mut hangups) =
            tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup())
        else {
            tracing::warn!("cannot listen for SIGHUP: reloads need a restart");
            return;
        };
        while hangups.recv().await.is_some() {
            tracing::info!("SIGHUP: reloading the instances");
            let refused = fleet.load().await;
            // Scripts wait for this line to know the reload is over.
            println!(
                "Trama reloaded: {} instance(s) served, {} refused",
                fleet.instances().all().len(),
                refused.len()
            );
        }
    }
    #[cfg(not(unix))]
    std::future::pending::<()>().await;
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {}
        _ = terminate => {}
    }
    tracing::info!("shutting down");
}

/// The default place for compiled components: `$XDG_CACHE_HOME/trama` or `~/.cache/trama`.
pub fn default_cache_dir() -> PathBuf {
    std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|home| Path::new(&home).join(".cache")))
        .unwrap_or_else(std::env::temp_dir)
        .join("trama")
}
