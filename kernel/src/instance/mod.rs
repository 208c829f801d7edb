//! A running territorial instance: its manifest, database, theme and loaded plugins.

mod calls;
mod install;
mod link;

pub use link::{check_servable, link_plugin};

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use trama_manifest::{Capability, Checked, Manifest, ResolvedPlugin};

use crate::board::Board;
use crate::db::Db;
use crate::docstore::{Collections, DocStore};
use crate::event_store::Subscribers;
use crate::host::bindings::PluginPre;
use crate::host::bindings::types::{HttpResponse, PluginError};
use crate::host::{CallState, PluginContext, PluginHost};
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
    #[error("instance `{instance}`: its id or database changed; restart the server to apply that")]
    RestartNeeded { instance: String },
    #[error("theme of instance `{instance}`: {source}")]
    Theme {
        instance: String,
        source: crate::theme::ThemeError,
    },
    /// A plugin is granted `seal` and the deployment's keys are missing or do not open the
    /// instance's data keys.
    #[error("instance `{instance}` grants `seal` to {plugin}: {source}")]
    Seal {
        instance: String,
        plugin: String,
        source: crate::seal::SealError,
    },
    /// A plugin keeps its files sealed (`[files] sealed` in its plugin.toml) and the
    /// deployment's keys are missing or do not open the instance's data keys.
    #[error(
        "instance `{instance}` enables `{plugin}`, which keeps its files sealed ([files] sealed in its plugin.toml): {source}"
    )]
    SealedFiles {
        instance: String,
        plugin: String,
        source: crate::seal::SealError,
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
    /// Who the service is for, by locale (its card on the home page).
    pub audience: BTreeMap<String, String>,
    /// The route saying whether the service takes requests now, if the plugin has one.
    pub status: Option<String>,
    pub subscribes: BTreeSet<String>,
    pub jobs: Vec<(String, Duration)>,
    /// The route listing the caller's own applications and bookings, if the plugin has one.
    pub mine: Option<String>,
    /// The route of what the plugin holds about one person (download and erasure).
    pub personal_data: Option<String>,
    /// The roles its `plugin.toml` declares (the only ones it may see or list).
    pub roles: Vec<String>,
    /// Where a holder of one of its roles starts after logging in: role → route in the plugin.
    pub landing: BTreeMap<String, String>,
    /// The routes listing its measures and receiving allocations (`[budget]`), kernel-only.
    pub budget: Option<trama_manifest::BudgetRoutes>,
    pub dir: PathBuf,
    pre: PluginPre<CallState>,
    ctx: Arc<PluginContext>,
}

impl LoadedPlugin {
    /// The page a person holding `roles` starts from in this plugin, if it names one of them.
    pub fn landing_for(&self, roles: &[String]) -> Option<String> {
        self.landing
            .iter()
            .find(|(role, _)| roles.contains(role))
            .map(|(_, route)| format!("/p/{}{route}", self.name))
    }
}

pub struct Instance {
    pub manifest: Manifest,
    pub db: Db,
    pub theme: Arc<Theme>,
    /// Enabled plugins that loaded, by name.
    pub plugins: BTreeMap<String, Arc<LoadedPlugin>>,
    /// Which of those plugins receive each event, kept with `plugins`.
    subscribers: Arc<Subscribers>,
    /// Wakes the event dispatcher as soon as an event is queued; shared by every version of
    /// the instance, so a dispatcher keeps listening across a live reload.
    pub events_wake: Arc<tokio::sync::Notify>,
    /// The applied proposals this instance was built with (see [`Board::generation`]).
    pub generation: (i64, i64),
    /// Sign-up and write rate limits (`[limits]`); kept across versions while they are
    /// unchanged, so that a governance change does not hand every client a fresh burst.
    pub rates: Arc<crate::rate::Rates>,
    /// The instance's sealing (host API 1.9), opened when a plugin is granted `seal`.
    pub sealer: Option<Arc<crate::seal::Sealer>>,
    policy: BuildPolicy,
    host: Arc<PluginHost>,
}

/// What to do when a plugin's upgrade hook fails while an instance is built.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailedUpgrade {
    /// Start with the version installed before, if the registry still has it (a restart
    /// must not take the territory offline because a new version appeared).
    KeepPrevious,
    /// Fail, so that the caller keeps the instance it has (applying a proposal).
    Refuse,
}

/// The theme of `manifest` with the templates of the `enabled` plugins.
pub(super) fn theme_of(
    manifest: &Manifest,
    enabled: &[&ResolvedPlugin],
) -> Result<Arc<Theme>, InstanceError> {
    Theme::shared(
        &manifest.registry.themes,
        &manifest.instance.theme,
        &manifest.instance.locale,
        &enabled
            .iter()
            .map(|p| PluginTemplates {
                name: &p.name,
                dir: &p.package.dir,
            })
            .collect::<Vec<_>>(),
    )
    .map_err(|source| InstanceError::Theme {
        instance: manifest.instance.id.clone(),
        source,
    })
}

/// What a plugin's `handle` produced.
pub type HandleResult = Result<Handled, PluginError>;

/// A plugin's answer to a request, with the one-time message it set for the person's next page
/// (host API 1.8 `notice`), which the web layer keeps only for a browser it redirects.
#[derive(Debug)]
pub struct Handled {
    pub response: HttpResponse,
    pub notice: Option<String>,
}

impl Instance {
    /// Where a person holding `roles` starts after logging in without asking for a page: the
    /// landing page of the one plugin naming one of their roles. Role names are shared across
    /// plugins (`operator` of vouchers and of tutoring alike), so when several plugins would
    /// claim the person the home page, which lists every service, is the honest start.
    pub fn landing_for(&self, roles: &[String]) -> String {
        let mut pages = self
            .plugins
            .values()
            .filter_map(|plugin| plugin.landing_for(roles));
        match (pages.next(), pages.next()) {
            (Some(page), None) => page,
            _ => "/".to_owned(),
        }
    }

    pub fn id(&self) -> &str {
        &self.manifest.instance.id
    }

    /// The roles that exist here: the kernel's and those of the enabled plugins.
    pub fn declared_roles(&self) -> crate::auth::roles::Declared {
        crate::auth::roles::Declared::new(
            self.plugins
                .values()
                .map(|plugin| (plugin.name.as_str(), plugin.roles.iter())),
        )
    }

    /// A database failure of this instance, naming it and its database (password hidden).
    pub fn database_error(&self, source: sea_orm::DbErr) -> InstanceError {
        InstanceError::Database {
            instance: self.id().to_owned(),
            url: trama_manifest::redact_url(&self.manifest.database_url()),
            source,
        }
    }

    /// Validates the manifest, connects the database, layers the approved proposals over the
    /// file, loads every enabled plugin and runs the install or upgrade hook of any plugin that
    /// is new or at a new version.
    pub async fn open(
        dir: &Path,
        host: Arc<PluginHost>,
        policy: BuildPolicy,
    ) -> Result<Self, InstanceError> {
        // The database is never governed, so the file and the environment name it.
        let manifest = trama_manifest::load(dir)?;
        let url = manifest.database_url();
        let id = manifest.instance.id.clone();
        let database_error = |source| InstanceError::Database {
            instance: id.clone(),
            url: trama_manifest::redact_url(&url),
            source,
        };
        let db = Db::connect(&url).await.map_err(database_error)?;
        let board = Board::new(db.clone(), &id);
        // The generation first: a proposal applied meanwhile then shows as a newer generation
        // and the next refresh picks it up.
        let generation = board.generation().await.map_err(database_error)?;
        let overlay = board.overlay().await.map_err(database_error)?;
        let checked = trama_manifest::check_with_overlay(dir, &overlay)?;
        Self::build(
            checked,
            db,
            host,
            policy,
            Arc::new(tokio::sync::Notify::new()),
            generation,
            FailedUpgrade::KeepPrevious,
        )
        .await
    }

    /// A new version of this instance with `overlay` over its file, sharing its database and
    /// event wake-up.
    pub async fn reopen(
        &self,
        overlay: &trama_manifest::Overlay,
        generation: (i64, i64),
        failed_upgrade: FailedUpgrade,
    ) -> Result<Self, InstanceError> {
        let checked = trama_manifest::check_with_overlay(&self.manifest.dir, overlay)?;
        let mut next = Self::build(
            checked,
            self.db.clone(),
            self.host.clone(),
            self.policy,
            self.events_wake.clone(),
            generation,
            failed_upgrade,
        )
        .await?;
        if next.manifest.limits == self.manifest.limits {
            next.rates = self.rates.clone();
        }
        Ok(next)
    }

    /// Checks that `checked` could be served without serving it: the theme loads and every
    /// plugin that is not running already at the same version links. No hook runs.
    pub fn dry_run(&self, checked: &Checked) -> Result<(), InstanceError> {
        let enabled: Vec<&ResolvedPlugin> = checked.plugins.iter().filter(|p| p.enabled).collect();
        theme_of(&checked.manifest, &enabled)?;
        for resolved in enabled {
            let running = self
                .plugins
                .get(&resolved.name)
                .is_some_and(|p| p.version == resolved.package.meta.plugin.version);
            if !running {
                self.load_plugin(resolved, self.policy)?;
            }
        }
        Ok(())
    }

    async fn build(
        checked: Checked,
        db: Db,
        host: Arc<PluginHost>,
        policy: BuildPolicy,
        events_wake: Arc<tokio::sync::Notify>,
        generation: (i64, i64),
        failed_upgrade: FailedUpgrade,
    ) -> Result<Self, InstanceError> {
        let Checked { manifest, plugins } = checked;
        let enabled: Vec<&ResolvedPlugin> = plugins.iter().filter(|p| p.enabled).collect();
        let theme = theme_of(&manifest, &enabled)?;
        let rates = Arc::new(crate::rate::Rates::new(&manifest.limits));
        let sealer = Self::sealer_for(&manifest.instance.id, &enabled, &db).await?;
        let mut instance = Self {
            rates,
            sealer,
            manifest,
            db,
            theme,
            plugins: BTreeMap::new(),
            subscribers: Arc::default(),
            events_wake,
            generation,
            policy,
            host,
        };
        for resolved in enabled {
            let loaded = instance.load_plugin(resolved, policy)?;
            let loaded = match instance.install_if_needed(&loaded).await {
                Ok(()) => loaded,
                Err(err) if failed_upgrade == FailedUpgrade::KeepPrevious => {
                    match instance.previous_version(resolved, policy).await? {
                        Some(previous) => {
                            tracing::error!(instance = %instance.id(), plugin = %resolved.name, error = %err, kept = %previous.version, "upgrade failed; the installed version stays active");
                            previous
                        }
                        None => return Err(err),
                    }
                }
                Err(err) => return Err(err),
            };
            instance
                .plugins
                .insert(loaded.name.clone(), Arc::new(loaded));
            instance.subscribers = Arc::new(Subscribers::new(
                instance
                    .plugins
                    .values()
                    .map(|plugin| (plugin.name.as_str(), &plugin.subscribes)),
            ));
        }
        Ok(instance)
    }

    /// The instance's sealing when an enabled plugin is granted `seal` or keeps its files
    /// sealed (`[files] sealed`): the deployment's key file read and the instance's data keys
    /// opened (the first one made if there is none), so a missing or wrong key file stops the
    /// instance at start, not a care manager's note or document.
    async fn sealer_for(
        instance: &str,
        enabled: &[&ResolvedPlugin],
        db: &Db,
    ) -> Result<Option<Arc<crate::seal::Sealer>>, InstanceError> {
        let granted = enabled
            .iter()
            .find(|p| p.capabilities.contains(&Capability::Seal));
        let files = enabled.iter().find(|p| p.package.meta.files.sealed);
        let error = |source| match (granted, files) {
            (Some(first), _) => InstanceError::Seal {
                instance: instance.to_owned(),
                plugin: format!("`{}`", first.name),
                source,
            },
            (None, first) => InstanceError::SealedFiles {
                instance: instance.to_owned(),
                plugin: first.map(|p| p.name.clone()).unwrap_or_default(),
                source,
            },
        };
        if granted.is_none() && files.is_none() {
            return Ok(None);
        }
        let keyring = crate::seal::Keyring::from_env()
            .map_err(error)?
            .ok_or_else(|| error(crate::seal::SealError::NoKeys))?;
        let sealer = crate::seal::Sealer::open(db.clone(), instance, Arc::new(keyring))
            .await
            .map_err(error)?;
        Ok(Some(Arc::new(sealer)))
    }

    fn load_plugin(
        &self,
        resolved: &ResolvedPlugin,
        policy: BuildPolicy,
    ) -> Result<LoadedPlugin, InstanceError> {
        let package = &resolved.package;
        let meta = &package.meta;
        let pre = link_plugin(&self.host, &self.manifest, resolved, policy)?;
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
            outbox: crate::notify::Outbox::new(self.db.clone(), self.id(), &resolved.name),
            settings: resolved.settings.to_string(),
            memory_cap: usize::try_from(limits.memory_mib)
                .unwrap_or(usize::MAX)
                .saturating_mul(1024 * 1024),
            publishes: meta.events.publishes.iter().cloned().collect(),
            event_schemas: meta.event_schemas.clone(),
            roles: meta.plugin.roles.iter().cloned().collect(),
            catalogues: self.theme.catalogues(),
            events_wake: self.events_wake.clone(),
            sealer: resolved
                .capabilities
                .contains(&Capability::Seal)
                .then(|| self.sealer.clone())
                .flatten(),
            files_sealer: meta.files.sealed.then(|| self.sealer.clone()).flatten(),
        };
        Ok(LoadedPlugin {
            name: resolved.name.clone(),
            version: meta.plugin.version.clone(),
            title: meta.plugin.title.clone(),
            description: meta.plugin.description.clone(),
            audience: meta.plugin.audience.clone(),
            status: meta.plugin.status.clone(),
            roles: meta.plugin.roles.clone(),
            subscribes: meta.events.subscribes.iter().cloned().collect(),
            jobs: meta
                .jobs
                .iter()
                .map(|job| (job.name.clone(), job.every))
                .collect(),
            mine: meta.plugin.mine.clone(),
            personal_data: meta.plugin.personal_data.clone(),
            landing: meta.plugin.landing.clone(),
            budget: meta.budget.clone(),
            dir: package.dir.clone(),
            pre,
            ctx: Arc::new(ctx),
        })
    }
}
