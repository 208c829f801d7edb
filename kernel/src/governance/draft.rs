//! Turning what a member asks for ("enable tutoring", "set the greeting") into the exact values
//! a proposal would set, and checking them before anyone votes.

use serde::Deserialize;
use serde_json::{Value as Json, json};
use trama_manifest::{Capability, Overlay, OverlayChange, PluginPackage, Registry, SettingSpec};

use super::value;
use super::words::{Words, plugin_title, setting_label};
use super::{GovernanceError, Refusal};
use crate::board::Change;
use crate::instance::Instance;

/// A proposal as a member fills it in (form fields or JSON).
#[derive(Debug, Clone, Default, Deserialize)]
pub struct Draft {
    /// `enable`, `disable`, `upgrade`, `settings`, `theme` or `allocate`.
    pub kind: String,
    #[serde(default)]
    pub plugin: String,
    /// For `upgrade`: the exact version to move to.
    #[serde(default)]
    pub version: String,
    /// For `settings`: the setting's name and its new value (TOML syntax; bare text is a string).
    #[serde(default)]
    pub key: String,
    #[serde(default)]
    pub value: String,
    /// The value comes from the form's widget for the setting: read as its schema's type says
    /// (`12` for a text setting is the text "12"; a list is one item a line), not as TOML.
    #[serde(default)]
    pub widget: bool,
    /// For `theme`: the theme folder.
    #[serde(default)]
    pub theme: String,
    /// For `allocate`: the funder's id (`[budget.funders.ID]`), the measure as
    /// `plugin/measure` and the amount in euros as typed ("5.000,00").
    #[serde(default)]
    pub funder: String,
    #[serde(default)]
    pub measure: String,
    #[serde(default)]
    pub amount: String,
    /// Why: shown to the members who vote.
    #[serde(default)]
    pub rationale: String,
}

/// The kinds of proposal, for messages and forms.
pub const KINDS: [&str; 6] = [
    "enable", "disable", "upgrade", "settings", "theme", "allocate",
];

/// A refusal of the form's `field`, said by the catalogue's `governance_refuse.{key}`.
fn refuse(
    words: &Words<'_>,
    field: &'static str,
    key: &str,
    args: &[(&str, String)],
) -> GovernanceError {
    Refusal::at(field, words.say(&format!("governance_refuse.{key}"), args)).into()
}

fn path(segments: &[&str]) -> Vec<String> {
    segments.iter().map(|s| (*s).to_owned()).collect()
}

/// A change setting the value at `segments`.
fn set(segments: &[&str], value: Json) -> Change {
    Change {
        path: path(segments),
        value,
        before: None,
    }
}

/// The changes `draft` asks for on `instance` (its title is said from them: [`Words::explain`]).
pub fn changes(
    instance: &Instance,
    draft: &Draft,
    words: &Words<'_>,
) -> Result<Vec<Change>, GovernanceError> {
    let plugin = draft.plugin.trim();
    let registry = Registry::scan(&instance.manifest.registry.plugins)?;
    // The plugin as members know it: its title in their language.
    let named = |package: Option<&PluginPackage>| {
        let package = package.or_else(|| registry.versions(plugin).last());
        format!("«{}»", plugin_title(package, plugin, words.locale))
    };
    // `listed`: whether a test fixture must be refused — always, except when the table switches
    // one off (an instance where it runs must be able to vote it away).
    let known = |listed: bool| -> Result<(), GovernanceError> {
        if plugin.is_empty() {
            return Err(refuse(words, "plugin", "no_plugin", &[]));
        }
        let Some(latest) = registry.versions(plugin).last() else {
            return Err(refuse(
                words,
                "plugin",
                "unknown_plugin",
                &[("plugin", format!("«{plugin}»"))],
            ));
        };
        // Test fixtures and examples are never put to the table, whatever a client posts.
        if listed && !latest.meta.plugin.listed {
            return Err(refuse(
                words,
                "plugin",
                "unlisted",
                &[("plugin", named(Some(latest)))],
            ));
        }
        Ok(())
    };
    let requested = instance.manifest.plugins.get(plugin);
    let running = instance.plugins.get(plugin);
    match draft.kind.as_str() {
        "enable" => {
            known(true)?;
            if running.is_some() {
                return Err(refuse(
                    words,
                    "plugin",
                    "already_enabled",
                    &[("plugin", named(None))],
                ));
            }
            let changes = match requested {
                // Listed in the manifest and disabled: switching it back on keeps its version
                // and capabilities as they were granted.
                Some(_) => vec![set(&["plugins", plugin, "enabled"], Json::Bool(true))],
                None => {
                    let Some(latest) = registry.versions(plugin).last() else {
                        return Err(refuse(
                            words,
                            "plugin",
                            "unknown_plugin",
                            &[("plugin", format!("«{plugin}»"))],
                        ));
                    };
                    let version = latest.version();
                    let capabilities: Vec<&str> = latest
                        .meta
                        .plugin
                        .capabilities
                        .iter()
                        .filter(|c| !c.is_ambient())
                        .map(|c| Capability::as_str(*c))
                        .collect();
                    // Leaf keys, so that a later change of one of them (or of a setting)
                    // never erases the others.
                    vec![
                        set(
                            &["plugins", plugin, "version"],
                            json!(format!("^{version}")),
                        ),
                        set(&["plugins", plugin, "enabled"], Json::Bool(true)),
                        set(&["plugins", plugin, "capabilities"], json!(capabilities)),
                    ]
                }
            };
            Ok(changes)
        }
        "disable" => {
            known(false)?;
            if running.is_none() {
                return Err(refuse(
                    words,
                    "plugin",
                    "not_enabled",
                    &[("plugin", named(None))],
                ));
            }
            Ok(vec![set(
                &["plugins", plugin, "enabled"],
                Json::Bool(false),
            )])
        }
        "upgrade" => {
            known(true)?;
            let Some(running) = running else {
                return Err(refuse(
                    words,
                    "plugin",
                    "enable_first",
                    &[("plugin", named(None))],
                ));
            };
            let typed = draft.version.trim();
            if typed.is_empty() {
                return Err(refuse(words, "version", "no_version", &[]));
            }
            let target = semver::Version::parse(typed).map_err(|_| {
                refuse(
                    words,
                    "version",
                    "bad_version",
                    &[("version", format!("«{typed}»"))],
                )
            })?;
            let versions = [
                ("version", target.to_string()),
                ("running", running.version.to_string()),
            ];
            if target <= running.version {
                return Err(refuse(words, "version", "not_newer", &versions));
            }
            let compatible = semver::VersionReq::parse(&format!("^{}", running.version))
                .is_ok_and(|req| req.matches(&target));
            if !compatible {
                return Err(refuse(words, "version", "incompatible", &versions));
            }
            if !registry.versions(plugin).any(|p| p.version() == &target) {
                let available: Vec<String> = registry
                    .versions(plugin)
                    .map(|p| p.version().to_string())
                    .collect();
                return Err(refuse(
                    words,
                    "version",
                    "unknown_version",
                    &[
                        ("version", target.to_string()),
                        ("plugin", named(None)),
                        ("available", available.join(", ")),
                    ],
                ));
            }
            Ok(vec![set(
                &["plugins", plugin, "version"],
                Json::String(format!("={target}")),
            )])
        }
        "settings" => {
            known(true)?;
            if requested.is_none() {
                return Err(refuse(
                    words,
                    "plugin",
                    "enable_first",
                    &[("plugin", named(None))],
                ));
            }
            let key = draft.key.trim();
            if key.is_empty() || !key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
                return Err(refuse(words, "key", "no_setting", &[]));
            }
            let package = settings_package(instance, &registry, plugin);
            let Some(spec) = package.and_then(|p| p.meta.settings.get(key)) else {
                return Err(refuse(
                    words,
                    "key",
                    "unknown_setting",
                    &[("setting", key.to_owned()), ("plugin", named(package))],
                ));
            };
            let label = format!("«{}» ({key})", setting_label(package, key, words.locale));
            let value = if draft.widget {
                value::from_widget(spec, &draft.value)
            } else {
                Ok(parse_value(&draft.value))
            }
            .and_then(|value| value::fits(spec, value))
            .map_err(|fault| {
                refuse(
                    words,
                    "value",
                    "setting_value",
                    &[("setting", label), ("reason", fault.words(words))],
                )
            })?;
            let before = in_effect(instance, plugin, key, spec);
            Ok(vec![Change {
                path: path(&["plugins", plugin, "settings", key]),
                value,
                before,
            }])
        }
        "theme" => {
            let theme = draft.theme.trim();
            if theme.is_empty() {
                return Err(refuse(words, "theme", "no_theme", &[]));
            }
            if theme == instance.manifest.instance.theme {
                return Err(refuse(
                    words,
                    "theme",
                    "same_theme",
                    &[("theme", format!("«{theme}»"))],
                ));
            }
            Ok(vec![set(
                &["instance", "theme"],
                Json::String(theme.to_owned()),
            )])
        }
        other => Err(refuse(
            words,
            "kind",
            "unknown_kind",
            &[("kind", format!("«{other}»")), ("kinds", KINDS.join(", "))],
        )),
    }
}

/// The package whose settings schema a setting proposal about `plugin` is checked against: the
/// version that runs, else the best one the manifest's requirement matches; none when the
/// manifest does not list the plugin.
pub fn settings_package<'a>(
    instance: &Instance,
    registry: &'a Registry,
    plugin: &'a str,
) -> Option<&'a PluginPackage> {
    let requested = instance.manifest.plugins.get(plugin)?;
    instance
        .plugins
        .get(plugin)
        .and_then(|running| {
            registry
                .versions(plugin)
                .find(|p| p.version() == &running.version)
        })
        .or_else(|| registry.best_match(plugin, &requested.version))
}

/// The value of setting `key` of `plugin` in effect: the instance's own, else the default.
pub fn in_effect(instance: &Instance, plugin: &str, key: &str, spec: &SettingSpec) -> Option<Json> {
    instance
        .manifest
        .plugins
        .get(plugin)
        .and_then(|requested| requested.settings.get(key).cloned())
        .or_else(|| spec.default.clone())
}

/// A setting's new value as typed: TOML syntax (`42`, `true`, `["a", "b"]`, `"text"`), and
/// anything that is not TOML is taken as text, so nobody has to quote a sentence.
pub fn parse_value(text: &str) -> Json {
    let text = text.trim();
    let parsed: Result<toml::Table, _> = format!("v = {text}").parse();
    match parsed.ok().and_then(|mut table| table.remove("v")) {
        Some(value) => serde_json::to_value(value).unwrap_or_else(|_| Json::String(text.into())),
        None => Json::String(text.to_owned()),
    }
}

/// `overlay` with `changes` added after it, attributed to `source`.
pub fn with_changes(
    overlay: &Overlay,
    changes: &[Change],
    source: &str,
) -> Result<Overlay, GovernanceError> {
    let mut next = overlay.clone();
    for change in changes {
        next.push(OverlayChange {
            path: change.path.clone(),
            value: change.value.clone(),
            source: source.to_owned(),
        })
        .map_err(|err| Refusal::whole(err.to_string()))?;
    }
    Ok(next)
}

/// Checks the instance as it would be with `after`: the manifest validates (versions resolve,
/// settings match their schema), the theme loads and every new plugin links. Then returns the
/// effective manifest before and after as a unified diff. A refusal says why in `words`, with
/// the checker's own findings as the detail.
pub fn check(
    instance: &Instance,
    before: &Overlay,
    after: &Overlay,
    words: &Words<'_>,
) -> Result<String, GovernanceError> {
    let dir = &instance.manifest.dir;
    let broken = |detail: String| {
        Refusal::whole(words.say("governance_refuse.broken", &[("detail", detail)]))
    };
    let checked = trama_manifest::check_with_overlay(dir, after).map_err(|diagnostics| {
        broken(
            diagnostics
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("\n"),
        )
    })?;
    instance
        .dry_run(&checked)
        .map_err(|err| broken(err.to_string()))?;
    // Without the environment: it holds the deployment's secrets, and the diff is shown to every
    // member and stored with the proposal.
    let show = |overlay: &Overlay| {
        trama_manifest::effective(dir, std::iter::empty::<(String, String)>(), overlay)
            .map(|effective| effective.plain())
            .map_err(|diagnostics| broken(diagnostics.to_string()))
    };
    let (old, new) = (show(before)?, show(after)?);
    if old == new {
        return Err(Refusal::whole(words.say("governance_refuse.no_change", &[])).into());
    }
    let diff = similar::TextDiff::from_lines(&old, &new)
        .unified_diff()
        .context_radius(2)
        .header("instance.toml (in vigore)", "instance.toml (proposta)")
        .to_string();
    Ok(diff)
}

/// Whether two diffs from [`check`] make the same changes (their `-` and `+` lines), whatever
/// their context: `Err` says what differs, for the proposal's failure.
pub fn same_changes(voted: &str, now: &str) -> Result<(), String> {
    let changes = |diff: &str| -> Vec<String> {
        diff.lines()
            .filter(|line| {
                (line.starts_with('-') || line.starts_with('+'))
                    && !line.starts_with("---")
                    && !line.starts_with("+++")
            })
            .map(str::to_owned)
            .collect()
    };
    let (voted, now) = (changes(voted), changes(now));
    if voted == now {
        Ok(())
    } else {
        Err(format!(
            "it would now change\n{}\ninstead of\n{}",
            now.join("\n"),
            voted.join("\n")
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_changes_in_another_context_are_the_same() {
        let voted = "--- a\n+++ b\n@@ -1,3 +1,3 @@\n x = 1\n-y = 2\n+y = 3\n";
        let moved = "--- a\n+++ b\n@@ -4,3 +4,3 @@\n z = 9\n-y = 2\n+y = 3\n";
        assert_eq!(same_changes(voted, moved), Ok(()));
        let other = "--- a\n+++ b\n@@ -1,3 +1,3 @@\n x = 1\n-y = 5\n+y = 3\n";
        let err = same_changes(voted, other).expect_err("a different change");
        assert!(err.contains("-y = 5") && err.contains("-y = 2"), "{err}");
    }

    #[test]
    fn values_are_toml_or_text() {
        assert_eq!(parse_value("42"), json!(42));
        assert_eq!(parse_value("true"), json!(true));
        assert_eq!(parse_value("[\"a\", \"b\"]"), json!(["a", "b"]));
        assert_eq!(parse_value("\"quoted\""), json!("quoted"));
        assert_eq!(
            parse_value("Buongiorno a tutti"),
            json!("Buongiorno a tutti")
        );
    }
}
