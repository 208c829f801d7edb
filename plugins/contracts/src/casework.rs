//! `casework`: the social case file tells the territory's indicators how the situation of the
//! households it follows changed — before/after outcomes, with no personal data: no name, no
//! tax code, no person key, no case id; only the care team and the two assessments.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use trama_sdk::events::Payload;

/// A care manager reviewed a case's personal plan and assessed the household's situation on
/// the instance's scale (setting `situation_scale`, 1 the gravest, `levels` the most
/// autonomous). Published only when the case has an earlier assessment to compare with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct CaseReviewed {
    /// The care team that follows the case (for indicators grouped by team).
    pub team: String,
    /// The situation at intake: the case's first assessment, 1 to `levels`.
    pub before: u8,
    /// The situation at this review, 1 to `levels`.
    pub after: u8,
    /// How many levels the scale had at this review.
    pub levels: u8,
    /// How the plan stands: `on_track`, `adjusted`, `stalled`.
    pub plan: String,
    /// Whole months from the opening of the case to this review.
    pub months_open: u32,
}

impl Payload for CaseReviewed {
    const NAME: &'static str = "casework.case_reviewed";
}
