//! The rank phase of a closing: reading the eligible applications, ranking them and writing the
//! plan in chunks.

use serde::{Deserialize, Serialize};
use trama_sdk::store::{Cmp, Collection, Doc};
use trama_sdk::{Result, log, store};

use std::collections::{HashMap, HashSet};

use crate::application::{Status, application_id};
use crate::campaign::{self, Campaign};
use crate::rank::{self, Candidate, TaxKey, tax_code_of, tax_key};
use crate::rules::Answers;

use super::{CHUNK, ClosePhase, Outcome, PAGE, PLANS, Plan, PlanEntry, plan_id, save, state_mut};

#[derive(Debug, Serialize, Deserialize)]
struct RankRow {
    tax_code: String,
    status: Status,
    #[serde(default)]
    answers: Answers,
    amount_cents: i64,
    submitted_at: i64,
    #[serde(default)]
    priority: Vec<i64>,
    /// Held after a collision, until the office approves it.
    #[serde(default)]
    contested_by: Option<String>,
    /// The document's id (not stored in it).
    #[serde(skip)]
    id: String,
}

const RANK_ROWS: Collection<RankRow> = Collection::new("applications");

/// Calls `each` for every application of `campaign` (optionally with one status), a page of
/// at most 1000 at a time, in id order. Safe because nothing adds or changes applications of a
/// closing campaign while it is read.
fn for_each_row(
    campaign: &str,
    status: Option<Status>,
    mut each: impl FnMut(RankRow),
) -> Result<()> {
    let mut offset = 0;
    loop {
        let mut query = RANK_ROWS
            .query()
            .filter("campaign", Cmp::Eq, campaign)
            .limit(PAGE)
            .offset(offset);
        if let Some(status) = status {
            query = query.filter("status", Cmp::Eq, status.key());
        }
        let page = query.fetch()?;
        let len = page.len();
        for doc in page {
            let mut row = doc.data;
            row.id = doc.id;
            each(row);
        }
        if len < PAGE as usize {
            return Ok(());
        }
        offset += PAGE;
    }
}

/// The rank phase (step 2 of the module documentation of [`super`]): funds the budget if it
/// is not yet, ranks the eligible applications and writes the plan; the phase becomes `issue`.
pub(super) fn rank_phase(doc: &mut Doc<Campaign>) -> Result<()> {
    campaign::fund(doc)?;
    // Funded for good before the long read of every application.
    store::checkpoint()?;
    let c = &doc.data;
    // Beneficiaries of the excluded campaigns: (tax code, which campaign), sorted to search.
    let mut excluded: Vec<(TaxKey, u16)> = Vec::new();
    for (i, other) in c.eligibility.excluded_campaigns.iter().enumerate() {
        let index = u16::try_from(i).unwrap_or(u16::MAX);
        for_each_row(other, Some(Status::Beneficiary), |row| {
            excluded.push((tax_key(&row.tax_code), index));
        })?;
    }
    excluded.sort_unstable();

    let mut candidates: Vec<Candidate> = Vec::new();
    let mut others: Vec<(TaxKey, Outcome, Option<u16>, String)> = Vec::new();
    // The candidates' application ids (opaque since 1.3), by tax key: the office approves an
    // application only once no other of its tax code is eligible, so a tax key names one
    // candidate. Applications from before 1.3, `{campaign}-{tax code}`, need no entry.
    let mut ids: HashMap<TaxKey, String> = HashMap::new();
    let mut seen: HashSet<TaxKey> = HashSet::new();
    for_each_row(&doc.id, None, |row| {
        let tax = tax_key(&row.tax_code);
        let own_id = if row.id == application_id(&doc.id, &row.tax_code) {
            String::new()
        } else {
            row.id.clone()
        };
        // One candidate per tax code, whatever raced past the review: the others wait.
        let held =
            row.contested_by.is_some() || (row.status == Status::Eligible && !seen.insert(tax));
        match row.status {
            Status::Eligible if held => {
                others.push((tax, Outcome::Unresolved, None, own_id));
            }
            Status::Eligible => {
                let found = excluded.partition_point(|(t, _)| *t < tax);
                match excluded.get(found) {
                    Some((t, index)) if *t == tax => {
                        others.push((tax, Outcome::Excluded, Some(*index), own_id));
                    }
                    _ => {
                        if !own_id.is_empty() {
                            ids.insert(tax, own_id);
                        }
                        candidates.push(Candidate {
                            tax,
                            priority: rank::priority_keys(&row.priority),
                            submitted_at: row.submitted_at,
                            isee_cents: row.answers.isee_cents.unwrap_or(i64::MAX),
                            amount_cents: row.amount_cents,
                            household: u8::try_from(row.answers.household_size.unwrap_or(1))
                                .unwrap_or(u8::MAX),
                            minors: u8::try_from(row.answers.minors.unwrap_or(0))
                                .unwrap_or(u8::MAX),
                            income_loss: row.answers.income_loss.unwrap_or(false),
                        });
                    }
                }
            }
            Status::NeedsReview | Status::InfoRequested => {
                others.push((tax, Outcome::Unresolved, None, own_id));
            }
            _ => {}
        }
    })?;
    drop(excluded);

    rank::rank(&mut candidates, &c.ranking);
    let assignment = rank::assign(&candidates, c.budget_cents);

    let mut writer = PlanWriter::new(&doc.id);
    for (i, candidate) in candidates.iter().enumerate() {
        writer.push(PlanEntry {
            tax_code: tax_code_of(&candidate.tax),
            outcome: if i < assignment.funded {
                Outcome::Funded
            } else {
                Outcome::NotFunded
            },
            rank: u32::try_from(i + 1).unwrap_or(u32::MAX),
            amount_cents: candidate.amount_cents,
            excluded_by: None,
            application: ids.get(&candidate.tax).cloned().unwrap_or_default(),
        })?;
    }
    for (tax, outcome, index, own_id) in &others {
        writer.push(PlanEntry {
            tax_code: tax_code_of(tax),
            outcome: *outcome,
            rank: 0,
            amount_cents: 0,
            excluded_by: index
                .and_then(|i| c.eligibility.excluded_campaigns.get(usize::from(i)))
                .cloned(),
            application: own_id.clone(),
        })?;
    }
    let chunks = writer.finish()?;

    let ranked = u32::try_from(candidates.len()).unwrap_or(u32::MAX);
    let funded = u32::try_from(assignment.funded).unwrap_or(u32::MAX);
    let excluded_count = u32::try_from(others.len()).unwrap_or(u32::MAX);
    let state = state_mut(doc)?;
    state.phase = ClosePhase::Issue;
    state.chunks = chunks;
    state.next_chunk = 0;
    state.next_entry = 0;
    state.ranked = ranked;
    state.funded = funded;
    state.not_funded = ranked - funded;
    state.excluded = excluded_count;
    state.committed_cents = assignment.committed_cents;
    state.issued_cents = 0;
    state.vouchers_issued = 0;
    save(doc)?;
    log::info(format!(
        "campaign {}: ranked {ranked}, funded {funded}, committed {} cents, {chunks} plan chunks",
        doc.id, assignment.committed_cents
    ));
    Ok(())
}

/// Writes plan entries in chunks as they come, so the whole plan is never in memory as JSON.
struct PlanWriter<'a> {
    campaign: &'a str,
    chunk: u32,
    entries: Vec<PlanEntry>,
}

impl<'a> PlanWriter<'a> {
    fn new(campaign: &'a str) -> Self {
        Self {
            campaign,
            chunk: 0,
            entries: Vec::with_capacity(CHUNK),
        }
    }

    fn push(&mut self, entry: PlanEntry) -> Result<()> {
        self.entries.push(entry);
        if self.entries.len() == CHUNK {
            self.flush()?;
        }
        Ok(())
    }

    fn flush(&mut self) -> Result<()> {
        let entries = std::mem::replace(&mut self.entries, Vec::with_capacity(CHUNK));
        PLANS.put(&plan_id(self.campaign, self.chunk), &Plan { entries })?;
        self.chunk += 1;
        Ok(())
    }

    /// Writes the last chunk; returns how many there are.
    fn finish(mut self) -> Result<u32> {
        if !self.entries.is_empty() {
            self.flush()?;
        }
        Ok(self.chunk)
    }
}
