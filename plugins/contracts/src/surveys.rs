//! `surveys`: satisfaction questionnaires tell other plugins (and the territory's indicators)
//! what was answered — anonymously: no account, no invitation, only the month.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use trama_sdk::events::Payload;

/// Someone answered the questionnaire sent after a service.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct SurveyAnswered {
    /// The service surveyed, as the surveys plugin names it (e.g. `tutoring`).
    pub service: String,
    /// The month of the service, `YYYY-MM` in Rome.
    pub month: String,
    /// Overall satisfaction, 1 (not at all) to 5 (very).
    pub score: u8,
    /// Whether the service met the need: `yes`, `partly`, `no`.
    pub need_met: String,
    /// Whether they would recommend it.
    pub recommend: bool,
}

impl Payload for SurveyAnswered {
    const NAME: &'static str = "surveys.answered";
}
