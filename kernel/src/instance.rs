//! A running territorial instance: its manifest, database, theme and loaded plugins.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use sea_orm::ConnectionTrait;
use trama_manifest::{Checked, Manifest, ResolvedPlugin};

use crate::db::{Db, sql};
use crate::docstore::{Collections, DocStore};
use crate::host::bindings::PluginPre;
use crate::host::bindings::types::{
    Event, HttpRequest, HttpResponse, PluginError, User as WitUser,
};
use crate::host::{CallError, CallState, PluginContext, PluginHost, PublishedEvent};
use crate::theme::{PluginTemplates, Theme};

#[derive(Debug, thiserror::Error)]
pub enum InstanceError {
    #[error("{0}")]
    Manifest(#[from] trama_manifest::Diagnostics),
    #[error("database of instance `{instance}` ({url}): {source}")]
    Database {
        instance: String,
        url: String,
        source: sea_orm::DbErr,
    },
    #[error("plugin `{plugin}`: {message}")]
    Plugin { plugin: String, message: String },
    #[error("theme of instance `{instance}`: {source}")]
    Theme {
        instance: String,
        source: crate::theme::ThemeError,
    },
}

/// How to treat plugins whose component has not been built yet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BuildPolicy {
    /// Build missing or outdated components from source (development, the demo).
    BuildIfStale,
    /// Use the component files as they are.
    UseExisting,
}

/// One plugin loaded into an instance and ready to be called.
pub struct LoadedPlugin {
    pub name: String,
    pub version: semver::Version,
    pub title: BTreeMap<String, String>,
    pub description: BTreeMap<String, String>,
    pub subscribes: BTreeSet<String>,
    pub jobs: Vec<(String, Duration)>,
    pub dir: PathBuf,
    pre: PluginPre<CallState>,
    ctx: Arc<PluginContext>,
}

pub struct Instance {
    pub manifest: Manifest,
    pub db: Db,
    pub theme: Theme,
    /// Enabled plugins that loaded, by name.
    pub plugins: BTreeMap<String, Arc<LoadedPlugin>>,
    /// Wakes the event dispatcher as soon as an event is queued.
    pub events_wake: tokio::sync::Notify,
    host: Arc<PluginHost>,
}

/// What a plugin's `handle` produced.
pub type HandleResult = Result<HttpResponse, PluginError>;

impl Instance {
    pub fn id(&self) -> &str {
        &self.manifest.instance.id
    }

    /// Validates the manifest, connects the database, loads every enabled plugin and runs the
    /// install or upgrade hook of any plugin that is new or at a new version.
    pub async fn open(
        dir: &Path,
        host: Arc<PluginHost>,
        policy: BuildPolicy,
    ) -> Result<Self, InstanceError> {
        let Checked { manifest, plugins } = trama_manifest::check(dir)?;
        let url = manifest.database_url();
        let id = manifest.instance.id.clone();
        let db = Db::connect(&url)
            .await
            .map_err(|source| InstanceError::Database {
                instance: id.clone(),
                url: trama_manifest::redact_url(&url),
                source,
            })?;
        let enabled: Vec<&ResolvedPlugin> = plugins.iter().filter(|p| p.enabled).collect();
        let theme = Theme::load(
            &manifest.registry.themes,
            &manifest.instance.theme,
            &enabled
                .iter()
                .map(|p| PluginTemplates {
                    name: &p.name,
                    dir: &p.package.dir,
                })
                .collect::<Vec<_>>(),
        )
        .map_err(|source| InstanceError::Theme {
            instance: id.clone(),
            source,
        })?;
        let mut instance = Self {
            manifest,
            db,
            theme,
            plugins: BTreeMap::new(),
            events_wake: tokio::sync::Notify::new(),
            host,
        };
        for resolved in enabled {
            let loaded = instance.load_plugin(resolved, policy)?;
            instance.install_if_needed(&loaded).await?;
            instance
                .plugins
                .insert(loaded.name.clone(), Arc::new(loaded));
        }
        Ok(instance)
    }

    fn load_plugin(
        &self,
        resolved: &ResolvedPlugin,
        policy: BuildPolicy,
    ) -> Result<LoadedPlugin, InstanceError> {
        let plugin_error = |message: String| InstanceError::Plugin {
            plugin: resolved.name.clone(),
            message,
        };
        let package = &resolved.package;
        let meta = &package.meta;
        let component_path = match policy {
            BuildPolicy::BuildIfStale if package.dir.join("Cargo.toml").is_file() => {
                tracing::info!(plugin = %resolved.name, "checking the plugin build");
                trama_plugin_build::ensure_built(&package.dir)
                    .map_err(|err| plugin_error(err.to_string()))?
            }
            _ => package.component_path(),
        };
        if !component_path.is_file() {
            return Err(plugin_error(format!(
                "{} has not been built: run `trama plugin build {}`",
                component_path.display(),
                package.dir.display()
            )));
        }
        let component = self
            .host
            .load_component(&component_path)
            .map_err(|err| plugin_error(err.to_string()))?;
        let pre = self
            .host
            .prepare(&resolved.name, &component, &resolved.capabilities)
            .map_err(|err| plugin_error(err.to_string()))?;
        let collections: Collections = meta
            .collections
            .iter()
            .map(|(name, spec)| (name.clone(), spec.indexes.iter().cloned().collect()))
            .collect();
        let limits = &self.manifest.limits;
        let ctx = PluginContext {
            instance: self.id().to_owned(),
            plugin: resolved.name.clone(),
            version: meta.plugin.version.clone(),
            db: self.db.clone(),
            docs: DocStore::new(
                self.db.clone(),
                self.id(),
                &resolved.name,
                Arc::new(collections),
            ),
            ledger: crate::ledger::Ledger::new(self.db.clone(), self.id(), &resolved.name),
            settings: resolved.settings.to_string(),
            memory_cap: usize::try_from(limits.memory_mib)
                .unwrap_or(usize::MAX)
                .saturating_mul(1024 * 1024),
            publishes: meta.events.publishes.iter().cloned().collect(),
        };
        Ok(LoadedPlugin {
            name: resolved.name.clone(),
            version: meta.plugin.version.clone(),
            title: meta.plugin.title.clone(),
            description: meta.plugin.description.clone(),
            subscribes: meta.events.subscribes.iter().cloned().collect(),
            jobs: meta
                .jobs
                .iter()
                .map(|job| (job.name.clone(), job.every))
                .collect(),
            dir: package.dir.clone(),
            pre,
            ctx: Arc::new(ctx),
        })
    }

    async fn install_if_needed(&self, plugin: &LoadedPlugin) -> Result<(), InstanceError> {
        let plugin_error = |message: String| InstanceError::Plugin {
            plugin: plugin.name.clone(),
            message,
        };
        let db_error = |err: sea_orm::DbErr| plugin_error(format!("database: {err}"));
        let row = self
            .db
            .conn()
            .query_one_raw(sql::stmt(
                self.db.backend(),
                "SELECT version FROM plugin_installs WHERE instance = ? AND plugin = ?",
                vec![self.id().into(), plugin.name.clone().into()],
            ))
            .await
            .map_err(db_error)?;
        let previous: Option<String> = row
            .map(|row| row.try_get("", "version"))
            .transpose()
            .map_err(db_error)?;
        let current = plugin.version.to_string();
        if previous.as_deref() == Some(current.as_str()) {
            return Ok(());
        }
        let deadline = Duration::from_millis(self.manifest.limits.job_deadline_ms);
        let prev = previous.clone();
        let outcome = self
            .call(plugin, None, deadline, move |store, bindings| {
                bindings
                    .trama_plugin_handler()
                    .call_install(store, prev.as_deref())
            })
            .await
            .map_err(|err| plugin_error(format!("install hook: {err}")))?;
        outcome.map_err(|message| plugin_error(format!("install hook refused: {message}")))?;
        // One statement, so a crash can never leave the plugin looking uninstalled.
        self.db
            .conn()
            .execute_raw(sql::stmt(
                self.db.backend(),
                "INSERT INTO plugin_installs (instance, plugin, version, installed_at) VALUES (?, ?, ?, ?) \
                 ON CONFLICT (instance, plugin) DO UPDATE SET version = excluded.version, \
                 installed_at = excluded.installed_at",
                vec![
                    self.id().into(),
                    plugin.name.clone().into(),
                    current.clone().into(),
                    crate::clock::now_ms().into(),
                ],
            ))
            .await
            .map_err(db_error)?;
        crate::audit::append(
            &self.db,
            crate::audit::Entry {
                instance: self.id().to_owned(),
                actor: None,
                plugin: Some(plugin.name.clone()),
                action: if previous.is_some() {
                    "plugin.upgraded"
                } else {
                    "plugin.installed"
                }
                .into(),
                subject: plugin.name.clone(),
                detail: serde_json::json!({ "from": previous, "to": current }).to_string(),
            },
        )
        .await
        .map_err(db_error)
    }

    /// Runs `f` in a fresh instance of `plugin`. Events it published are queued for delivery
    /// only if the plugin reported success (`Ok` inside): a refused request or a failing event
    /// handler publishes nothing, however often it is retried.
    async fn call<T, E, F>(
        &self,
        plugin: &LoadedPlugin,
        caller: Option<WitUser>,
        deadline: Duration,
        f: F,
    ) -> Result<Result<T, E>, CallError>
    where
        T: Send + 'static,
        E: Send + 'static,
        F: FnOnce(
                &mut wasmtime::Store<CallState>,
                &crate::host::bindings::Plugin,
            ) -> wasmtime::Result<Result<T, E>>
            + Send
            + 'static,
    {
        let started = std::time::Instant::now();
        let result = crate::host::call::call(
            self.host.engine().clone(),
            plugin.pre.clone(),
            plugin.ctx.clone(),
            caller,
            deadline,
            f,
        )
        .await;
        tracing::debug!(instance = %self.id(), plugin = %plugin.name, elapsed = ?started.elapsed(), ok = result.is_ok(), "plugin call");
        match result {
            Ok(outcome) => {
                if outcome.value.is_ok() && !outcome.events.is_empty() {
                    self.queue_events(&plugin.name, outcome.events)
                        .await
                        .map_err(|err| CallError::Kernel(format!("queueing events: {err}")))?;
                }
                Ok(outcome.value)
            }
            Err(err) => {
                tracing::warn!(instance = %self.id(), plugin = %plugin.name, error = %err, "plugin call failed");
                let entry = crate::audit::Entry {
                    instance: self.id().to_owned(),
                    actor: None,
                    plugin: Some(plugin.name.clone()),
                    action: "plugin.failed".into(),
                    subject: plugin.name.clone(),
                    detail: serde_json::json!({ "error": err.to_string() }).to_string(),
                };
                if let Err(audit_err) = crate::audit::append(&self.db, entry).await {
                    tracing::error!(%audit_err, "could not audit a plugin failure");
                }
                Err(err)
            }
        }
    }

    /// Serves an HTTP request with a plugin.
    pub async fn handle(
        &self,
        plugin: &LoadedPlugin,
        request: HttpRequest,
        caller: Option<WitUser>,
    ) -> Result<HandleResult, CallError> {
        let deadline = Duration::from_millis(self.manifest.limits.http_deadline_ms);
        self.call(plugin, caller, deadline, move |store, bindings| {
            bindings.trama_plugin_handler().call_handle(store, &request)
        })
        .await
    }

    async fn queue_events(
        &self,
        source: &str,
        events: Vec<PublishedEvent>,
    ) -> Result<(), sea_orm::DbErr> {
        crate::events::queue(self, source, events).await
    }

    /// Delivers one event to a subscriber.
    pub async fn deliver(
        &self,
        plugin: &LoadedPlugin,
        event: Event,
    ) -> Result<Result<(), String>, CallError> {
        let deadline = Duration::from_millis(self.manifest.limits.event_deadline_ms);
        self.call(plugin, None, deadline, move |store, bindings| {
            bindings.trama_plugin_handler().call_on_event(store, &event)
        })
        .await
    }

    /// Runs one scheduled job.
    pub async fn run_job(
        &self,
        plugin: &LoadedPlugin,
        job: String,
    ) -> Result<Result<(), String>, CallError> {
        let deadline = Duration::from_millis(self.manifest.limits.job_deadline_ms);
        self.call(plugin, None, deadline, move |store, bindings| {
            bindings.trama_plugin_handler().call_run_job(store, &job)
        })
        .await
    }
}
