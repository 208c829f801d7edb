//! Activation: the employee links a pending enrolment to their account with the one-time code
//! HR handed them (see [`crate::enrol`] on why both the username and the code are needed), and
//! HR issues a new code when one is lost or locked.

use trama_sdk::identity::User;
use trama_sdk::store::Doc;
use trama_sdk::{Error, Result, audit, clock, code, i18n, t};

use super::{ENROLMENTS, Enrolment, MAX_FAILED_ATTEMPTS, Status, not_found};
use crate::fields::CODE_LEN;

/// The caller activates enrolment `id` with the code HR gave them.
pub fn activate(id: &str, user: &User, text: &str) -> Result<Doc<Enrolment>> {
    let mut doc = match ENROLMENTS.get(id)? {
        // Another username's enrolment does not exist, as far as this caller knows.
        Some(doc) if doc.data.username == user.username => doc,
        _ => return Err(not_found(id)),
    };
    if doc.data.status == Status::Active {
        if doc.data.user_id.as_deref() == Some(user.id.as_str()) {
            return Ok(doc);
        }
        return Err(not_found(id));
    }
    if doc.data.failed_attempts >= MAX_FAILED_ATTEMPTS {
        return Err(Error::forbidden(t!(
            "corporate_plans.enrol.too_many_attempts"
        )));
    }
    let typed =
        code::normalize(text, CODE_LEN).map_err(|err| err.into_error(text, i18n::current()))?;
    if doc.data.activation_code.as_deref() != Some(typed.as_str()) {
        doc.data.failed_attempts += 1;
        record_failure(&doc)?;
        let left = MAX_FAILED_ATTEMPTS.saturating_sub(doc.data.failed_attempts);
        return Err(Error::invalid(t!(
            "corporate_plans.enrol.wrong_code",
            left = left
        )));
    }
    doc.data.status = Status::Active;
    doc.data.user_id = Some(user.id.clone());
    doc.data.activation_code = None;
    doc.data.failed_attempts = 0;
    doc.data.activated_at = Some(clock::now_ms());
    doc.version = ENROLMENTS
        .put_if_version(&doc.id, &doc.data, doc.version)
        .map_err(|err| match err {
            Error::Conflict(_) => Error::conflict(t!("corporate_plans.enrol.enrolment_changed")),
            other => other,
        })?;
    audit::record(
        "enrolment.activated",
        &doc.id,
        &serde_json::json!({ "user_id": user.id, "username": user.username }),
    )?;
    crate::purse::offer(&doc)?;
    Ok(doc)
}

/// Writes a failed attempt only if nobody changed the enrolment meanwhile: losing the count
/// of one attempt that raced another is harmless, overwriting an activation is not.
fn record_failure(doc: &Doc<Enrolment>) -> Result<()> {
    match ENROLMENTS.put_if_version(&doc.id, &doc.data, doc.version) {
        Ok(_) | Err(Error::Conflict(_)) => Ok(()),
        Err(err) => Err(err),
    }
}

/// HR issues a new activation code for a pending enrolment (lost, or locked by wrong tries).
/// Written over whatever a wrong try counted meanwhile (the count starts again), but never over
/// an activation: the enrolment is read again on a conflict and checked again.
pub fn new_code(doc: &Doc<Enrolment>, actor: &User) -> Result<Doc<Enrolment>> {
    let doc = ENROLMENTS
        .update(&doc.id, |enrolment| {
            if enrolment.status != Status::Pending {
                return Err(Error::invalid(t!(
                    "corporate_plans.enrol.already_activated"
                )));
            }
            enrolment.activation_code = Some(code::draw(CODE_LEN));
            enrolment.failed_attempts = 0;
            Ok(())
        })?
        .ok_or_else(|| not_found(&doc.id))?;
    audit::record(
        "enrolment.code_reissued",
        &doc.id,
        &serde_json::json!({ "by": actor.username }),
    )?;
    Ok(doc)
}
