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
        let new: Vec<PathBuf> = found
            .into_iter()
            .filter(|dir| !served.contains(&canonical(dir)))
            .collect();
        let (new, clashing) = self.without_clashes(new).await;
        refused.extend(clashing);
        for dir in new {
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
                    let now = crate::clock::now_ms();
                    if let Err(err) =
                        crate::db::claims::record_served(&current.db, current.id(), now).await
                    {
                        tracing::warn!(instance = %current.id(), error = %err, "cannot record when the instance was first served");
                    }
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

    /// Splits the folders about to open into those that may and those claiming an id or a
    /// host that a served instance, or an established folder among them, already has: the
    /// newer claimant is refused, its fault naming both files and lines
    /// ([`trama_manifest::clashes`]). Established means served first, by the record in each
    /// instance's own database ([`crate::db::claims`]); folders never served are newer than any
    /// that was, and among themselves go by their manifest file's age. A folder whose manifest
    /// does not load is left for opening to report.
    async fn without_clashes(&self, dirs: Vec<PathBuf>) -> (Vec<PathBuf>, Vec<Refused>) {
        let held: Vec<trama_manifest::Manifest> = self
            .instances
            .all()
            .iter()
            .map(|live| live.current().manifest.clone())
            .collect();
        let mut candidates: Vec<(PathBuf, trama_manifest::Manifest)> = Vec::new();
        let mut open = Vec::new();
        for dir in dirs {
            match trama_manifest::load(&dir) {
                Ok(manifest) => candidates.push((dir, manifest)),
                Err(_) => open.push(dir),
            }
        }
        let mut keyed = Vec::with_capacity(candidates.len());
        for (dir, manifest) in candidates {
            let served = first_served(&manifest).await.unwrap_or(i64::MAX);
            let born = trama_manifest::established_at(&manifest.file);
            keyed.push(((served, born, dir.clone()), dir, manifest));
        }
        keyed.sort_by(|a, b| a.0.cmp(&b.0));
        let candidates = keyed.into_iter().map(|(_, dir, manifest)| (dir, manifest));
        let mut refused = Vec::new();
        let mut claimed = held;
        for (dir, manifest) in candidates {
            let mut faults = Vec::new();
            for holder in &claimed {
                faults.extend(
                    trama_manifest::clashes(holder, &manifest)
                        .iter()
                        .map(ToString::to_string),
                );
            }
            if faults.is_empty() {
                claimed.push(manifest);
                open.push(dir);
            } else {
                refused.push(Refused {
                    dir,
                    reason: format!("not served: {}", faults.join("; ")),
                });
            }
        }
        open.sort();
        (open, refused)
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
        workers.push(tokio::spawn(crate::governance::run_worker(
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

/// When the instance of `manifest` was first served from its database; `None` if never, or if
/// its database cannot be reached (opening the folder will say why).
async fn first_served(manifest: &trama_manifest::Manifest) -> Option<i64> {
    let db = crate::db::Db::connect(&manifest.database_url())
        .await
        .ok()?;
    crate::db::claims::first_served(&db, &manifest.instance.id)
        .await
        .ok()
        .flatten()
}

fn canonical(dir: &Path) -> PathBuf {
    dir.canonicalize().unwrap_or_else(|_| dir.to_path_buf())
}
