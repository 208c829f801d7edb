//! What the table reads, in its members' words: a proposal as a sentence ("Cambiare «Giorni di
//! conservazione» di «Buoni e contributi» da 1825 a 3650"), the rules ("maggioranza semplice,
//! 7 giorni") and refusals, from the theme's catalogues in the reader's language. The diff stays
//! the exact record; these are the explanation a member decides on.

use std::time::Duration;

use serde_json::Value as Json;
use trama_manifest::{Majority, PluginPackage, Registry};

use crate::board::{Change, Proposal};
use crate::theme::Catalogues;

/// The catalogues and the reader's language.
pub struct Words<'a> {
    pub catalogues: &'a Catalogues,
    pub locale: &'a str,
}

impl Words<'_> {
    /// The message `key` with its `{placeholders}` filled from `args`; the key itself when the
    /// catalogue lacks it (the catalogue test keeps that from happening).
    pub fn say(&self, key: &str, args: &[(&str, String)]) -> String {
        let message = self.catalogues.text(self.locale, key).unwrap_or(key);
        trama_common::message::fill(message, |name| {
            args.iter()
                .find(|(arg, _)| *arg == name)
                .map(|(_, value)| value.clone())
        })
        .unwrap_or_else(|err| {
            tracing::warn!(%err, key, "a governance message does not fill");
            message.to_owned()
        })
    }

    /// `n` of a unit, singular or plural (`governance_words.days_one`/`days_other`).
    fn count(&self, unit: &str, n: u64) -> String {
        let form = if n == 1 { "one" } else { "other" };
        self.say(
            &format!("governance_words.{unit}_{form}"),
            &[("n", n.to_string())],
        )
    }

    /// A duration as people say it: whole days, else whole hours, else minutes.
    pub fn duration(&self, duration: Duration) -> String {
        let secs = duration.as_secs();
        match secs {
            s if s >= 86_400 && s % 86_400 == 0 => self.count("days", s / 86_400),
            s if s >= 3_600 && s % 3_600 == 0 => self.count("hours", s / 3_600),
            s => self.count("minutes", s.div_ceil(60)),
        }
    }

    /// "maggioranza semplice", "maggioranza qualificata (2/3)", "unanimità".
    pub fn majority(&self, majority: Majority) -> String {
        self.say(
            &format!("governance_words.majority_{}", majority.as_str()),
            &[],
        )
    }

    /// The instance's rules in one sentence.
    pub fn rules(&self, rules: &trama_manifest::Governance) -> String {
        self.say(
            "governance_rules",
            &[
                ("quorum", rules.quorum_percent.to_string()),
                ("majority", self.majority(rules.majority)),
                ("window", self.duration(rules.voting_window)),
            ],
        )
    }

    /// An amount as the reader writes it: `5.000,00 €`, or `€5,000.00` in English.
    pub fn euros(&self, cents: i64) -> String {
        if self.locale == "en" {
            let sign = if cents < 0 { "-" } else { "" };
            let abs = cents.unsigned_abs();
            let whole = trama_common::money::group_digits(abs / 100, ',');
            format!("{sign}€{whole}.{:02}", abs % 100)
        } else {
            trama_common::money::italian(cents)
        }
    }

    /// A setting's value as a sentence shows it: text in «», yes/no, lists joined.
    pub fn value(&self, value: &Json) -> String {
        match value {
            Json::String(text) => format!("«{text}»"),
            Json::Bool(yes) => self.say(
                if *yes {
                    "governance_words.yes"
                } else {
                    "governance_words.no"
                },
                &[],
            ),
            Json::Array(items) if items.is_empty() => self.say("governance_words.empty_list", &[]),
            Json::Array(items) => items
                .iter()
                .map(|item| self.value(item))
                .collect::<Vec<_>>()
                .join(", "),
            Json::Null => self.say("governance_words.nothing", &[]),
            other => other.to_string(),
        }
    }

    /// What `proposal` would do, as one sentence; `registry` gives the plugins' titles and
    /// settings' descriptions (a plugin no longer there is named by its id).
    pub fn explain(&self, proposal: &Proposal, registry: &Registry) -> String {
        let plugin = proposal
            .changes
            .first()
            .and_then(|change| (change.path.first()? == "plugins").then(|| change.path.get(1)))
            .flatten()
            .map(String::as_str)
            .unwrap_or_default();
        let package = registry.versions(plugin).last();
        let title = || format!("«{}»", plugin_title(package, plugin, self.locale));
        let find = |leaf: &str| -> Option<&Change> {
            proposal
                .changes
                .iter()
                .find(|change| change.path.last().is_some_and(|last| last == leaf))
        };
        let version = || {
            find("version")
                .and_then(|change| change.value.as_str())
                .map(|req| req.trim_start_matches(['^', '=', '~']).to_owned())
                .unwrap_or_default()
        };
        match proposal.kind.as_str() {
            "enable" if find("version").is_some() => self.say(
                "governance_explain.install",
                &[("plugin", title()), ("version", version())],
            ),
            "enable" => self.say("governance_explain.enable", &[("plugin", title())]),
            "disable" => self.say("governance_explain.disable", &[("plugin", title())]),
            "upgrade" => self.say(
                "governance_explain.upgrade",
                &[("plugin", title()), ("version", version())],
            ),
            "settings" => {
                let Some(change) = proposal.changes.first() else {
                    return proposal.kind.clone();
                };
                let key = change.path.last().map(String::as_str).unwrap_or_default();
                let setting = format!("«{}»", setting_label(package, key, self.locale));
                let after = self.value(&change.value);
                match &change.before {
                    Some(before) => self.say(
                        "governance_explain.setting",
                        &[
                            ("setting", setting),
                            ("plugin", title()),
                            ("before", self.value(before)),
                            ("after", after),
                        ],
                    ),
                    None => self.say(
                        "governance_explain.setting_new",
                        &[("setting", setting), ("plugin", title()), ("after", after)],
                    ),
                }
            }
            "theme" => self.say(
                "governance_explain.theme",
                &[(
                    "theme",
                    proposal
                        .changes
                        .first()
                        .map(|change| self.value(&change.value))
                        .unwrap_or_default(),
                )],
            ),
            super::allocate::KIND => match super::allocate::Terms::of(proposal) {
                Some(terms) => {
                    let service = registry.versions(&terms.plugin).last();
                    self.say(
                        "governance_budget.explain",
                        &[
                            ("amount", self.euros(terms.cents)),
                            ("funder", format!("«{}»", terms.funder_name)),
                            ("measure", format!("«{}»", terms.measure_title)),
                            (
                                "service",
                                format!("«{}»", plugin_title(service, &terms.plugin, self.locale)),
                            ),
                        ],
                    )
                }
                None => proposal.kind.clone(),
            },
            other => other.to_owned(),
        }
    }
}

/// A plugin's title in `locale` (Italian first), or its id when it has none.
pub fn plugin_title(package: Option<&PluginPackage>, name: &str, locale: &str) -> String {
    package
        .and_then(|package| crate::theme::localized(&package.meta.plugin.title, locale))
        .unwrap_or(name)
        .to_owned()
}

/// A setting's description in `locale` (Italian first), or its name when it has none.
pub fn setting_label(package: Option<&PluginPackage>, key: &str, locale: &str) -> String {
    package
        .and_then(|package| package.meta.settings.get(key))
        .and_then(|spec| crate::theme::localized(&spec.description, locale))
        .unwrap_or(key)
        .to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::board::Status;
    use serde_json::json;

    /// The default theme's catalogues, as the repository has them.
    fn catalogues() -> Catalogues {
        let locales =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../themes/default/locales");
        let read = |code: &str| -> (String, Json) {
            let text =
                std::fs::read_to_string(locales.join(format!("{code}.toml"))).expect("a catalogue");
            let table: toml::Table = text.parse().expect("TOML");
            (code.to_owned(), serde_json::to_value(table).expect("JSON"))
        };
        Catalogues::new([read("it"), read("en")].into(), "it")
    }

    #[test]
    fn durations_and_majorities_are_said_in_words_and_plurals() {
        let catalogues = catalogues();
        let it = Words {
            catalogues: &catalogues,
            locale: "it",
        };
        let en = Words {
            catalogues: &catalogues,
            locale: "en",
        };
        let hours = |h: u64| Duration::from_secs(h * 3600);
        assert_eq!(it.duration(hours(7 * 24)), "7 giorni");
        assert_eq!(it.duration(hours(24)), "1 giorno");
        assert_eq!(it.duration(hours(36)), "36 ore");
        assert_eq!(it.duration(hours(1)), "1 ora");
        assert_eq!(it.duration(Duration::from_secs(90 * 60)), "90 minuti");
        assert_eq!(en.duration(hours(36)), "36 hours");
        assert_eq!(en.duration(hours(24)), "1 day");
        assert_eq!(it.majority(Majority::Simple), "maggioranza semplice");
        assert_eq!(
            it.majority(Majority::TwoThirds),
            "maggioranza qualificata (2/3)"
        );
        let rules = trama_manifest::Governance {
            quorum_percent: 50,
            majority: Majority::Simple,
            voting_window: hours(7 * 24),
        };
        assert_eq!(
            it.rules(&rules),
            "Regole: quorum del 50% dei componenti, maggioranza semplice, votazione aperta per 7 giorni."
        );
    }

    #[test]
    fn a_setting_change_says_from_what_to_what() {
        let catalogues = catalogues();
        let it = Words {
            catalogues: &catalogues,
            locale: "it",
        };
        let proposal = Proposal {
            number: 1,
            title: "vouchers: retention_days".into(),
            kind: "settings".into(),
            changes: vec![Change {
                path: ["plugins", "vouchers", "settings", "retention_days"]
                    .map(String::from)
                    .to_vec(),
                value: json!(3650),
                before: Some(json!(1825)),
            }],
            diff: String::new(),
            status: Status::Open,
            proposed_by: "u".into(),
            created_at: 0,
            closes_at: 0,
            decided_at: None,
            outcome: None,
        };
        // Without the plugin in the folders, its id and the setting's name stand in.
        assert_eq!(
            it.explain(&proposal, &Registry::default()),
            "Cambiare «retention_days» di «vouchers» da 1825 a 3650"
        );
        assert_eq!(it.value(&json!(["a", "b"])), "«a», «b»");
        let allocation = Proposal {
            kind: "allocate".into(),
            changes: vec![Change {
                path: ["budget", "allocation"].map(String::from).to_vec(),
                value: json!({
                    "funder": "comune", "funder_name": "Comune di Borgo Marino",
                    "plugin": "vouchers", "measure": "c1", "measure_title": "Buoni spesa 2026",
                    "cents": 500_000,
                }),
                before: None,
            }],
            ..proposal.clone()
        };
        assert_eq!(
            it.explain(&allocation, &Registry::default()),
            "Assegnare 5.000,00 € del fondo di «Comune di Borgo Marino» alla misura «Buoni spesa 2026» di «vouchers»"
        );
        let en = Words {
            catalogues: &catalogues,
            locale: "en",
        };
        assert_eq!(en.euros(125_050), "€1,250.50");
        assert_eq!(it.value(&json!(true)), "sì");
    }
}
