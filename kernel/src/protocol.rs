//! The instance's register of what it receives (registro di protocollo): a citizen's
//! application, a provider's request for admission, an employee's request for reimbursement each
//! get the next number of one sequence per instance and calendar year, `2026/000123`, as an
//! administration keeps one register for all its offices.
//!
//! A number is taken in the caller's transaction (the plugin call that receives the document):
//! the year's counter row is incremented in place, which holds it until that transaction ends,
//! so two registrations at once get consecutive numbers one after the other — never the same
//! one — and a call that fails gives its number back, so a year's numbers have no gaps. Each
//! registration is kept as a row (number, plugin, subject, time), the register itself.

use sea_orm::{ConnectionTrait, DbErr};

use crate::db::sql;

/// Longest subject kept, in bytes.
pub const MAX_SUBJECT: usize = 200;

/// One registration.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Entry {
    /// The calendar year in Europe/Rome the registration falls in.
    pub year: i32,
    /// 1 for the year's first registration, one more for each after it.
    pub number: i64,
    /// Unix milliseconds.
    pub at: i64,
}

impl Entry {
    /// The number as people read and quote it: `2026/000123`.
    pub fn label(&self) -> String {
        format!("{}/{:06}", self.year, self.number)
    }
}

/// The year in Europe/Rome of the instant `at_ms`.
fn year_of(at_ms: i64) -> Result<i32, DbErr> {
    use chrono::Datelike;
    chrono::DateTime::from_timestamp_millis(at_ms)
        .map(|at| at.with_timezone(&crate::clock::ZONE).year())
        .ok_or_else(|| DbErr::Custom(format!("{at_ms} ms is not a time")))
}

/// Registers `subject` for `plugin` of `instance` at `at_ms`, in `txn` (the call's own
/// transaction): the next number of the year.
pub async fn register_in(
    txn: &impl ConnectionTrait,
    instance: &str,
    plugin: &str,
    subject: &str,
    at_ms: i64,
) -> Result<Entry, DbErr> {
    let year = year_of(at_ms)?;
    let backend = txn.get_database_backend();
    // One statement that both creates the year's counter and moves it on: its row stays
    // locked by this transaction until it ends, whichever backend.
    let row = txn
        .query_one_raw(sql::stmt(
            backend,
            "INSERT INTO protocol_counters (instance, year, last) VALUES (?, ?, 1) \
             ON CONFLICT (instance, year) DO UPDATE SET last = protocol_counters.last + 1 \
             RETURNING last",
            vec![instance.into(), year.into()],
        ))
        .await?
        .ok_or_else(|| DbErr::Custom("the protocol counter returned no row".into()))?;
    let number: i64 = row.try_get("", "last")?;
    txn.execute_raw(sql::stmt(
        backend,
        "INSERT INTO protocol_entries (instance, year, number, plugin, subject, registered_at) \
         VALUES (?, ?, ?, ?, ?, ?)",
        vec![
            instance.into(),
            year.into(),
            number.into(),
            plugin.into(),
            subject.into(),
            at_ms.into(),
        ],
    ))
    .await?;
    Ok(Entry {
        year,
        number,
        at: at_ms,
    })
}

/// Gives back `entries`, registered by the transaction `txn` is (a call whose answer refused
/// the request keeps no number): the newest first, each deleted and the year's counter moved
/// back. The counter row is held by this transaction since it registered, so its numbers are
/// still the year's last and the register keeps no gap.
pub async fn give_back_in(
    txn: &impl ConnectionTrait,
    instance: &str,
    entries: &[Entry],
) -> Result<(), DbErr> {
    let backend = txn.get_database_backend();
    for entry in entries.iter().rev() {
        txn.execute_raw(sql::stmt(
            backend,
            "DELETE FROM protocol_entries WHERE instance = ? AND year = ? AND number = ?",
            vec![instance.into(), entry.year.into(), entry.number.into()],
        ))
        .await?;
        txn.execute_raw(sql::stmt(
            backend,
            "UPDATE protocol_counters SET last = last - 1              WHERE instance = ? AND year = ? AND last = ?",
            vec![instance.into(), entry.year.into(), entry.number.into()],
        ))
        .await?;
    }
    Ok(())
}

/// A registration as the register lists it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Registered {
    pub entry: Entry,
    pub plugin: String,
    pub subject: String,
}

/// The registrations of `year`, in number order.
pub async fn of_year(
    conn: &impl ConnectionTrait,
    instance: &str,
    year: i32,
) -> Result<Vec<Registered>, DbErr> {
    let rows = conn
        .query_all_raw(sql::stmt(
            conn.get_database_backend(),
            "SELECT number, plugin, subject, registered_at FROM protocol_entries \
             WHERE instance = ? AND year = ? ORDER BY number",
            vec![instance.into(), year.into()],
        ))
        .await?;
    rows.iter()
        .map(|row| {
            Ok(Registered {
                entry: Entry {
                    year,
                    number: row.try_get("", "number")?,
                    at: row.try_get("", "registered_at")?,
                },
                plugin: row.try_get("", "plugin")?,
                subject: row.try_get("", "subject")?,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_year_is_romes() {
        // 2026-12-31T23:30:00Z is already 00:30 on 1 January 2027 in Rome.
        assert_eq!(year_of(1_798_759_800_000).unwrap(), 2027);
        assert_eq!(year_of(1_798_756_200_000).unwrap(), 2026);
        let entry = Entry {
            year: 2026,
            number: 123,
            at: 0,
        };
        assert_eq!(entry.label(), "2026/000123");
    }
}
