//! The tutoring service as a measure the coordination table may fund (`[budget]` of
//! `plugin.toml`, routes only the kernel calls; see `trama_sdk::budget`).
//!
//! The service is one measure, [`MEASURE`]: the hours of homework help the municipality pays
//! for at `hourly_rate_cents`. Its budget is what the table allocated to it (kept in a
//! [`Book`], once per allocation); what it **committed** and **spent** follow
//! `billing_basis`, as the monthly reports do ([`crate::report`]):
//!
//! - `lesson`: committed, every lesson scheduled or held; spent, the lessons held;
//! - `child`: committed, every hour booked from a family's allowance (booked, attended, missed,
//!   cancelled late); spent, the hours used (attended, missed, cancelled late).
//!
//! Both are priced over all the lessons on record, the sum of minutes at the hourly rate
//! rounded half up to the cent, so the budget page compares the table's money with the hours
//! the service promised and delivered.

use trama_sdk::budget::{self, Allocation, Book, Measure};
use trama_sdk::http::{Request, Response};
use trama_sdk::router::Params;
use trama_sdk::{Error, Result, clock, t};

use crate::config::{BillingBasis, Settings};
use crate::lesson::{BOOKINGS, BookingStatus, LESSONS, LessonStatus};
use crate::report::cost;

/// The one measure of the plugin: the service.
pub const MEASURE: &str = "doposcuola";

/// What the table allocated, one document per allocation.
pub const BOOK: Book = Book::new("budget_allocations");

/// Minutes committed and spent over every lesson and booking on record, by `basis`.
pub fn minutes(basis: BillingBasis) -> Result<(u32, u32)> {
    let (mut committed, mut spent) = (0u32, 0u32);
    match basis {
        BillingBasis::Lesson => {
            for doc in LESSONS.query().fetch_all()? {
                let minutes = u32::from(doc.data.minutes);
                match doc.data.status {
                    LessonStatus::Held => {
                        committed = committed.saturating_add(minutes);
                        spent = spent.saturating_add(minutes);
                    }
                    LessonStatus::Scheduled => committed = committed.saturating_add(minutes),
                    LessonStatus::Cancelled => {}
                }
            }
        }
        BillingBasis::Child => {
            for doc in BOOKINGS.query().fetch_all()? {
                let minutes = u32::from(doc.data.minutes);
                if doc.data.status.charged() {
                    committed = committed.saturating_add(minutes);
                }
                if doc.data.status != BookingStatus::Booked && doc.data.status.charged() {
                    spent = spent.saturating_add(minutes);
                }
            }
        }
    }
    Ok((committed, spent))
}

/// The service as a measure, from the settings and the records.
pub fn measure(settings: &Settings) -> Result<Measure> {
    let (committed, spent) = minutes(settings.billing_basis)?;
    let rate = settings.hourly_rate_cents;
    Ok(Measure::new(
        MEASURE,
        settings.service_name.clone(),
        BOOK.total(MEASURE)?,
        cost(committed, rate),
        cost(spent, rate),
    ))
}

/// `GET /_kernel/budget/measures` (the kernel only): the service.
pub fn measures(_request: Request, _params: Params) -> Result<Response> {
    budget::listed(&[measure(&Settings::load()?)?])
}

/// `POST /_kernel/budget/allocations` (the kernel only): money the table allocated to the
/// service, taken once per key; another measure is a `404`, and the kernel gives it back.
pub fn allocate(request: Request, _params: Params) -> Result<Response> {
    let allocation = Allocation::read(&request)?;
    if allocation.measure != MEASURE {
        return Err(Error::not_found(t!(
            "tutoring.budget.unknown_measure",
            measure = allocation.measure
        )));
    }
    let taken = BOOK.take(&allocation, clock::now_ms())?;
    if taken {
        trama_sdk::audit::record(
            "budget.allocated",
            MEASURE,
            &serde_json::json!({
                "cents": allocation.amount_cents,
                "funder": allocation.funder,
                "proposal": allocation.proposal,
            }),
        )?;
    }
    let measure = measure(&Settings::load()?)?;
    Response::json(&serde_json::json!({
        "budget_cents": measure.budget_cents,
        "taken": taken,
    }))
}
