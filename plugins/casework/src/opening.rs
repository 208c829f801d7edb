//! Opening a case — at the desk, or when a care manager or supervisor takes a person's online
//! request — and the check that the person has no other open case (see [`duplicate`]).

use serde_json::json;
use trama_sdk::identity::User;
use trama_sdk::input::{Input, Problems};
use trama_sdk::store::{Cmp, Doc};
use trama_sdk::{Result, audit, t};

use crate::access;
use crate::case::{CASES, Case, Consent, Member, Person, State};
use crate::config::Settings;
use crate::review;

/// What a new case starts with.
#[derive(Debug, Clone)]
pub struct Opening {
    pub person: Person,
    pub household: Vec<Member>,
    pub needs: Vec<String>,
    pub consent: Consent,
    pub team: String,
    /// The person's account, when the case comes from their own request.
    pub account: Option<String>,
    /// The request it comes from.
    pub request: Option<String>,
}

/// Stores the case as `id`, assigned to `manager`, opened by `by`, its first review of the plan
/// `review_days` ahead; audited as `case.opened` with who, which team and which notice — never
/// the person's data, which stays in the case.
pub fn open(id: &str, opening: Opening, manager: &User, by: &User, now: i64) -> Result<Doc<Case>> {
    let consent_version = opening.consent.version.clone();
    let case = Case {
        tax_code: opening.person.tax_code.clone(),
        person: opening.person,
        account: opening.account,
        household: opening.household,
        needs: opening.needs,
        consent: opening.consent,
        care_manager: manager.id.clone(),
        care_manager_name: manager.display_name.clone(),
        team: opening.team,
        status: State::Open,
        opened_at: now,
        opened_by: by.id.clone(),
        goals: Vec::new(),
        outcome: None,
        closed_at: None,
        closing_note: String::new(),
    };
    let doc = CASES.create(id, case)?;
    review::schedule(id, review::days_ahead(now, Settings::load()?.review_days))?;
    audit::record(
        "case.opened",
        &doc.id,
        &json!({
            "care_manager": manager.id,
            "team": doc.data.team,
            "consent_version": consent_version,
            "request": opening.request,
        }),
    )?;
    Ok(doc)
}

/// The open cases of a codice fiscale.
pub fn open_cases_of(tax_code: &str) -> Result<Vec<Doc<Case>>> {
    Ok(CASES
        .query()
        .filter("tax_code", Cmp::Eq, tax_code)
        .fetch_all()?
        .into_iter()
        .filter(|doc| doc.data.status == State::Open)
        .collect())
}

/// Whether a second open case for `tax_code` may be opened by `user`, who sent `input`.
///
/// When the person already has an open case, the opening is refused beside `tax_code`, unless
/// a supervisor confirms it (`confirm_duplicate`: yes) — then the id of the case already open
/// is returned, for the audit. A reader who may see that case is told who follows it; anyone
/// else only that one exists and to ask their supervisor, never who follows it or what it holds.
/// A care manager who sends the confirmation is told that only a supervisor gives it.
pub fn duplicate(
    tax_code: &str,
    input: &Input,
    user: &User,
    problems: &mut Problems,
) -> Result<Option<String>> {
    let confirmed = matches!(input.flag("confirm_duplicate"), Ok(true));
    let supervisor = user.has_role("supervisor");
    if confirmed && !supervisor {
        problems.push(
            "confirm_duplicate",
            t!("casework.duplicate.supervisors_only"),
        );
    }
    if tax_code.is_empty() {
        return Ok(None);
    }
    let Some(existing) = open_cases_of(tax_code)?.into_iter().next() else {
        return Ok(None);
    };
    if confirmed && supervisor {
        return Ok(Some(existing.id));
    }
    let visible = access::relation(&existing.data, user)?.is_some_and(|r| r.is_staff());
    let message = if visible {
        t!(
            "casework.duplicate.visible",
            care_manager = existing.data.care_manager_name,
            team = existing.data.team
        )
    } else {
        t!("casework.duplicate.hidden")
    };
    problems.push("tax_code", message);
    if supervisor {
        problems.push("confirm_duplicate", t!("casework.duplicate.confirm_hint"));
    }
    Ok(None)
}

/// Records that a supervisor opened a second case for a person with one open already.
pub fn confirmed(new_case: &str, existing: &str) -> Result<()> {
    audit::record(
        "case.duplicate_confirmed",
        new_case,
        &json!({ "existing": existing }),
    )
}
