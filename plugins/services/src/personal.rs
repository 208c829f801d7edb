//! The person's bookings on `/me`, "download my data" and erasure.
//!
//! An erasure deletes the bookings still to come (giving back their seats) and the refused or
//! cancelled ones; a booking that was done stays, because it is the provider's record of a
//! service given and of what was paid, but unlinked from the account and without the person's
//! name, their note and their rating's comment (the stars stay in the means).

use trama_sdk::http::{Request, Response};
use trama_sdk::mine::{self, Item};
use trama_sdk::personal_data::{ERASED, Erased, Export, erase_text, owned_by};
use trama_sdk::router::Params;
use trama_sdk::store::{Batch, Doc};
use trama_sdk::{Result, identity, t};

use crate::booking::{BOOKINGS, Booking, Status};
use crate::service;
use crate::slot;
use crate::web::BASE;

/// `GET /api/mine`: the person's bookings.
pub fn mine(_: Request, _: Params) -> Result<Response> {
    let user = identity::require_login()?;
    let mut items = Vec::new();
    for doc in owned_by(&BOOKINGS, "person", &user.id)? {
        let title = service::load(&doc.data.service)
            .map(|s| s.data.offer.title)
            .unwrap_or_default();
        items.push(Item {
            title,
            status: doc.data.status.label(),
            href: format!("{BASE}/bookings/{}", doc.id),
            at: doc.data.start_at.unwrap_or(doc.data.created_at),
        });
    }
    Response::json(&mine::newest_first(items))
}

/// `GET /api/personal-data`
pub fn export(_: Request, _: Params) -> Result<Response> {
    let user = identity::require_login()?;
    Export::new()
        .with("bookings", &owned_by(&BOOKINGS, "person", &user.id)?)?
        .response()
}

/// Deletes `doc`, giving back its seat if it holds one.
fn delete(doc: &Doc<Booking>) -> Result<()> {
    let mut batch = Batch::new();
    batch.delete_if_version(&BOOKINGS, &doc.id, doc.version);
    if doc.data.status.holds_seat()
        && let Some(slot_id) = &doc.data.slot
        && let Some(seat) = slot::SLOTS.get(slot_id)?
    {
        let mut freed = seat.data.clone();
        freed.taken = freed.taken.saturating_sub(1);
        batch.put_if_version(&slot::SLOTS, slot_id, &freed, seat.version);
    }
    batch.commit()?;
    Ok(())
}

/// `DELETE /api/personal-data`
pub fn erase(_: Request, _: Params) -> Result<Response> {
    let user = identity::require_login()?;
    let mut erased = Erased::default();
    let mut kept = false;
    crate::published::forget(&user.id)?;
    for doc in owned_by(&BOOKINGS, "person", &user.id)? {
        if doc.data.status != Status::Done {
            delete(&doc)?;
            erased.count(1);
            continue;
        }
        let mut next = doc.data.clone();
        // Unlinked from the account, so that the person's data no longer holds it.
        ERASED.clone_into(&mut next.person);
        let mut changed = erase_text(&mut next.person_name);
        changed |= erase_text(&mut next.note);
        if let Some(rating) = next.rating.as_mut() {
            changed |= erase_text(&mut rating.comment);
        }
        BOOKINGS.put_if_version(&doc.id, &next, doc.version)?;
        erased.count(u64::from(changed));
        kept = true;
    }
    if kept {
        erased.keep(t!("services.erasure.what"), t!("services.erasure.why"));
    }
    erased.finish(&user)
}
