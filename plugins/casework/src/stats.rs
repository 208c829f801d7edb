//! Statistics for the social services: cases by need and by outcome, and how long people wait
//! for a first contact and for their case to close (medians). A count between 1 and 4
//! is shown as "< 5" (small-cell suppression), so that a table published or shown at a meeting
//! cannot point at one family in a small municipality. No totals are shown beside suppressed
//! cells, since a total minus the other cells would give them back.

use serde::Serialize;

use crate::case::{Case, Outcome};

/// The suppression every plugin applies to counts of people (see `trama_sdk::stats`).
pub use trama_sdk::stats::{SMALLEST, cell};

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Row {
    pub label: String,
    pub count: String,
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Tables {
    pub by_need: Vec<Row>,
    pub by_outcome: Vec<Row>,
    pub open: String,
    pub closed: String,
    /// Median days from opening to the first note (the first contact recorded).
    pub first_contact: Timing,
    /// Median days from opening to closure, over closed cases.
    pub closure: Timing,
}

/// A median time in days over some cases, shown only when at least [`SMALLEST`] cases are
/// measured: a median of two cases would tell how long one family waited.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Timing {
    /// How many cases were measured, as published (`"< 5"` below five).
    pub cases: String,
    /// The median in days with one decimal (`"3,5"`, `"3.5"` in English); none below five cases.
    pub median_days: Option<String>,
}

const DAY_MS: i64 = 86_400_000;

/// The median of `spans` (milliseconds), in days as Italian figures write them.
pub fn timing(mut spans: Vec<i64>) -> Timing {
    let n = spans.len();
    let median_days = trama_sdk::stats::enough(n as u64).then(|| {
        spans.sort_unstable();
        let middle = if n % 2 == 1 {
            spans[n / 2]
        } else {
            (spans[n / 2 - 1] + spans[n / 2]) / 2
        };
        // Tenths of a day, rounded half up, with the reader's decimal mark.
        let tenths = (middle.max(0) * 10 + DAY_MS / 2) / DAY_MS;
        trama_sdk::stats::one_decimal(tenths)
    });
    Timing {
        cases: cell(n as u64),
        median_days,
    }
}

/// The tables over `cases`, needs in the taxonomy's order (a need no longer in the taxonomy
/// still counts, after them); `first_notes` gives, by case, when its first note was written.
pub fn tables<'a>(
    cases: impl Iterator<Item = (&'a str, &'a Case)>,
    taxonomy: &[String],
    first_notes: &std::collections::HashMap<String, i64>,
) -> Tables {
    let mut needs: Vec<(String, u64)> = taxonomy.iter().map(|n| (n.clone(), 0)).collect();
    let mut outcomes = [0u64; Outcome::ALL.len()];
    let (mut open, mut closed) = (0, 0);
    let (mut to_contact, mut to_closure) = (Vec::new(), Vec::new());
    for (id, case) in cases {
        if let Some(at) = first_notes.get(id) {
            to_contact.push(at - case.opened_at);
        }
        if let Some(at) = case.closed_at {
            to_closure.push(at - case.opened_at);
        }
        for need in &case.needs {
            match needs.iter_mut().find(|(n, _)| n == need) {
                Some((_, count)) => *count += 1,
                None => needs.push((need.clone(), 1)),
            }
        }
        match case.outcome {
            Some(outcome) => {
                closed += 1;
                if let Some(i) = Outcome::ALL.iter().position(|o| *o == outcome) {
                    outcomes[i] += 1;
                }
            }
            None => open += 1,
        }
    }
    Tables {
        by_need: needs
            .into_iter()
            .map(|(label, count)| Row {
                label,
                count: cell(count),
            })
            .collect(),
        by_outcome: Outcome::ALL
            .iter()
            .zip(outcomes)
            .map(|(outcome, count)| Row {
                label: outcome.label(),
                count: cell(count),
            })
            .collect(),
        open: cell(open),
        closed: cell(closed),
        first_contact: timing(to_contact),
        closure: timing(to_closure),
    }
}

#[cfg(test)]
mod tests {
    use super::{cell, timing};

    const DAY: i64 = 86_400_000;

    #[test]
    fn a_median_time_is_shown_from_five_cases_in_days_with_a_comma() {
        let few = timing(vec![DAY; 4]);
        assert_eq!((few.cases.as_str(), few.median_days), ("< 5", None));
        let odd = timing(vec![9 * DAY, DAY, 3 * DAY, 2 * DAY, 30 * DAY]);
        assert_eq!(odd.median_days.as_deref(), Some("3,0"));
        let even = timing(vec![DAY, 2 * DAY, 3 * DAY, 4 * DAY, 5 * DAY, 6 * DAY]);
        assert_eq!(
            (even.cases.as_str(), even.median_days.as_deref()),
            ("6", Some("3,5"))
        );
    }

    #[test]
    fn counts_from_one_to_four_are_suppressed() {
        assert_eq!(cell(0), "0");
        assert_eq!(cell(1), "< 5");
        assert_eq!(cell(4), "< 5");
        assert_eq!(cell(5), "5");
        assert_eq!(cell(120), "120");
    }
}
