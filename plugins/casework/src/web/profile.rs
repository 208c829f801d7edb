//! The household's ISEE and residence on the case page (see [`crate::profile`]): shown to the
//! case's staff, changed with `POST /cases/{id}/profile`, also asked at intake.

use serde_json::{Value, json};
use trama_sdk::http::{Request, Response};
use trama_sdk::i18n::{self, lang};
use trama_sdk::identity;
use trama_sdk::input::Problems;
use trama_sdk::money::{format_cents, plain};
use trama_sdk::router::Params;
use trama_sdk::submit::Submission;
use trama_sdk::{Result, audit, clock, local, t};

use super::desk::closed;
use super::file::render;
use crate::access;
use crate::case::State;
use crate::profile::{self, PROFILES, Profile};

fn yes_no(value: Option<bool>) -> &'static str {
    match value {
        Some(true) => "yes",
        Some(false) => "no",
        None => "",
    }
}

/// What the case page shows of the profile of case `id`, and the form's values.
pub fn view(id: &str) -> Result<Value> {
    let p = profile::of(id)?;
    let resident_label = match p.resident {
        Some(true) => t!("casework.profile.resident_yes"),
        Some(false) => t!("casework.profile.resident_no"),
        None => t!("casework.profile.unknown"),
    };
    Ok(json!({
        "isee_cents": p.isee_cents,
        "isee": p.isee_cents.map_or_else(|| t!("casework.profile.unknown"), |c| format_cents(c, i18n::current())),
        "isee_value": p.isee_cents.map(plain).unwrap_or_default(),
        "resident": yes_no(p.resident),
        "resident_label": resident_label,
        "updated": (p.updated_at > 0).then(|| local::numeric(p.updated_at)),
        "choices": [
            { "key": "yes", "text": t!("casework.profile.resident_yes") },
            { "key": "no", "text": t!("casework.profile.resident_no") },
        ],
    }))
}

/// Reads the profile asked at intake beside the intake's own problems; the profile is written
/// by [`save_at_intake`] once the case exists.
pub fn read_at_intake(
    input: &trama_sdk::input::Input,
    problems: &mut Problems,
    now: i64,
) -> Profile {
    profile::read(input, i18n::current(), now, problems)
}

/// Writes the profile of a case just opened, when anything was said.
pub fn save_at_intake(id: &str, profile: &Profile) -> Result<()> {
    if !profile.is_empty() {
        PROFILES.put(id, profile)?;
    }
    Ok(())
}

/// `POST /cases/{id}/profile` (+ `/api/`), staff of the case: `isee` (euros; empty: not
/// known), `resident` (`yes`, `no`; empty: not known).
pub fn save(request: Request, params: Params) -> Result<Response> {
    let user = identity::require_login()?;
    let id = params.get("id")?.to_owned();
    let (doc, _) = access::for_staff(&id, &user)?;
    let sub = Submission::read(&request, "profile", profile::FIELDS)?;
    let show = |status, form| render(&id, &user, status, Some(form));
    let mut problems = Problems::default();
    let profile = profile::read(&sub.input, lang(&request), clock::now_ms(), &mut problems);
    if !problems.is_empty() {
        return sub.refused(problems, show);
    }
    if doc.data.status == State::Closed {
        return sub.failed(closed(), show);
    }
    PROFILES.put(&id, &profile)?;
    // That it changed, never the figures.
    audit::record("case.profile", &id, &json!({ "by": user.id }))?;
    let path = format!("/cases/{id}#profile");
    sub.done(&json!({ "id": id }), &path)
        .map(|answer| answer.with_notice(t!("casework.done.saved")))
}
