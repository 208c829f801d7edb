//! What happens to a booking after it is made: the provider confirms (a request with the day
//! and time it gives), declines or marks it done; the person cancels until the deadline. A
//! declined or cancelled booking gives its seat back in the same batch as its new status.

use trama_sdk::clock::Date;
use trama_sdk::store::{self, Batch, Doc};
use trama_sdk::{Error, Result, audit, local, t};

use crate::booking::{self, BOOKINGS, Booking, Status};
use crate::payment;
use crate::service::Service;
use crate::slot::{self, SLOTS};

/// When a request happens, as the provider gives it on confirming.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Appointment {
    pub date: Date,
    pub start: u16,
    pub minutes: u16,
}

/// Reads the appointment of a request's confirmation; problems by field.
pub fn read_appointment(
    input: &trama_sdk::input::Input,
) -> std::result::Result<Appointment, trama_sdk::input::Problems> {
    let mut problems = trama_sdk::input::Problems::default();
    let date = Date::parse(input.one("date").unwrap_or("").trim()).ok();
    if date.is_none() {
        problems.push("date", t!("services.problems.date"));
    }
    let start = slot::parse_time(input.one("start").unwrap_or(""));
    if start.is_none() {
        problems.push("start", t!("services.problems.time"));
    }
    let minutes = input
        .one("minutes")
        .unwrap_or("")
        .trim()
        .parse::<u16>()
        .ok();
    if !minutes.is_some_and(|m| (5..=720).contains(&m)) {
        problems.push("minutes", t!("services.problems.minutes"));
    }
    match (date, start, minutes) {
        (Some(date), Some(start), Some(minutes)) if problems.is_empty() => Ok(Appointment {
            date,
            start,
            minutes,
        }),
        _ => Err(problems),
    }
}

fn refuse_status(doc: &Doc<Booking>) -> Error {
    Error::conflict(t!(
        "services.booking.wrong_status",
        status = doc.data.status.label()
    ))
}

/// Writes `booking` (read at `doc.version`) and, if it gave its seat back, the slot one seat
/// emptier, in one batch.
fn write(doc: &Doc<Booking>, booking: &Booking, frees_seat: bool) -> Result<()> {
    let mut batch = Batch::new();
    batch.put_if_version(&BOOKINGS, &doc.id, booking, doc.version);
    if frees_seat && let Some(slot_id) = &doc.data.slot {
        let slot = slot::load(slot_id)?;
        let mut freed = slot.data.clone();
        freed.taken = freed.taken.saturating_sub(1);
        batch.put_if_version(&SLOTS, slot_id, &freed, slot.version);
    }
    batch.commit()?;
    Ok(())
}

/// The provider confirms a requested booking (a request needs `appointment`).
pub fn confirm(
    id: &str,
    service: &Service,
    appointment: Option<Appointment>,
    now: i64,
) -> Result<Doc<Booking>> {
    store::retry(|| {
        let doc = booking::load(id)?;
        if doc.data.status != Status::Requested {
            return Err(refuse_status(&doc));
        }
        let mut next = doc.data.clone();
        if next.slot.is_none() {
            let a = appointment.ok_or_else(|| Error::invalid(t!("services.problems.date")))?;
            next.start_at = Some(local::to_utc_ms(a.date, a.start));
            next.minutes = Some(a.minutes);
        }
        next.status = Status::Confirmed;
        next.decided_at = Some(now);
        next.charge = payment::settle(&next.charge, payment::amount(service, next.minutes, 1, 0))?;
        write(&doc, &next, false)?;
        Ok(Doc { data: next, ..doc })
    })
    .and_then(|doc| {
        audit::record("booking.confirmed", id, &serde_json::json!({}))?;
        booking::tell_person(service, &doc, "confirmed")?;
        Ok(doc)
    })
}

/// The provider declines a requested booking, giving back its seat.
pub fn decline(id: &str, service: &Service, now: i64) -> Result<Doc<Booking>> {
    let doc = store::retry(|| {
        let doc = booking::load(id)?;
        if doc.data.status != Status::Requested {
            return Err(refuse_status(&doc));
        }
        let mut next = doc.data.clone();
        next.status = Status::Declined;
        next.decided_at = Some(now);
        next.charge = payment::release(&next.charge)?;
        write(&doc, &next, true)?;
        Ok(Doc { data: next, ..doc })
    })?;
    audit::record("booking.declined", id, &serde_json::json!({}))?;
    booking::tell_person(service, &doc, "declined")?;
    Ok(doc)
}

/// The last moment `booking` can be cancelled by the person: `cancel_hours` before it starts
/// (no limit while a request has no time).
pub fn cancel_deadline(booking: &Booking, cancel_hours: i64) -> Option<i64> {
    booking
        .start_at
        .map(|start| start - cancel_hours * 3_600_000)
}

/// The person cancels their booking until the deadline, giving back the seat.
pub fn cancel(doc: Doc<Booking>, cancel_hours: i64, now: i64) -> Result<Doc<Booking>> {
    if !matches!(doc.data.status, Status::Requested | Status::Confirmed) {
        return Err(refuse_status(&doc));
    }
    if let Some(deadline) = cancel_deadline(&doc.data, cancel_hours)
        && now > deadline
    {
        return Err(Error::conflict(t!(
            "services.booking.too_late",
            deadline = local::numeric(deadline)
        )));
    }
    let mut next = doc.data.clone();
    next.status = Status::Cancelled;
    next.charge = payment::release(&next.charge)?;
    write(&doc, &next, true)?;
    audit::record("booking.cancelled", &doc.id, &serde_json::json!({}))?;
    Ok(Doc { data: next, ..doc })
}

/// The provider marks a confirmed booking done once it has started; the amount is recorded
/// again (a shared service's share among the group as it is now).
pub fn done(id: &str, service: &Service, now: i64) -> Result<Doc<Booking>> {
    let doc = booking::load(id)?;
    if doc.data.status != Status::Confirmed {
        return Err(refuse_status(&doc));
    }
    if doc.data.start_at.is_some_and(|start| start > now) {
        return Err(Error::conflict(t!("services.booking.not_started")));
    }
    let mut next = doc.data.clone();
    let (members, position) = match (&service.offer.group, &doc.data.slot) {
        (Some(_), Some(slot)) => {
            let members = booking::members(slot)?;
            let position = members.iter().position(|m| m.id == doc.id).unwrap_or(0);
            (members.len(), position)
        }
        _ => (1, 0),
    };
    let members = u32::try_from(members).unwrap_or(1);
    let position = u32::try_from(position).unwrap_or(0);
    next.charge = payment::settle(
        &next.charge,
        payment::amount(service, next.minutes, members, position),
    )?;
    next.status = Status::Done;
    let today = local::today(now);
    next.done_month = Some(format!("{:04}-{:02}", today.year, today.month));
    write(&doc, &next, false)?;
    audit::record(
        "booking.done",
        id,
        &serde_json::json!({
            "paid_directly_cents": next.charge.paid_directly_cents,
            "sources": next.charge.sources,
        }),
    )?;
    Ok(Doc { data: next, ..doc })
}
