//! Statistics for the social services: cases by need and by outcome. A count between 1 and 4
//! is shown as "< 5" (small-cell suppression), so that a table published or shown at a meeting
//! cannot point at one family in a small municipality. No totals are shown beside suppressed
//! cells, since a total minus the other cells would give them back.

use serde::Serialize;

use crate::case::{Case, Outcome};

/// The smallest count shown as it is.
pub const SMALLEST: u64 = 5;

/// A count as published: `"0"`, `"< 5"` or the number.
pub fn cell(count: u64) -> String {
    if count > 0 && count < SMALLEST {
        format!("< {SMALLEST}")
    } else {
        count.to_string()
    }
}

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
}

/// The tables over `cases`, needs in the taxonomy's order (a need no longer in the taxonomy
/// still counts, after them).
pub fn tables<'a>(cases: impl Iterator<Item = &'a Case>, taxonomy: &[String]) -> Tables {
    let mut needs: Vec<(String, u64)> = taxonomy.iter().map(|n| (n.clone(), 0)).collect();
    let mut outcomes = [0u64; Outcome::ALL.len()];
    let (mut open, mut closed) = (0, 0);
    for case in cases {
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
    }
}

#[cfg(test)]
mod tests {
    use super::cell;

    #[test]
    fn counts_from_one_to_four_are_suppressed() {
        assert_eq!(cell(0), "0");
        assert_eq!(cell(1), "< 5");
        assert_eq!(cell(4), "< 5");
        assert_eq!(cell(5), "5");
        assert_eq!(cell(120), "120");
    }
}
