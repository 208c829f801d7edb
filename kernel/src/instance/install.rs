//! Installing and upgrading a plugin on an instance: which version the instance ran before
//! (`plugin_installs`), and the plugin's install hook run once per new version, audited.

use std::time::Duration;

use sea_orm::ConnectionTrait;
use trama_manifest::ResolvedPlugin;

use super::{BuildPolicy, Instance, InstanceError, LoadedPlugin};
use crate::db::sql;

impl Instance {
    /// The version of `resolved` installed before, loaded, if the registry still holds it.
    pub(super) async fn previous_version(
        &self,
        resolved: &ResolvedPlugin,
        policy: BuildPolicy,
    ) -> Result<Option<LoadedPlugin>, InstanceError> {
        let Some(installed) = self.installed_version(&resolved.name).await? else {
            return Ok(None);
        };
        let Ok(version) = semver::Version::parse(&installed) else {
            return Ok(None);
        };
        if version == resolved.package.meta.plugin.version {
            return Ok(None);
        }
        let registry = trama_manifest::Registry::scan(&self.manifest.registry.plugins)?;
        let Some(package) = registry
            .versions(&resolved.name)
            .find(|package| package.version() == &version)
        else {
            return Ok(None);
        };
        let mut previous = resolved.clone();
        previous.package = package.clone();
        self.load_plugin(&previous, policy).map(Some)
    }

    pub(super) async fn installed_version(
        &self,
        plugin: &str,
    ) -> Result<Option<String>, InstanceError> {
        let db_error = |err: sea_orm::DbErr| InstanceError::Plugin {
            plugin: plugin.to_owned(),
            message: format!("database: {err}"),
        };
        let row = self
            .db
            .conn()
            .query_one_raw(sql::stmt(
                self.db.backend(),
                "SELECT version FROM plugin_installs WHERE instance = ? AND plugin = ?",
                vec![self.id().into(), plugin.into()],
            ))
            .await
            .map_err(db_error)?;
        row.map(|row| row.try_get("", "version"))
            .transpose()
            .map_err(db_error)
    }

    pub(super) async fn install_if_needed(
        &self,
        plugin: &LoadedPlugin,
    ) -> Result<(), InstanceError> {
        let plugin_error = |message: String| InstanceError::Plugin {
            plugin: plugin.name.clone(),
            message,
        };
        let db_error = |err: sea_orm::DbErr| plugin_error(format!("database: {err}"));
        let previous = self.installed_version(&plugin.name).await?;
        let current = plugin.version.to_string();
        if previous.as_deref() == Some(current.as_str()) {
            return Ok(());
        }
        let deadline = Duration::from_millis(self.manifest.limits.job_deadline_ms);
        let prev = previous.clone();
        let outcome = self
            .call(
                plugin,
                None,
                Vec::new(),
                deadline,
                move |store, bindings| {
                    Box::pin(async move {
                        bindings
                            .trama_plugin_handler()
                            .call_install(store, prev.as_deref())
                            .await
                    })
                },
            )
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
}
