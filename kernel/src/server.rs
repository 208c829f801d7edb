//! `trama serve`: opens the instances, starts their background workers and the HTTP server.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use tokio::sync::watch;

use crate::host::PluginHost;
use crate::instance::{BuildPolicy, Instance, InstanceError};
use crate::live::LiveInstance;
use crate::web::{self, AppState, Instances};

#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error(transparent)]
    Host(#[from] crate::host::HostError),
    #[error("instance {dir}: {source}")]
    Instance { dir: PathBuf, source: InstanceError },
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error("server error: {0}")]
    Io(#[from] std::io::Error),
    #[error("two instances answer for host `{0}`")]
    DuplicateHost(String),
}

pub struct ServeOptions {
    pub instance_dirs: Vec<PathBuf>,
    pub listen: SocketAddr,
    pub cache_dir: PathBuf,
    pub build: BuildPolicy,
    pub secure_cookies: bool,
}

/// Opens every instance; the first failure stops the start with its message.
pub async fn open_instances(
    dirs: &[PathBuf],
    host: &Arc<PluginHost>,
    build: BuildPolicy,
) -> Result<Vec<Arc<LiveInstance>>, ServeError> {
    let mut instances = Vec::new();
    let mut hosts = std::collections::HashSet::new();
    for dir in dirs {
        let instance = Instance::open(dir, host.clone(), build)
            .await
            .map_err(|source| ServeError::Instance {
                dir: dir.clone(),
                source,
            })?;
        for name in &instance.manifest.instance.hosts {
            if !hosts.insert(name.to_ascii_lowercase()) {
                return Err(ServeError::DuplicateHost(name.clone()));
            }
        }
        tracing::info!(instance = %instance.id(), plugins = instance.plugins.len(), "instance ready");
        instances.push(LiveInstance::new(dir, instance));
    }
    Ok(instances)
}

pub async fn serve(options: ServeOptions) -> Result<(), ServeError> {
    let host = PluginHost::new(&options.cache_dir)?;
    let instances = open_instances(&options.instance_dirs, &host, options.build).await?;
    let (stop, stopped) = watch::channel(false);
    let mut workers = Vec::new();
    for instance in &instances {
        workers.push(tokio::spawn(crate::events::run_dispatcher(
            instance.clone(),
            stopped.clone(),
        )));
        workers.push(tokio::spawn(crate::events::run_scheduler(
            instance.clone(),
            stopped.clone(),
        )));
        workers.push(tokio::spawn(crate::governance::run_closer(
            instance.clone(),
            stopped.clone(),
        )));
    }
    let state = AppState {
        instances: Arc::new(Instances::new(instances)),
        secure_cookies: options.secure_cookies,
    };
    let listener = tokio::net::TcpListener::bind(options.listen)
        .await
        .map_err(|source| ServeError::Bind {
            addr: options.listen,
            source,
        })?;
    let addr = listener.local_addr()?;
    // Tests and scripts read this line to learn the port when listening on port 0.
    println!("Trama listening on http://{addr}");
    tracing::info!(%addr, "listening");
    axum::serve(listener, web::router(state))
        .with_graceful_shutdown(shutdown_signal())
        .await?;
    let _ = stop.send(true);
    for worker in workers {
        let _ = worker.await;
    }
    Ok(())
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
