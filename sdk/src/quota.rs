//! "At most N per month per person" — a common welfare rule (rides, meals, hours of care) —
//! kept exact under concurrency.
//!
//! A quota counts in a document per person and period, in a collection the plugin declares
//! (`[collections.NAME]`, no indexes needed). [`Quota::take`] checks the count and adds the
//! counter's conditional write to the caller's [`Batch`], so the use and what it pays for
//! commit together or not at all: two uses racing for the last place make one batch fail with
//! a conflict, and [`store::retry`] runs that caller again on the new count. Periods follow the
//! instance's calendar (Europe/Rome): a ride at 00:30 on 1 March counts in March.
//!
//! ```no_run
//! use trama_sdk::i18n::Lang;
//! use trama_sdk::quota::{Period, Quota};
//! use trama_sdk::store::{self, Batch, Collection};
//!
//! const RIDES: Quota = Quota {
//!     counters: Collection::new("ride_counts"),
//!     name: "rides",
//!     limit: 8,
//!     period: Period::Month,
//! };
//!
//! # fn book(person: &str, now_ms: i64) -> trama_sdk::Result<()> {
//! store::retry(|| {
//!     let mut batch = Batch::new();
//!     RIDES.take(&mut batch, person, 1, now_ms, Lang::It)?;
//!     // … the ride's own writes go into the same batch …
//!     batch.commit()?;
//!     Ok(())
//! })
//! # }
//! ```

use serde::{Deserialize, Serialize};

use crate::i18n::Lang;
use crate::local;
use crate::store::{self, Batch, Collection};
use crate::{Error, Result};

/// The counter stored per person and period.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct Count {
    pub used: u32,
}

/// The span a quota counts over, in the instance's calendar.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Period {
    Day,
    Month,
    Year,
}

impl Period {
    /// The period holding the instant `utc_ms`: `2026-03-01`, `2026-03` or `2026`.
    pub fn key(self, utc_ms: i64) -> String {
        let day = local::today(utc_ms);
        match self {
            Self::Day => format!("{:04}-{:02}-{:02}", day.year, day.month, day.day),
            Self::Month => format!("{:04}-{:02}", day.year, day.month),
            Self::Year => format!("{:04}", day.year),
        }
    }

    fn name(self, lang: Lang) -> String {
        let key = match self {
            Self::Day => "sdk.quota.per_day",
            Self::Month => "sdk.quota.per_month",
            Self::Year => "sdk.quota.per_year",
        };
        crate::i18n::text_for(lang, key, &[])
    }
}

/// At most `limit` uses per person and [`Period`], counted in `counters` under `name`
/// (several quotas may share one collection).
pub struct Quota {
    pub counters: Collection<Count>,
    pub name: &'static str,
    pub limit: u32,
    pub period: Period,
}

/// What a use leaves: how many uses the period now holds, of how many.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Used {
    pub used: u32,
    pub limit: u32,
}

impl Quota {
    fn id(&self, person: &str, utc_ms: i64) -> String {
        format!("{}/{}/{}", self.name, person, self.period.key(utc_ms))
    }

    /// How many uses `person` has made in the period holding `utc_ms`.
    pub fn used(&self, person: &str, utc_ms: i64) -> Result<u32> {
        Ok(self
            .counters
            .get(&self.id(person, utc_ms))?
            .map_or(0, |doc| doc.data.used))
    }

    /// Deletes the counter of `person` for the period holding `utc_ms` (an erasure of their
    /// data): whether there was one.
    pub fn forget(&self, person: &str, utc_ms: i64) -> Result<bool> {
        self.counters.delete(&self.id(person, utc_ms))
    }

    /// Counts `amount` uses by `person` at `utc_ms` into `batch`, or refuses (`422`, in the
    /// person's language) when they would pass the limit. Nothing is counted until the batch
    /// commits; a commit that loses a race to another use fails with a conflict (see the
    /// module's example).
    pub fn take(
        &self,
        batch: &mut Batch,
        person: &str,
        amount: u32,
        utc_ms: i64,
        lang: Lang,
    ) -> Result<Used> {
        let id = self.id(person, utc_ms);
        let current = self.counters.get(&id)?;
        let used = current.as_ref().map_or(0, |doc| doc.data.used);
        let total = used.saturating_add(amount);
        if total > self.limit {
            let left = self.limit.saturating_sub(used);
            let per = self.period.name(lang);
            return Err(Error::invalid(crate::i18n::text_for(
                lang,
                "sdk.quota.reached",
                &[("limit", &self.limit), ("per", &per), ("left", &left)],
            )));
        }
        let count = Count { used: total };
        match current {
            Some(doc) => batch.put_if_version(&self.counters, &id, &count, doc.version),
            None => batch.create(&self.counters, &id, &count),
        };
        Ok(Used {
            used: total,
            limit: self.limit,
        })
    }

    /// [`Quota::take`] on its own, committed at once and retried on a race: for a use that
    /// writes nothing else.
    pub fn take_now(&self, person: &str, amount: u32, utc_ms: i64, lang: Lang) -> Result<Used> {
        store::retry(|| {
            let mut batch = Batch::new();
            let used = self.take(&mut batch, person, amount, utc_ms, lang)?;
            batch.commit()?;
            Ok(used)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn periods_follow_the_rome_calendar() {
        // 2026-02-28T23:30:00Z is 00:30 on 1 March in Rome (UTC+1 in winter).
        let ms = 1_772_321_400_000;
        assert_eq!(Period::Month.key(ms), "2026-03");
        assert_eq!(Period::Day.key(ms), "2026-03-01");
        assert_eq!(Period::Year.key(ms), "2026");
        // 2026-12-31T22:59:00Z is 23:59 on 31 December in Rome.
        assert_eq!(Period::Year.key(1_798_757_940_000), "2026");
    }
}
