//! The plugin's settings on an instance (declared in `plugin.toml`, validated by the kernel), with
//! the durations read into [`Duration`]s.

use serde::Deserialize;
use trama_sdk::{Error, Result, settings};

use crate::ballot::{Majority, Rule};
use crate::duration::Duration;

/// The settings exactly as the kernel hands them over.
#[derive(Debug, Clone, Deserialize)]
struct Raw {
    network_name: String,
    ethics_code_version: String,
    ethics_code_text: String,
    categories: Vec<String>,
    declarations: Vec<String>,
    quorum_percent: u32,
    majority: Majority,
    voting_window: String,
    voting_rounds: u32,
    accreditation_validity: String,
    renewal_notice: String,
    reapply_after: String,
    max_services: u32,
}

#[derive(Debug, Clone)]
pub struct Settings {
    /// Shown in page titles and messages.
    pub network_name: String,
    /// The version of the ethics code applicants accept; accepting an older one is refused.
    pub ethics_code_version: String,
    pub ethics_code_text: String,
    /// The categories of services organisations choose from.
    pub categories: Vec<String>,
    /// What an applicant must declare, every one of them.
    pub declarations: Vec<String>,
    /// Quorum and majority of every vote.
    pub rule: Rule,
    /// How long a vote stays open.
    pub voting_window: Duration,
    /// How many windows a vote gets when quorum is missed before the case lapses.
    pub voting_rounds: u32,
    pub accreditation_validity: Duration,
    pub renewal_notice: Duration,
    /// After a rejection or revocation, the wait before a new application.
    pub reapply_after: Duration,
    pub max_services: usize,
}

impl Settings {
    pub fn load() -> Result<Self> {
        let raw: Raw = settings::get()?;
        let duration = |name: &str, text: &str| {
            Duration::parse(text).map_err(|err| {
                Error::internal(format!(
                    "setting `{name}` of the admissions plugin: {err}; fix it in the instance manifest"
                ))
            })
        };
        Ok(Self {
            voting_window: duration("voting_window", &raw.voting_window)?,
            accreditation_validity: duration(
                "accreditation_validity",
                &raw.accreditation_validity,
            )?,
            renewal_notice: duration("renewal_notice", &raw.renewal_notice)?,
            reapply_after: duration("reapply_after", &raw.reapply_after)?,
            network_name: raw.network_name,
            ethics_code_version: raw.ethics_code_version.trim().to_owned(),
            ethics_code_text: raw.ethics_code_text,
            categories: raw
                .categories
                .into_iter()
                .map(|c| c.trim().to_owned())
                .filter(|c| !c.is_empty())
                .collect(),
            declarations: raw
                .declarations
                .into_iter()
                .map(|d| d.trim().to_owned())
                .filter(|d| !d.is_empty())
                .collect(),
            rule: Rule {
                quorum_percent: raw.quorum_percent.clamp(1, 100),
                majority: raw.majority,
            },
            voting_rounds: raw.voting_rounds.max(1),
            max_services: usize::try_from(raw.max_services).unwrap_or(20).max(1),
        })
    }
}
