//! An instance that can change while it serves: approved proposals (and, on other nodes, the
//! proposals they approved) swap in a new [`Instance`] without a restart.
//!
//! Requests and workers take the current version with [`LiveInstance::current`] and keep it
//! for as long as they work, so a swap never changes a request's plugins halfway through.

use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};

use crate::governance::Board;
use crate::instance::{FailedUpgrade, Instance, InstanceError};

pub struct LiveInstance {
    dir: PathBuf,
    current: RwLock<Arc<Instance>>,
    /// One change at a time per instance: applying a proposal, or catching up with another node.
    changing: tokio::sync::Mutex<()>,
}

impl LiveInstance {
    pub fn new(dir: &Path, instance: Instance) -> Arc<Self> {
        Arc::new(Self {
            dir: dir.to_path_buf(),
            current: RwLock::new(Arc::new(instance)),
            changing: tokio::sync::Mutex::new(()),
        })
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

    /// Builds the instance with `overlay` and swaps it in; on failure the running version stays.
    /// The caller holds [`Self::lock_changes`].
    pub async fn rebuild(
        &self,
        overlay: &trama_manifest::Overlay,
        generation: (i64, i64),
        failed_upgrade: FailedUpgrade,
    ) -> Result<(), InstanceError> {
        let next = self
            .current()
            .reopen(overlay, generation, failed_upgrade)
            .await?;
        tracing::info!(instance = %next.id(), plugins = next.plugins.len(), "instance reloaded");
        self.replace(next);
        Ok(())
    }

    /// Catches up with proposals applied elsewhere (another node of a multi-node deployment).
    pub async fn refresh(&self) -> Result<(), InstanceError> {
        let instance = self.current();
        let board = Board::new(instance.db.clone(), instance.id());
        let database = |source| InstanceError::Database {
            instance: instance.id().to_owned(),
            url: trama_manifest::redact_url(&instance.manifest.database_url()),
            source,
        };
        let generation = board.generation().await.map_err(database)?;
        if generation == instance.generation {
            return Ok(());
        }
        let _changing = self.lock_changes().await;
        if self.current().generation == generation {
            return Ok(());
        }
        let overlay = board.overlay().await.map_err(database)?;
        self.rebuild(&overlay, generation, FailedUpgrade::KeepPrevious)
            .await
    }
}
