//! Every instance one process serves: found in the folders given to `trama serve`, opened one
//! by one so that a broken manifest only takes its own territory offline, and reloaded on
//! SIGHUP (new folders start serving, changed manifests take effect) without a restart.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::host::PluginHost;
use crate::instance::{BuildPolicy, Instance};
use crate::live::LiveInstance;
use crate::web::Instances;

/// Why one instance is not served.
#[derive(Debug, thiserror::Error)]
#[error("instance {}: {reason}", dir.display())]
pub struct Refused {
    pub dir: PathBuf,
    pub reason: String,
}

/// The instance folders under `paths`: a folder holding an `instance.toml` is an instance; any
/// other folder is searched one level down (`trama serve instances/`). Sorted, without repeats.
pub fn discover(paths: &[PathBuf]) -> Vec<PathBuf> {
    let mut found = BTreeSet::new();
    for path in paths {
        if path.join(trama_manifest::INSTANCE_TOML).is_file() || !path.is_dir() {
            // A missing folder is kept, so that opening it reports the problem.
            found.insert(path.clone());
            continue;
        }
        if let Ok(entries) = std::fs::read_dir(path) {
            for entry in entries.flatten() {
                let dir = entry.path();
                if dir.join(trama_manifest::INSTANCE_TOML).is_file() {
                    found.insert(dir);
                }
            }
        }
    }
    found.into_iter().collect()
}

/// The served instances and their background workers.
pub struct Fleet {
    roots: Vec<PathBuf>,
    host: Arc<PluginHost>,
    build: BuildPolicy,
    instances: Arc<Instances>,
    stopped: watch::Receiver<bool>,
    workers: tokio::sync::Mutex<Vec<JoinHandle<()>>>,
}

impl Fleet {
    pub fn new(
        roots: Vec<PathBuf>,
        host: Arc<PluginHost>,
        build: BuildPolicy,
        stopped: watch::Receiver<bool>,
    ) -> Self {
        Self {
            roots,
            host,
            build,
            instances: Arc::new(Instances::default()),
            stopped,
            workers: tokio::sync::Mutex::new(Vec::new()),
        }
    }

    pub fn instances(&self) -> Arc<Instances> {
        self.instances.clone()
    }

    /// Opens the instance folders not served yet and reloads the manifests of those that are.
    /// Returns what could not be served; everything else keeps or starts serving.
    pub async fn load(&self) -> Vec<Refused> {
        let mut refused = Vec::new();
        for live in self.instances.all() {
            if let Err(err) = live.reload().await {
                tracing::error!(dir = %live.dir().display(), error = %err, "reload failed; the running version stays");
                refused.push(Refused {
                    dir: live.dir().to_path_buf(),
                    reason: err.to_string(),
                });
            }
        }
        let served: BTreeSet<PathBuf> = self
            .instances
            .all()
            .iter()
            .map(|live| canonical(live.dir()))
            .collect();
        let found = discover(&self.roots);
        self.instances.set_single(found.len() == 1);
        for dir in found {
            if served.contains(&canonical(&dir)) {
                continue;
            }
            match Instance::open(&dir, self.host.clone(), self.build).await {
                Ok(instance) => {
                    let live = LiveInstance::new(&dir, instance);
                    if let Err(clash) = self.instances.insert(live.clone()) {
                        refused.push(Refused {
                            dir: dir.clone(),
                            reason: format!("{clash} is already served by another instance"),
                        });
                        continue;
                    }
                    let current = live.current();
                    tracing::info!(instance = %current.id(), plugins = current.plugins.len(), "instance ready");
                    self.spawn_workers(live).await;
                }
                Err(err) => refused.push(Refused {
                    dir: dir.clone(),
                    reason: err.to_string(),
                }),
            }
        }
        if let Err(clash) = self.instances.reindex() {
            refused.push(Refused {
                dir: PathBuf::new(),
                reason: format!(
                    "after the reload two instances claim {clash}; the previous host names stay"
                ),
            });
        }
        for fault in &refused {
            tracing::error!("{fault}");
        }
        refused
    }

    async fn spawn_workers(&self, live: Arc<LiveInstance>) {
        let mut workers = self.workers.lock().await;
        workers.push(tokio::spawn(crate::events::run_dispatcher(
            live.clone(),
            self.stopped.clone(),
        )));
        workers.push(tokio::spawn(crate::events::run_scheduler(
            live.clone(),
            self.stopped.clone(),
        )));
        workers.push(tokio::spawn(crate::governance::run_closer(
            live,
            self.stopped.clone(),
        )));
    }

    /// Waits for every worker to finish (after the stop signal).
    pub async fn join(&self) {
        let workers = std::mem::take(&mut *self.workers.lock().await);
        for worker in workers {
            let _ = worker.await;
        }
    }
}

fn canonical(dir: &Path) -> PathBuf {
    dir.canonicalize().unwrap_or_else(|_| dir.to_path_buf())
}
