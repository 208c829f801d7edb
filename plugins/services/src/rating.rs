//! Ratings: after the provider marks a booking done, the person rates it once, 1 to 5 with an
//! optional comment. The mean on the service and on the provider's card counts every rating;
//! an operator may hide a comment (audited), which keeps its stars in the mean but takes the
//! words off the pages.

use serde::{Deserialize, Serialize};
use trama_sdk::input::{Input, Problems};
use trama_sdk::store::{Batch, Cmp, Doc};
use trama_sdk::{Error, Result, audit, local, t};

use crate::booking::{self, BOOKINGS, Booking, Status};
use crate::provider::{self, PROVIDERS};
use crate::service::{self, SERVICES};

/// A person's rating of a completed booking.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rating {
    pub stars: u8,
    pub comment: String,
    pub at: i64,
    /// Hidden by an operator: the comment is not shown.
    #[serde(default)]
    pub hidden: bool,
}

/// Reads the rating form: `stars` 1 to 5, `comment` up to 1000 characters.
pub fn check(input: &Input) -> std::result::Result<(u8, String), Problems> {
    let mut problems = Problems::default();
    let stars = input.one("stars").unwrap_or("").trim().parse::<u8>().ok();
    if !stars.is_some_and(|s| (1..=5).contains(&s)) {
        problems.push("stars", t!("services.problems.stars"));
    }
    let comment = input.one("comment").unwrap_or("").trim().to_owned();
    if comment.chars().count() > 1000 {
        problems.push("comment", t!("services.problems.too_long", max = 1000));
    }
    if problems.is_empty() {
        Ok((stars.unwrap_or(0), comment))
    } else {
        Err(problems)
    }
}

/// The person rates their done booking: the booking, the service's and the provider's sums
/// in one batch, each under the version read.
pub fn rate(doc: Doc<Booking>, stars: u8, comment: String, now: i64) -> Result<Doc<Booking>> {
    if doc.data.status != Status::Done {
        return Err(Error::conflict(t!("services.rating.not_done")));
    }
    if doc.data.rating.is_some() {
        return Err(Error::conflict(t!("services.rating.already")));
    }
    let service = service::load(&doc.data.service)?;
    let provider = provider::load(&doc.data.provider)?;
    let mut next = doc.data.clone();
    next.rating = Some(Rating {
        stars,
        comment,
        at: now,
        hidden: false,
    });
    let mut s = service.data.clone();
    s.rating_sum += u32::from(stars);
    s.rating_count += 1;
    let mut p = provider.data.clone();
    p.rating_sum += u32::from(stars);
    p.rating_count += 1;
    let mut batch = Batch::new();
    batch.put_if_version(&BOOKINGS, &doc.id, &next, doc.version);
    batch.put_if_version(&SERVICES, &service.id, &s, service.version);
    batch.put_if_version(&PROVIDERS, &provider.id, &p, provider.version);
    batch.commit()?;
    audit::record(
        "rating.given",
        &doc.id,
        &serde_json::json!({ "stars": stars }),
    )?;
    Ok(Doc { data: next, ..doc })
}

/// An operator hides (or shows again) the comment of booking `id`'s rating; audited.
pub fn set_hidden(id: &str, hidden: bool) -> Result<Doc<Booking>> {
    let doc = BOOKINGS
        .update(id, |b| match b.rating.as_mut() {
            Some(rating) => {
                rating.hidden = hidden;
                Ok(())
            }
            None => Err(Error::not_found(t!("services.rating.none"))),
        })?
        .ok_or_else(|| Error::not_found(t!("services.booking.unknown")))?;
    let action = if hidden {
        "rating.hidden"
    } else {
        "rating.shown"
    };
    audit::record(action, id, &serde_json::json!({}))?;
    Ok(doc)
}

/// The ratings of service `service` (newest first): with `all`, for operators, hidden ones too.
pub fn of_service(service: &str, all: bool) -> Result<Vec<serde_json::Value>> {
    let mut rated: Vec<_> = BOOKINGS
        .query()
        .filter("service", Cmp::Eq, service)
        .filter("status", Cmp::Eq, booking::Status::Done.key())
        .fetch_all()?
        .into_iter()
        .filter_map(|b| b.data.rating.clone().map(|r| (b.id, r)))
        .filter(|(_, r)| all || (!r.hidden && !r.comment.is_empty()))
        .collect();
    rated.sort_by_key(|(_, r)| std::cmp::Reverse(r.at));
    Ok(rated
        .into_iter()
        .map(|(id, r)| {
            serde_json::json!({
                "booking": id,
                "stars": r.stars,
                "comment": r.comment,
                "hidden": r.hidden,
                "at": local::numeric(r.at),
            })
        })
        .collect())
}
