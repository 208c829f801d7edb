//! Filing an application: the citizen's own-application rules, the automatic checks, and the
//! write that claims its tax code and household (see the module documentation of [`super`]).

use trama_sdk::identity::User;
use trama_sdk::store::{Batch, Doc};
use trama_sdk::{Error, Result, audit, t};

use super::{
    APPLICATIONS, Application, Attachment, MAX_ATTEMPTS, Status, Step, Submission, application_id,
    assess, assess_rulebook, household,
};
use crate::campaign::{Campaign, Phase};
use crate::tally::{self, Move};

/// A citizen applies for themselves only: once per campaign, and always with the tax code
/// their account applied with first (an operator files for anyone else). Without these rules
/// one account could file thousands of applications under invented but valid tax codes and
/// take a campaign's budget. The refusals speak of the caller's own applications only.
fn own_application_only(campaign: &Doc<Campaign>, tax_code: &str, caller: &User) -> Result<()> {
    let mine = APPLICATIONS
        .query()
        .filter("user_id", trama_sdk::store::Cmp::Eq, caller.id.as_str())
        .order_by("submitted_at")
        .fetch_all()?;
    if mine.iter().any(|app| app.data.campaign == campaign.id) {
        return Err(Error::conflict(t!(
            "vouchers.application.already_applied",
            title = campaign.data.title,
        )));
    }
    // A number certified by SPID or CIE prevails over one typed in an earlier application.
    let certified = trama_sdk::identity::fiscal_number().is_some();
    match mine.first() {
        Some(first) if !certified && first.data.tax_code != tax_code => Err(Error::invalid(t!(
            "vouchers.application.not_your_tax_code",
            tax_code = first.data.tax_code,
        ))),
        _ => Ok(()),
    }
}

/// The excluded campaigns (id, title) of which `tax_code` is already a beneficiary.
pub(crate) fn beneficiary_of(campaign: &Campaign, tax_code: &str) -> Result<Vec<(String, String)>> {
    let mut found = Vec::new();
    for other in &campaign.eligibility.excluded_campaigns {
        // By the tax code, not the id: an application the office approved after a collision
        // has an id of its own.
        let funded = APPLICATIONS
            .query()
            .filter("tax_code", trama_sdk::store::Cmp::Eq, tax_code)
            .filter("campaign", trama_sdk::store::Cmp::Eq, other.as_str())
            .fetch_all()?
            .into_iter()
            .any(|app| app.data.status == Status::Beneficiary);
        if funded {
            let title = crate::campaign::CAMPAIGNS
                .get(other)?
                .map_or_else(|| other.clone(), |c| c.data.title);
            found.push((other.clone(), title));
        }
    }
    Ok(found)
}

/// Files a checked submission: runs the automatic checks and stores the application, unless
/// the campaign is not open today or the tax code already applied (`409`).
pub fn submit(
    campaign: &Doc<Campaign>,
    submission: Submission,
    caller: &User,
    today: trama_sdk::clock::Date,
    now: i64,
) -> Result<Doc<Application>> {
    let phase = campaign.data.phase(today);
    if phase != Phase::Open {
        return Err(Error::invalid(t!(
            "vouchers.campaign.closed_to_applications",
            title = campaign.data.title,
            opens_on = campaign.data.opens_on,
            closes_on = campaign.data.closes_on,
            phase = phase.label().to_lowercase(),
        )));
    }
    if !submission.on_behalf {
        own_application_only(campaign, &submission.tax_code, caller)?;
    }
    let others = beneficiary_of(&campaign.data, &submission.tax_code)?;
    let (assessment, amount_cents, calculation) =
        match (&campaign.data.rulebook, submission.rulebook_answers) {
            (Some(book), Some(answers)) => {
                let (assessment, calculation) = assess_rulebook(book, answers, &others, today)?;
                let amount = if assessment.status == Status::Ineligible {
                    0
                } else {
                    calculation.outcome.amount_cents
                };
                (assessment, amount, Some(calculation))
            }
            _ => {
                let assessment = assess(&campaign.data, &submission.answers, &others);
                let amount = if assessment.status == Status::Ineligible {
                    0
                } else {
                    campaign
                        .data
                        .amounts
                        .amount(submission.answers.household_size, submission.answers.minors)
                };
                (assessment, amount, None)
            }
        };
    let priority = calculation
        .as_ref()
        .map(|c| c.outcome.priority.clone())
        .unwrap_or_default();
    let action = if submission.on_behalf {
        "submitted_on_behalf"
    } else {
        "submitted"
    };
    let application = Application {
        campaign: campaign.id.clone(),
        tax_code: submission.tax_code.clone(),
        full_name: submission.full_name,
        user_id: (!submission.on_behalf).then(|| caller.id.clone()),
        filed_by: caller.username.clone(),
        on_behalf: submission.on_behalf,
        answers: submission.answers,
        status: assessment.status,
        reasons: assessment.reasons,
        review_rules: assessment.review_rules,
        question: None,
        answer: None,
        rejection: None,
        amount_cents,
        rank: None,
        priority,
        calculation,
        contested_by: None,
        vouchers: Vec::new(),
        transfers: Vec::new(),
        attachments: Vec::new(),
        history: vec![Step {
            at: now,
            actor: caller.username.clone(),
            action: action.to_owned(),
            note: None,
        }],
        protocol: None,
        notice_version: campaign.data.notice_version,
        submitted_at: now,
        updated_at: now,
    };
    let mut application = application;
    // The documents, kept in this call's transaction: a refusal below (a conflict that is
    // answered, a failed write) keeps none of them.
    let owner = (!submission.on_behalf).then_some(caller.id.as_str());
    for (question, count) in &submission.attachments {
        for _ in 0..*count {
            let file = trama_sdk::files::keep(question, owner)?;
            application.attachments.push(Attachment {
                question: question.clone(),
                file,
            });
        }
    }
    // An opaque id: it tells nothing of the tax code, nor of whether the application was held
    // after a collision. One application per tax code (and household) is kept by the claims.
    let id = format!("{}-{}", campaign.id, trama_sdk::store::new_id());
    // Received: its number in the instance's register, for the receipt. Taken in this call, so
    // a refusal below (a collision answered with 409) gives it back.
    application.protocol = Some(trama_sdk::protocol::register(&format!(
        "vouchers application {id}"
    ))?);
    let mut codes = vec![submission.tax_code.clone()];
    if let Some(calculation) = &application.calculation {
        for code in household::member_tax_codes(&calculation.answers) {
            if !codes.contains(&code) {
                codes.push(code);
            }
        }
    }
    // An application from before 1.3 has no claim, only its old id: looked for first.
    let legacy = application_id(&campaign.id, &submission.tax_code);
    let mut pending = APPLICATIONS.get(&legacy)?.map(|_| legacy);
    // The application, its claims and its count in one batch. A conflict is a claim taken
    // first (the same tax code, or a member of the household), or another application counted
    // in the same shard (retried). Written out rather than `store::retry`: a collision is
    // answered at once, and a busy shard gets `MAX_ATTEMPTS` (8) tries, more than the SDK's 5.
    let mut attempts = 0;
    loop {
        if let Some(other) = pending.take() {
            collided(&mut application, caller, &campaign.data.title, other)?;
            codes.clear();
        }
        attempts += 1;
        let mut batch = Batch::new();
        batch.create(&APPLICATIONS, &id, &application);
        household::claim(&mut batch, &campaign.id, &id, &codes);
        let moves = [Move {
            tax_code: &application.tax_code,
            from: None,
            to: application.status,
        }];
        tally::push(&mut batch, &campaign.id, &moves)?;
        match batch.commit() {
            Ok(_) => break,
            Err(Error::Conflict(message)) => {
                pending = household::claimant(&campaign.id, &id, &codes)?;
                if pending.is_none() && attempts >= MAX_ATTEMPTS {
                    return Err(Error::Conflict(message));
                }
            }
            Err(err) => return Err(err),
        }
    }
    let doc = Doc {
        id,
        version: 1,
        data: application,
    };
    let mut detail = serde_json::json!({
        "campaign": campaign.id,
        "status": doc.data.status,
        "attachments": doc.data.attachments.len(),
    });
    if doc.data.on_behalf {
        detail["citizen_name"] = serde_json::json!(doc.data.full_name);
        detail["tax_code"] = serde_json::json!(doc.data.tax_code);
    }
    audit::record(&format!("application.{action}"), &doc.id, &detail)?;
    crate::publish::submitted(&doc.id, &doc.data)?;
    // Refused by the automatic checks: that is its outcome (no vouchers, so no prefix).
    crate::notice::outcome(&doc.id, &doc.data, &campaign.data.title, "");
    Ok(doc)
}

/// What a collision with application `other` (the same tax code, or a member of the
/// household) does to `application`. The office is told (`409`): it files for people and
/// reviews both; so is a citizen whose own application is already in. Anyone else is never
/// told whether someone's number applied: the application is taken as the rules decided it,
/// without claims, and held (`contested_by`) — not ranked until the office, having settled the
/// other one, approves it ([`super::review`]).
fn collided(
    application: &mut Application,
    caller: &User,
    title: &str,
    other: String,
) -> Result<()> {
    let theirs = APPLICATIONS.get(&other)?;
    if theirs
        .as_ref()
        .is_some_and(|app| app.data.user_id.as_deref() == Some(caller.id.as_str()))
    {
        return Err(Error::conflict(t!(
            "vouchers.application.already_applied",
            title = title,
        )));
    }
    if application.on_behalf {
        let same_code = theirs
            .as_ref()
            .is_some_and(|app| app.data.tax_code == application.tax_code);
        return Err(Error::conflict(if same_code {
            t!(
                "vouchers.application.duplicate",
                tax_code = application.tax_code,
                title = title,
            )
        } else {
            t!("vouchers.application.household_applied", title = title)
        }));
    }
    application.contested_by = Some(other);
    Ok(())
}
