//! The ranking of eligible applications and the assignment of the budget, as pure functions
//! over compact tuples.
//!
//! A campaign of 100,000 applications is ranked inside one plugin call, whose memory is capped
//! (64 MiB by default): each application is held as a 72-byte [`Candidate`] (about 7 MB for
//! 100,000) instead of its JSON document, and the sort is in place.
//!
//! **Ranking.** A campaign written as a rulebook ranks by its priority keys first, highest
//! first, in the order the rulebook lists them. The campaign's criteria apply in the order the
//! operator listed them; the
//! submission time (earliest first) always breaks the remaining ties, and the application id
//! (the tax code, within one campaign) breaks ties of the same millisecond, so the ranking is a
//! total order: the same applications always rank the same way.
//!
//! **Assignment.** Applications are funded in ranking order while the remaining budget covers
//! the *full* amount; the first application that does not fit, and every one after it, is not
//! funded, even if a later and smaller amount would still fit. This way a lower-ranked
//! household is never served before a higher-ranked one, which is what a published ranking
//! promises; the remainder stays in the campaign's budget account, where the municipality can
//! see it and use it to fund the next in line later ("scorrimento della graduatoria").

use std::cmp::Ordering;

use crate::rules::Field;

trama_sdk::choices! {
    /// A criterion of the ranking, before the submission time.
    pub enum Criterion {
        /// Lowest ISEE first.
        IseeAsc = "isee_asc" => "vouchers.criterion.isee_asc",
        /// Most minors first.
        MinorsDesc = "minors_desc" => "vouchers.criterion.minors_desc",
        /// Largest household first.
        HouseholdDesc = "household_desc" => "vouchers.criterion.household_desc",
        /// Households that lost income first.
        IncomeLossFirst = "income_loss_first" => "vouchers.criterion.income_loss_first",
    }
}

impl Criterion {
    /// The application field the criterion reads, which the campaign must ask.
    pub fn field(self) -> Field {
        match self {
            Criterion::IseeAsc => Field::Isee,
            Criterion::MinorsDesc => Field::Minors,
            Criterion::HouseholdDesc => Field::HouseholdSize,
            Criterion::IncomeLossFirst => Field::IncomeLoss,
        }
    }
}

/// A tax code as 16 bytes, padded with spaces (11-digit codes): `Copy`, no allocation, and
/// ordered like the application ids it stands for.
pub type TaxKey = [u8; 16];

/// The bytes of a tax code, padded with spaces.
pub fn tax_key(tax_code: &str) -> TaxKey {
    let mut key = [b' '; 16];
    for (slot, byte) in key.iter_mut().zip(tax_code.bytes()) {
        *slot = byte;
    }
    key
}

/// The tax code a key stands for.
pub fn tax_code_of(key: &TaxKey) -> String {
    String::from_utf8_lossy(key).trim_end().to_owned()
}

/// One eligible application, as much of it as ranking and assignment need.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Candidate {
    pub tax: TaxKey,
    /// A rulebook's priority keys, highest first; zeros for the built-in rules.
    pub priority: [i64; crate::rulebook::outcome::MAX_PRIORITY],
    /// Unix milliseconds.
    pub submitted_at: i64,
    /// `i64::MAX` when the campaign does not ask for it.
    pub isee_cents: i64,
    /// The support due, before the budget is considered.
    pub amount_cents: i64,
    pub household: u8,
    pub minors: u8,
    pub income_loss: bool,
}

/// A rulebook's priority keys as a candidate holds them: missing keys are 0.
pub fn priority_keys(keys: &[i64]) -> [i64; crate::rulebook::outcome::MAX_PRIORITY] {
    let mut held = [0; crate::rulebook::outcome::MAX_PRIORITY];
    for (slot, key) in held.iter_mut().zip(keys) {
        *slot = *key;
    }
    held
}

fn compare(a: &Candidate, b: &Candidate, criteria: &[Criterion]) -> Ordering {
    // Highest first: `b` before `a`.
    let by_priority = b.priority.cmp(&a.priority);
    if by_priority != Ordering::Equal {
        return by_priority;
    }
    for criterion in criteria {
        let order = match criterion {
            Criterion::IseeAsc => a.isee_cents.cmp(&b.isee_cents),
            Criterion::MinorsDesc => b.minors.cmp(&a.minors),
            Criterion::HouseholdDesc => b.household.cmp(&a.household),
            // `true` first.
            Criterion::IncomeLossFirst => b.income_loss.cmp(&a.income_loss),
        };
        if order != Ordering::Equal {
            return order;
        }
    }
    a.submitted_at
        .cmp(&b.submitted_at)
        .then_with(|| a.tax.cmp(&b.tax))
}

/// Sorts `candidates` into the ranking, best first.
pub fn rank(candidates: &mut [Candidate], criteria: &[Criterion]) {
    // Unstable is enough: the order is total (no two candidates share a tax code).
    candidates.sort_unstable_by(|a, b| compare(a, b, criteria));
}

/// How a ranking is funded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Assignment {
    /// The first `funded` candidates of the ranking are funded; the rest are not.
    pub funded: usize,
    /// What the funded candidates receive in total, in cents.
    pub committed_cents: i64,
}

/// Funds the ranking in order while the remaining budget covers each full amount; stops at the
/// first that does not fit (see the module documentation).
pub fn assign(ranked: &[Candidate], budget_cents: i64) -> Assignment {
    let mut remaining = budget_cents;
    let mut funded = 0;
    for candidate in ranked {
        if candidate.amount_cents > remaining {
            break;
        }
        remaining -= candidate.amount_cents;
        funded += 1;
    }
    Assignment {
        funded,
        committed_cents: budget_cents - remaining,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn candidate(tax: &str, submitted_at: i64) -> Candidate {
        Candidate {
            tax: tax_key(tax),
            priority: [0; 3],
            submitted_at,
            isee_cents: 1_000_000,
            amount_cents: 10_000,
            household: 2,
            minors: 0,
            income_loss: false,
        }
    }

    fn order(candidates: &[Candidate]) -> Vec<String> {
        candidates.iter().map(|c| tax_code_of(&c.tax)).collect()
    }

    #[test]
    fn without_criteria_the_earliest_submission_comes_first_then_the_id() {
        let mut list = vec![candidate("C", 30), candidate("B", 10), candidate("A", 10)];
        rank(&mut list, &[]);
        assert_eq!(order(&list), vec!["A", "B", "C"]);
    }

    #[test]
    fn each_criterion_orders_as_named() {
        let mut a = candidate("A", 1);
        let mut b = candidate("B", 2);
        let mut c = candidate("C", 3);
        a.isee_cents = 900_000;
        b.isee_cents = 500_000;
        c.isee_cents = 700_000;
        let mut list = vec![a, b, c];
        rank(&mut list, &[Criterion::IseeAsc]);
        assert_eq!(order(&list), vec!["B", "C", "A"]);

        a.minors = 1;
        b.minors = 0;
        c.minors = 3;
        let mut list = vec![a, b, c];
        rank(&mut list, &[Criterion::MinorsDesc]);
        assert_eq!(order(&list), vec!["C", "A", "B"]);

        a.household = 5;
        b.household = 6;
        c.household = 1;
        let mut list = vec![a, b, c];
        rank(&mut list, &[Criterion::HouseholdDesc]);
        assert_eq!(order(&list), vec!["B", "A", "C"]);

        c.income_loss = true;
        let mut list = vec![a, b, c];
        rank(&mut list, &[Criterion::IncomeLossFirst]);
        assert_eq!(order(&list), vec!["C", "A", "B"], "then submission time");
    }

    #[test]
    fn criteria_apply_in_the_order_listed() {
        let mut a = candidate("A", 1);
        let mut b = candidate("B", 2);
        a.isee_cents = 100;
        a.minors = 0;
        b.isee_cents = 200;
        b.minors = 2;
        let mut list = vec![a, b];
        rank(&mut list, &[Criterion::IseeAsc, Criterion::MinorsDesc]);
        assert_eq!(order(&list), vec!["A", "B"]);
        rank(&mut list, &[Criterion::MinorsDesc, Criterion::IseeAsc]);
        assert_eq!(order(&list), vec!["B", "A"]);
        // A tie on the first criterion falls to the second.
        b.isee_cents = 100;
        let mut list = vec![a, b];
        rank(&mut list, &[Criterion::IseeAsc, Criterion::MinorsDesc]);
        assert_eq!(order(&list), vec!["B", "A"]);
    }

    #[test]
    fn priority_keys_come_before_the_criteria_highest_first() {
        let mut a = candidate("A", 1);
        let mut b = candidate("B", 2);
        let mut c = candidate("C", 3);
        a.priority = priority_keys(&[0, 5]);
        b.priority = priority_keys(&[1]);
        c.priority = priority_keys(&[0, 7]);
        a.isee_cents = 1;
        let mut list = vec![a, b, c];
        rank(&mut list, &[Criterion::IseeAsc]);
        assert_eq!(order(&list), vec!["B", "C", "A"]);
    }

    #[test]
    fn the_budget_funds_a_prefix_of_the_ranking() {
        let amounts = [30_000, 25_000, 40_000, 5_000];
        let list: Vec<Candidate> = amounts
            .iter()
            .enumerate()
            .map(|(i, amount)| Candidate {
                amount_cents: *amount,
                ..candidate(&i.to_string(), i as i64)
            })
            .collect();
        // 30 000 + 25 000 = 55 000 fit in 60 000; 40 000 does not, and the 5 000 after it is
        // not funded either.
        assert_eq!(
            assign(&list, 60_000),
            Assignment {
                funded: 2,
                committed_cents: 55_000
            }
        );
        assert_eq!(
            assign(&list, 100_000),
            Assignment {
                funded: 4,
                committed_cents: 100_000
            },
            "a budget spent to the cent"
        );
        assert_eq!(assign(&list, 29_999).funded, 0);
        assert_eq!(assign(&[], 1_000).committed_cents, 0);
    }

    #[test]
    fn tax_keys_round_trip_and_sort_like_ids() {
        assert_eq!(
            tax_code_of(&tax_key("RSSMRA85T10A562S")),
            "RSSMRA85T10A562S"
        );
        assert_eq!(tax_code_of(&tax_key("02760100962")), "02760100962");
        assert!(tax_key("02760100962") < tax_key("02760100962A"));
        assert_eq!(std::mem::size_of::<Candidate>(), 72);
    }
}
