//! Measures the coordination table may fund: the two routes of a `plugin.toml` `[budget]`.
//!
//! ```toml
//! [budget]
//! measures = "/_kernel/budget/measures"     # GET: [`Measure`]s, as JSON
//! allocate = "/_kernel/budget/allocations"  # POST: an [`Allocation`]
//! ```
//!
//! Only the kernel calls them (a path under `/_kernel/` is a 404 from outside). When the table
//! approves an allocation proposal, the kernel moves the money from the funder's fund to the
//! measure in its ledger, then tells the plugin with an [`Allocation`]; it may tell it again
//! with the same `key` (another node, a retry), and the plugin must take it once. A `4xx`
//! answer (an unknown or withdrawn measure) makes the kernel give the money back to the fund;
//! a `5xx` makes it try again later.
//!
//! A plugin whose measures keep money in the ledger (vouchers' campaign budgets) adds the
//! allocation there under the key. One that only needs to know how much the table gave each
//! measure keeps the allocations in a [`Book`]: one document per key, in a collection it
//! declares, created "must not exist", so a repeated allocation is found and not added twice.

use serde::{Deserialize, Serialize};

use crate::http::{Request, Response};
use crate::store::{Cmp, Collection};
use crate::{Error, Result};

/// One measure as the `measures` route lists it; amounts in cents.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Measure {
    /// Letters, digits, `-` and `_`, up to 64: the kernel ignores any other.
    pub id: String,
    pub title: String,
    /// Everything the measure received: its own budget and what the table allocated.
    pub budget_cents: i64,
    /// Promised to beneficiaries (vouchers issued, hours booked).
    pub committed_cents: i64,
    /// Actually paid out or delivered (vouchers redeemed, lessons held).
    pub spent_cents: i64,
    /// Still to commit.
    pub remaining_cents: i64,
}

impl Measure {
    /// A measure with `budget_cents`, of which `committed_cents` are promised and `spent_cents`
    /// delivered; what remains is the budget less the commitments (below zero when the measure
    /// promised more than it was given, which the table's budget page shows as it is).
    pub fn new(
        id: impl Into<String>,
        title: impl Into<String>,
        budget_cents: i64,
        committed_cents: i64,
        spent_cents: i64,
    ) -> Self {
        Self {
            id: id.into(),
            title: title.into(),
            budget_cents,
            committed_cents,
            spent_cents,
            remaining_cents: budget_cents.saturating_sub(committed_cents),
        }
    }
}

/// The answer of the `measures` route.
pub fn listed(measures: &[Measure]) -> Result<Response> {
    Response::json(measures)
}

/// What the kernel sends to the `allocate` route.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Allocation {
    /// The measure's id, as the plugin listed it.
    pub measure: String,
    /// More than zero.
    pub amount_cents: i64,
    /// `allocation/{proposal}`: the same on every node and every retry.
    pub key: String,
    /// The funder whose fund it came from (`comune`, `fondazione`…).
    #[serde(default)]
    pub funder: String,
    #[serde(default)]
    pub funder_name: String,
    /// The number of the table's proposal.
    #[serde(default)]
    pub proposal: i64,
}

impl Allocation {
    /// The allocation in the body of `request`; a malformed one or an amount that is not
    /// positive is a `400`.
    pub fn read(request: &Request) -> Result<Self> {
        let allocation: Self = request.json()?;
        if allocation.amount_cents <= 0 || allocation.key.trim().is_empty() {
            return Err(Error::bad_request(format!(
                "an allocation needs a positive amount in cents and a key, not {} cents under {:?}",
                allocation.amount_cents, allocation.key
            )));
        }
        Ok(allocation)
    }
}

/// One allocation taken by a [`Book`] (id: its key).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Allocated {
    /// The measure (declare it as an index of the collection).
    pub measure: String,
    pub cents: i64,
    pub funder: String,
    pub proposal: i64,
    /// When the plugin took it, UTC milliseconds.
    pub at: i64,
}

/// The allocations a plugin took, in a collection it declares with the index `measure`:
///
/// ```toml
/// [collections.budget_allocations]
/// indexes = ["measure"]
/// ```
pub struct Book {
    collection: Collection<Allocated>,
}

impl Book {
    pub const fn new(collection: &'static str) -> Self {
        Self {
            collection: Collection::new(collection),
        }
    }

    /// Takes `allocation` once per key: `true` when it was new, `false` when that key was
    /// taken already (the kernel told it again), with nothing written.
    pub fn take(&self, allocation: &Allocation, now_ms: i64) -> Result<bool> {
        let taken = Allocated {
            measure: allocation.measure.clone(),
            cents: allocation.amount_cents,
            funder: allocation.funder.clone(),
            proposal: allocation.proposal,
            at: now_ms,
        };
        match self.collection.create(&allocation.key, taken) {
            Ok(_) => Ok(true),
            Err(Error::Conflict(_)) => Ok(false),
            Err(err) => Err(err),
        }
    }

    /// Everything the table allocated to `measure`, in cents.
    pub fn total(&self, measure: &str) -> Result<i64> {
        Ok(self
            .collection
            .query()
            .filter("measure", Cmp::Eq, measure)
            .fetch_all()?
            .iter()
            .map(|doc| doc.data.cents)
            .fold(0i64, i64::saturating_add))
    }
}
