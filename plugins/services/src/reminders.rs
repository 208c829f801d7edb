//! The `reminders` job: the day before a confirmed booking, the person is told when and where.
//! It looks at bookings starting in the next 24 hours not yet reminded, marks each reminded
//! under its version and sends one message per booking (the outbox key makes a rerun harmless).

use trama_sdk::store::Cmp;
use trama_sdk::{Result, log};

use crate::booking::{self, BOOKINGS, Status};
use crate::service;

const DAY_MS: i64 = 24 * 3_600_000;

/// Runs the job at `now`; returns how many people were reminded.
pub fn run(now: i64) -> Result<usize> {
    let due = BOOKINGS
        .query()
        .filter("status", Cmp::Eq, Status::Confirmed.key())
        .filter("start_at", Cmp::Gt, now)
        .filter("start_at", Cmp::Le, now + DAY_MS)
        .fetch_all()?;
    let mut sent = 0;
    for doc in due.into_iter().filter(|b| !b.data.reminded) {
        let mut next = doc.data.clone();
        next.reminded = true;
        BOOKINGS.put_if_version(&doc.id, &next, doc.version)?;
        let service = service::load(&doc.data.service)?;
        booking::tell_person(&service.data, &doc, "reminder")?;
        sent += 1;
    }
    log::info(format!("reminded {sent} bookings"));
    Ok(sent)
}
