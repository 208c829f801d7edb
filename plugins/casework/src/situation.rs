//! The household's situation, assessed on the instance's scale: a before/after outcome.
//!
//! The setting `situation_scale` lists the levels of the "condizione del nucleo", from the
//! gravest (1) to the most autonomous, with the words the social workers of the territory use
//! (2 to 10 of them, a [`Scale`] of the SDK; an empty list turns assessments off). The care manager
//! assesses the situation at intake (optional: a first meeting may be too early, and a case
//! taken from an online request has none) and at each review of the plan (required while the
//! scale is on).
//!
//! The case's **baseline** is its first assessment — at intake, or failing that at its first
//! assessed review — kept in `situations` (id: the case id). Every later assessed review is
//! compared with it: the review keeps both levels ([`crate::review::Review::before`] and
//! `situation`) and casework publishes `casework.case_reviewed` with `before` and `after`, the
//! care team and nothing that names the person, so that the territory's `improved` indicator
//! counts the reviews that found the household better off than at intake. The plugin's own
//! figures ([`monthly`]) are computed from the same reviews, month by month in Rome, so the two
//! agree exactly.
//!
//! A scale changed to another number of levels makes old and new levels incomparable: a case
//! whose baseline was taken on a scale of another length starts a new baseline at its next
//! assessed review, which publishes nothing.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use trama_contracts::casework::CaseReviewed;
use trama_sdk::input::{Input, Problems};
use trama_sdk::scale::Refusal;
pub use trama_sdk::scale::Scale;
use trama_sdk::store::{Collection, Doc};
use trama_sdk::{Result, events, local};

use crate::case::Case;
use crate::review::{PlanState, Review};

/// A case's first assessment (id: the case id).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Baseline {
    /// 1 (gravest) to `levels`.
    pub level: u8,
    /// How many levels the scale had then.
    pub levels: u8,
    pub at: i64,
}

pub const BASELINES: Collection<Baseline> = Collection::new("situations");

/// The level typed in `field` on `scale` (see [`Scale::read`]), a refusal pushed beside it in
/// the person's words.
pub fn read(
    scale: &Scale,
    input: &Input,
    field: &str,
    required: bool,
    problems: &mut Problems,
) -> Option<u8> {
    match scale.read(input, field, required) {
        Ok(level) => level,
        Err(refusal) => {
            let key = match refusal {
                Refusal::Missing => "casework.situation.problems.required",
                Refusal::OutOfRange => "casework.situation.problems.range",
            };
            let levels = scale.levels();
            problems.push(field, trama_sdk::i18n::text(key, &[("levels", &levels)]));
            None
        }
    }
}

/// The baseline of `case`, if it was assessed.
pub fn baseline_of(case: &str) -> Result<Option<Baseline>> {
    Ok(BASELINES.get(case)?.map(|doc| doc.data))
}

/// Records `level` as the situation of `case` at intake.
pub fn at_intake(case: &str, level: u8, scale: &Scale, now_ms: i64) -> Result<()> {
    BASELINES.put(
        case,
        &Baseline {
            level,
            levels: scale.levels(),
            at: now_ms,
        },
    )?;
    Ok(())
}

/// The baseline a review assessed at `level` is compared with: `None` when the case has none
/// on this scale, and then this assessment becomes it.
pub fn before_review(case: &str, level: u8, scale: &Scale, now_ms: i64) -> Result<Option<u8>> {
    match baseline_of(case)? {
        Some(baseline) if baseline.levels == scale.levels() => Ok(Some(baseline.level)),
        _ => {
            at_intake(case, level, scale, now_ms)?;
            Ok(None)
        }
    }
}

/// Whole calendar months in Rome from `from_ms` to `to_ms`.
pub fn months_between(from_ms: i64, to_ms: i64) -> u32 {
    let (from, to) = (local::today(from_ms), local::today(to_ms));
    let months = (i64::from(to.year) * 12 + i64::from(to.month))
        - (i64::from(from.year) * 12 + i64::from(from.month))
        - i64::from(to.day < from.day);
    u32::try_from(months.max(0)).unwrap_or(u32::MAX)
}

/// Publishes the outcome of a review of `case` that found the household at `after`, against
/// its baseline `before`.
pub fn publish(
    case: &Case,
    before: u8,
    after: u8,
    scale: &Scale,
    plan: PlanState,
    now_ms: i64,
) -> Result<()> {
    events::publish_typed(&CaseReviewed {
        team: case.team.clone(),
        before,
        after,
        levels: scale.levels(),
        plan: plan.key().to_owned(),
        months_open: months_between(case.opened_at, now_ms),
    })
}

/// One month of outcomes: the reviews compared with their baseline, and how they came out.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Month {
    /// `YYYY-MM` in Rome.
    pub month: String,
    pub compared: u64,
    pub improved: u64,
    pub unchanged: u64,
    pub worse: u64,
}

/// The outcomes of `reviews` by month, oldest first: exactly the events casework published,
/// counted as the kernel's `improved` aggregate counts them.
pub fn monthly<'a>(reviews: impl Iterator<Item = &'a Review>) -> Vec<Month> {
    let mut months: BTreeMap<String, Month> = BTreeMap::new();
    for review in reviews {
        let (Some(before), Some(after)) = (review.before, review.situation) else {
            continue;
        };
        let day = local::today(review.at);
        let key = format!("{:04}-{:02}", day.year, day.month);
        let month = months.entry(key.clone()).or_insert_with(|| Month {
            month: key,
            ..Month::default()
        });
        month.compared += 1;
        match after.cmp(&before) {
            std::cmp::Ordering::Greater => month.improved += 1,
            std::cmp::Ordering::Equal => month.unchanged += 1,
            std::cmp::Ordering::Less => month.worse += 1,
        }
    }
    months.into_values().collect()
}

/// The reviews of every case, for [`monthly`].
pub fn all_reviews() -> Result<Vec<Doc<Review>>> {
    crate::review::REVIEWS.query().order_by("at").fetch_all()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn months_open_count_whole_calendar_months_in_rome() {
        let day = 86_400_000;
        // 1 December 2026 at 10:00 in Rome.
        let opened = 1_796_115_600_000;
        assert_eq!(months_between(opened, opened + 30 * day), 0);
        assert_eq!(months_between(opened, opened + 31 * day), 1);
        // 28 February 2027, then 1 March.
        assert_eq!(months_between(opened, opened + 89 * day), 2);
        assert_eq!(months_between(opened, opened + 90 * day), 3);
        assert_eq!(months_between(opened + day, opened), 0);
    }

    #[test]
    fn months_count_only_reviews_compared_with_a_baseline() {
        let review = |at: i64, before: Option<u8>, situation: Option<u8>| Review {
            case: "c".into(),
            at,
            author: "a".into(),
            author_name: "A".into(),
            note: "n".into(),
            plan: PlanState::OnTrack,
            next: "2027-01-01".into(),
            situation,
            before,
        };
        // 15 November and 15 December 2026 in Rome.
        let november = 1_794_740_400_000;
        let december = november + 30 * 86_400_000;
        let reviews = [
            review(november, Some(2), Some(3)),
            review(november, Some(2), Some(2)),
            review(november, None, Some(4)),
            review(december, Some(3), Some(1)),
            review(december, Some(1), None),
        ];
        let months = monthly(reviews.iter());
        assert_eq!(
            months,
            [
                Month {
                    month: "2026-11".into(),
                    compared: 2,
                    improved: 1,
                    unchanged: 1,
                    worse: 0
                },
                Month {
                    month: "2026-12".into(),
                    compared: 1,
                    improved: 0,
                    unchanged: 0,
                    worse: 1
                },
            ]
        );
    }
}
