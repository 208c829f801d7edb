//! How many applications of a campaign are in each status, kept exact and cheap to read.
//!
//! Counting with store queries reads every application of the campaign (the kernel's count
//! scans the collection), which takes seconds at 100,000 applications — too slow for a page.
//! So every change of status writes its count too, **in the same atomic batch** as the
//! application itself: the counts can never disagree with the documents.
//!
//! Each shard is read with `lock` (host API 1.3): it is held against other writers until the
//! call ends, so submissions that count in the same shard wait their turn instead of
//! conflicting and retrying — which, with sixteen or more people submitting at once, used to
//! cost most of the throughput. The counts are still spread over [`SHARDS`] documents
//! (`tallies/{campaign}-{shard}`), the shard chosen by the tax code, so that on PostgreSQL
//! submissions in different shards do not wait for each other; a reader adds them up.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use trama_sdk::Result;
use trama_sdk::store::{Batch, Cmp, Collection};

use crate::application::Status;

pub const TALLIES: Collection<Tally> = Collection::new("tallies");

/// Counter documents per campaign.
pub const SHARDS: u64 = 16;

/// The counts of one shard of one campaign, by status key. `campaign` is indexed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tally {
    pub campaign: String,
    pub counts: BTreeMap<String, i64>,
}

/// The shard of a tax code (FNV-1a, so it is stable across versions and machines).
pub fn shard(tax_code: &str) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in tax_code.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h % SHARDS
}

fn shard_id(campaign: &str, shard: u64) -> String {
    format!("{campaign}-{shard:02}")
}

/// A change of status of one application: `from` is `None` for a new one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Move<'a> {
    pub tax_code: &'a str,
    pub from: Option<Status>,
    pub to: Status,
}

/// Applies `moves` to the counts of `tally`, pure.
pub fn apply(tally: &mut Tally, moves: &[Move<'_>]) {
    for m in moves {
        if m.from != Some(m.to) {
            change(tally, m.from, Some(m.to));
        }
    }
}

/// One application leaves `from` (if it was counted) and enters `to` (unless it is deleted).
fn change(tally: &mut Tally, from: Option<Status>, to: Option<Status>) {
    if let Some(from) = from {
        *tally.counts.entry(from.key().to_owned()).or_insert(0) -= 1;
    }
    if let Some(to) = to {
        *tally.counts.entry(to.key().to_owned()).or_insert(0) += 1;
    }
}

/// Adds to `batch` the writes that record `moves` of applications of `campaign`, each shard
/// locked until the call ends (in shard order, so two calls never wait for each other in a
/// circle) and expected at the version read.
pub fn push(batch: &mut Batch, campaign: &str, moves: &[Move<'_>]) -> Result<()> {
    let changes = moves
        .iter()
        .filter(|m| m.from != Some(m.to))
        .map(|m| (shard(m.tax_code), m.from, Some(m.to)));
    push_changes(batch, campaign, changes)
}

/// Adds to `batch` the writes that take deleted applications of `campaign` (their tax code and
/// last status) out of the counts, as [`push`] does for moves: an erasure (see
/// [`crate::personal`]) deletes an application and its count in one batch.
pub fn push_removals(batch: &mut Batch, campaign: &str, removed: &[(&str, Status)]) -> Result<()> {
    let changes = removed
        .iter()
        .map(|(tax_code, status)| (shard(tax_code), Some(*status), None));
    push_changes(batch, campaign, changes)
}

/// A change of one application's status: from one (or none), to one (or none, deleted).
type Shift = (Option<Status>, Option<Status>);
/// A change of the counts in one shard.
type Change = (u64, Option<Status>, Option<Status>);

fn push_changes(
    batch: &mut Batch,
    campaign: &str,
    changes: impl Iterator<Item = Change>,
) -> Result<()> {
    let mut by_shard: BTreeMap<u64, Vec<Shift>> = BTreeMap::new();
    for (shard, from, to) in changes {
        by_shard.entry(shard).or_default().push((from, to));
    }
    for (shard, changes) in by_shard {
        let id = shard_id(campaign, shard);
        let (mut tally, version) = match TALLIES.lock(&id)? {
            Some(doc) => (doc.data, Some(doc.version)),
            None => (
                Tally {
                    campaign: campaign.to_owned(),
                    counts: BTreeMap::new(),
                },
                None,
            ),
        };
        for (from, to) in changes {
            change(&mut tally, from, to);
        }
        match version {
            Some(version) => batch.put_if_version(&TALLIES, &id, &tally, version),
            None => batch.create(&TALLIES, &id, &tally),
        };
    }
    Ok(())
}

/// How many applications of `campaign` are in each status.
pub fn counts(campaign: &str) -> Result<BTreeMap<Status, u64>> {
    let mut totals: BTreeMap<Status, u64> = Status::ALL.iter().map(|s| (*s, 0)).collect();
    let shards = TALLIES
        .query()
        .filter("campaign", Cmp::Eq, campaign)
        .limit(u32::try_from(SHARDS).unwrap_or(u32::MAX))
        .fetch()?;
    for doc in shards {
        for (key, count) in doc.data.counts {
            if let Some(status) = Status::parse(&key) {
                let total = totals.entry(status).or_insert(0);
                *total = total.saturating_add_signed(count);
            }
        }
    }
    Ok(totals)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn moves_shift_counts_between_statuses() {
        let mut tally = Tally::default();
        apply(
            &mut tally,
            &[
                Move {
                    tax_code: "A",
                    from: None,
                    to: Status::NeedsReview,
                },
                Move {
                    tax_code: "B",
                    from: None,
                    to: Status::Eligible,
                },
                Move {
                    tax_code: "A",
                    from: Some(Status::NeedsReview),
                    to: Status::Eligible,
                },
                Move {
                    tax_code: "C",
                    from: Some(Status::Eligible),
                    to: Status::Eligible,
                },
            ],
        );
        assert_eq!(tally.counts.get("needs_review"), Some(&0));
        assert_eq!(tally.counts.get("eligible"), Some(&2));
    }

    #[test]
    fn a_removal_takes_one_application_out_of_its_status() {
        let mut tally = Tally::default();
        apply(
            &mut tally,
            &[Move {
                tax_code: "A",
                from: None,
                to: Status::Rejected,
            }],
        );
        change(&mut tally, Some(Status::Rejected), None);
        assert_eq!(tally.counts.get("rejected"), Some(&0));
        assert_eq!(tally.counts.values().sum::<i64>(), 0);
    }

    #[test]
    fn shards_spread_tax_codes_and_stay_put() {
        let mut seen = [0u32; SHARDS as usize];
        for i in 0..1600 {
            seen[shard(&format!("TAX{i:013}")) as usize] += 1;
        }
        assert!(seen.iter().all(|n| (50..=150).contains(n)), "{seen:?}");
        assert_eq!(shard("RSSMRA85T10A562S"), shard("RSSMRA85T10A562S"));
    }
}
