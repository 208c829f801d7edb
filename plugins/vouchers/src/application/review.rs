//! The review ("istruttoria"): the steps operators and citizens take on an application, checked
//! purely and then written with its count.

use trama_sdk::identity::User;
use trama_sdk::input::Problems;
use trama_sdk::store::{Batch, Doc};
use trama_sdk::{Error, Result, audit, t};

use crate::campaign::State;
use crate::tally::{self, Move};

use super::{APPLICATIONS, Application, MAX_ATTEMPTS, MAX_TEXT, Status, Step, load};

/// A step of the review.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Operator: the application is eligible after all.
    Approve,
    /// Operator: refused, with the reason the citizen reads.
    Reject(String),
    /// Operator: a question the citizen must answer.
    RequestInfo(String),
    /// Citizen: the answer to the question.
    Answer(String),
}

impl Action {
    fn name(&self) -> &'static str {
        match self {
            Action::Approve => "approved",
            Action::Reject(_) => "rejected",
            Action::RequestInfo(_) => "info_requested",
            Action::Answer(_) => "answered",
        }
    }

    /// The statuses the action applies to.
    fn applies_to(&self) -> &'static [Status] {
        match self {
            Action::Approve => &[Status::NeedsReview, Status::InfoRequested],
            Action::Reject(_) => &[Status::NeedsReview, Status::InfoRequested, Status::Eligible],
            Action::RequestInfo(_) => &[Status::NeedsReview],
            Action::Answer(_) => &[Status::InfoRequested],
        }
    }
}

/// Checks the text of a reason, question or answer: 1 to 2000 characters.
pub fn check_text(field: &str, text: Option<&str>) -> std::result::Result<String, Problems> {
    let text = text.unwrap_or_default().trim();
    let chars = text.chars().count();
    if (1..=MAX_TEXT).contains(&chars) {
        Ok(text.to_owned())
    } else {
        let mut problems = Problems::default();
        problems.push(
            field,
            t!(
                "vouchers.problems.text_length",
                max = MAX_TEXT,
                chars = chars
            ),
        );
        Err(problems)
    }
}

/// Applies a review step to the application, pure: the new application or why not.
pub fn apply(app: &Application, action: &Action, actor: &str, now: i64) -> Result<Application> {
    // An application held after a collision waits for an operator's approval whatever the
    // rules said of it (see `crate::application`).
    let held = app.contested_by.is_some() && app.status == Status::Eligible;
    let allowed = action.applies_to().contains(&app.status)
        || (held && matches!(action, Action::Approve | Action::Reject(_)));
    if !allowed {
        return Err(Error::conflict(t!(
            "vouchers.application.wrong_status",
            status = app.status.label(),
        )));
    }
    let mut next = app.clone();
    let note = match action {
        Action::Approve => {
            next.status = Status::Eligible;
            next.contested_by = None;
            None
        }
        Action::Reject(reason) => {
            next.status = Status::Rejected;
            next.rejection = Some(reason.clone());
            Some(reason.clone())
        }
        Action::RequestInfo(question) => {
            next.status = Status::InfoRequested;
            next.question = Some(question.clone());
            next.answer = None;
            Some(question.clone())
        }
        Action::Answer(answer) => {
            next.status = Status::NeedsReview;
            next.answer = Some(answer.clone());
            Some(answer.clone())
        }
    };
    next.history.push(Step {
        at: now,
        actor: actor.to_owned(),
        action: action.name().to_owned(),
        note,
    });
    next.updated_at = now;
    Ok(next)
}

/// Another application that must be settled before this one is approved: one of the same
/// tax code already eligible or funded, or — for an application held after a collision — the
/// one it collided with, while that is still open or funded. So at most one application per
/// tax code and household reaches the ranking.
fn open_twin(id: &str, app: &Application) -> Result<Option<String>> {
    let twins = super::APPLICATIONS
        .query()
        .filter("tax_code", trama_sdk::store::Cmp::Eq, app.tax_code.as_str())
        .filter("campaign", trama_sdk::store::Cmp::Eq, app.campaign.as_str())
        .fetch_all()?;
    if let Some(twin) = twins.iter().find(|other| {
        other.id != id && matches!(other.data.status, Status::Eligible | Status::Beneficiary)
    }) {
        return Ok(Some(twin.id.clone()));
    }
    let Some(other) = &app.contested_by else {
        return Ok(None);
    };
    let open = super::APPLICATIONS.get(other)?.is_some_and(|doc| {
        matches!(
            doc.data.status,
            Status::Eligible | Status::Beneficiary | Status::NeedsReview | Status::InfoRequested
        )
    });
    Ok(open.then(|| other.clone()))
}

/// Runs a review step against the store: the campaign must still be active, and the
/// application unchanged since it was read (`409` otherwise). Audited as
/// `application.{approved|rejected|info_requested|answered}`.
pub fn review(id: &str, action: Action, actor: &User, now: i64) -> Result<Doc<Application>> {
    let doc = load(id)?;
    let campaign = crate::campaign::load(&doc.data.campaign)?;
    if campaign.data.state != State::Active {
        return Err(Error::conflict(t!("vouchers.application.campaign_closed")));
    }
    if matches!(action, Action::Approve) {
        if let Some(other) = open_twin(&doc.id, &doc.data)? {
            return Err(Error::conflict(t!(
                "vouchers.application.contested_open",
                other = other
            )));
        }
        // An amount the rulebook could not compute would fund nothing: the rule comes first.
        let broken_amount = doc.data.calculation.as_ref().is_some_and(|c| {
            c.outcome
                .steps
                .iter()
                .any(|step| step.at == "amount" && step.error)
        });
        if broken_amount {
            return Err(Error::conflict(t!(
                "vouchers.application.amount_not_computed"
            )));
        }
    }
    let next = apply(&doc.data, &action, &actor.username, now)?;
    // The tax codes an approved application must hold: its own and its household's.
    let codes = if matches!(action, Action::Approve) {
        let mut codes = vec![next.tax_code.clone()];
        if let Some(calculation) = &next.calculation {
            for code in super::household::member_tax_codes(&calculation.answers) {
                if !codes.contains(&code) {
                    codes.push(code);
                }
            }
        }
        codes
    } else {
        Vec::new()
    };
    let changed = || Error::conflict(t!("vouchers.application.changed"));
    // Written out rather than `store::retry`: only a count shard's conflict is tried again (up
    // to `MAX_ATTEMPTS`, 8); a changed application, and running out of attempts, answer
    // `changed` ("reload the page"), not the store's generic conflict.
    let mut attempts = 0;
    let version = loop {
        attempts += 1;
        let mut batch = Batch::new();
        batch.put_if_version(&APPLICATIONS, id, &next, doc.version);
        if let Some(other) = super::household::take_over(&mut batch, &next.campaign, id, &codes)? {
            return Err(Error::conflict(t!(
                "vouchers.application.contested_open",
                other = other
            )));
        }
        let moves = [Move {
            tax_code: &next.tax_code,
            from: Some(doc.data.status),
            to: next.status,
        }];
        tally::push(&mut batch, &next.campaign, &moves)?;
        match batch.commit() {
            Ok(versions) => break versions.first().copied().unwrap_or(doc.version + 1),
            // The application itself changed: the reviewer must see the new state first.
            Err(Error::Conflict(_))
                if APPLICATIONS.get(id)?.map(|d| d.version) != Some(doc.version) =>
            {
                return Err(changed());
            }
            // Only a count shard changed: try again.
            Err(Error::Conflict(_)) if attempts < MAX_ATTEMPTS => continue,
            Err(Error::Conflict(_)) => return Err(changed()),
            Err(err) => return Err(err),
        }
    };
    let detail = match &action {
        Action::Approve => serde_json::json!({}),
        Action::Reject(reason) => serde_json::json!({ "reason": reason }),
        Action::RequestInfo(question) => serde_json::json!({ "question": question }),
        Action::Answer(_) => serde_json::json!({}),
    };
    audit::record(&format!("application.{}", action.name()), id, &detail)?;
    if next.status == Status::Rejected {
        crate::notice::outcome(id, &next, &campaign.data.title, "");
        crate::publish::decided(id, &next)?;
    }
    Ok(Doc {
        id: id.to_owned(),
        version,
        data: next,
    })
}
