//! An instance that can change while it serves: approved proposals (and, on other nodes, the
//! proposals they approved) swap in a new [`Instance`] without a restart.
//!
//! Requests and workers take the current version with [`LiveInstance::current`] and keep it
//! for as long as they work, so a swap never changes a request's plugins halfway through.

use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};

use crate::board::Board;
use crate::instance::{FailedUpgrade, Instance, InstanceError};

pub struct LiveInstance {
    dir: PathBuf,
    current: RwLock<Arc<Instance>>,
    /// One change at a time per instance: applying a proposal, or catching up with another node.
    changing: tokio::sync::Mutex<()>,
    /// Wakes the instance's governance worker when a proposal is approved, so that applying it
    /// (plugin builds and install hooks included) never runs in the request of the last vote.
    governance_wake: tokio::sync::Notify,
}

impl LiveInstance {
    pub fn new(dir: &Path, instance: Instance) -> Arc<Self> {
        Arc::new(Self {
            dir: dir.to_path_buf(),
            current: RwLock::new(Arc::new(instance)),
            changing: tokio::sync::Mutex::new(()),
            governance_wake: tokio::sync::Notify::new(),
        })
    }

    /// Asks the governance worker to look at the proposals now rather than at its next poll.
    /// A wake while it is busy is kept for when it next waits.
    pub fn wake_governance(&self) {
        self.governance_wake.notify_one();
    }

    /// Returns when [`Self::wake_governance`] is called, or at once if it was called while
    /// nobody was waiting.
    pub async fn governance_woken(&self) {
        self.governance_wake.notified().await;
    }

    /// The folder the instance was opened from.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The version serving now.
    pub fn current(&self) -> Arc<Instance> {
        self.current
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    pub(crate) fn replace(&self, instance: Instance) {
        *self
            .current
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Arc::new(instance);
    }

    /// Serializes changes of this instance; hold the guard while building and swapping.
    pub async fn lock_changes(&self) -> tokio::sync::MutexGuard<'_, ()> {
        self.changing.lock().await
    }

    /// Rebuilds the instance from its manifest as it is on disk now and the approved proposals
    /// in the database, and swaps it in; on failure the running version stays. The caller holds
    /// [`Self::lock_changes`]. The database and the id cannot change without a restart: the
    /// connection pool and every stored row depend on them.
    async fn rebuild(&self, generation: (i64, i64)) -> Result<(), InstanceError> {
        let current = self.current();
        let on_disk = trama_manifest::load(&self.dir)?;
        if on_disk.instance.id != current.id()
            || on_disk.database_url() != current.manifest.database_url()
        {
            return Err(InstanceError::RestartNeeded {
                instance: current.id().to_owned(),
            });
        }
        let board = Board::new(current.db.clone(), current.id());
        let overlay = board
            .overlay()
            .await
            .map_err(|source| current.database_error(source))?;
        let next = current
            .reopen(&overlay, generation, FailedUpgrade::KeepPrevious)
            .await?;
        tracing::info!(instance = %next.id(), plugins = next.plugins.len(), "instance reloaded");
        self.replace(next);
        Ok(())
    }

    /// Re-reads the manifest (a SIGHUP) and the approved proposals.
    pub async fn reload(&self) -> Result<(), InstanceError> {
        let _changing = self.lock_changes().await;
        let current = self.current();
        let board = Board::new(current.db.clone(), current.id());
        let generation = board
            .generation()
            .await
            .map_err(|source| current.database_error(source))?;
        self.rebuild(generation).await
    }

    /// Catches up with proposals applied elsewhere (another node of a multi-node deployment).
    pub async fn refresh(&self) -> Result<(), InstanceError> {
        let instance = self.current();
        let board = Board::new(instance.db.clone(), instance.id());
        // Read before the overlay (in `rebuild`), so a change landing in between is caught by
        // the next refresh rather than hidden.
        let generation = board
            .generation()
            .await
            .map_err(|source| instance.database_error(source))?;
        if generation == instance.generation {
            return Ok(());
        }
        let _changing = self.lock_changes().await;
        if self.current().generation == generation {
            return Ok(());
        }
        self.rebuild(generation).await
    }
}
