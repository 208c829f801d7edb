//! The committee's examination of an open application — comments, requests for information,
//! votes, declared conflicts — and the applicant's answers and withdrawals. Each step is a
//! [`super::change`]: read, check, write, retried on a conflict.

use serde_json::json;
use trama_sdk::identity::User;
use trama_sdk::input::Problems;
use trama_sdk::store::Doc;
use trama_sdk::{Error, Result, audit, t};

use super::*;
use crate::ballot::Choice;
use crate::case::{self};
use crate::config::Settings;
use crate::notice::{self, Message};
use crate::roster::{self, Electorate, Member};
use crate::time::when;

fn refuse_closed(app: &Application) -> Result<()> {
    match app.status {
        Status::Voting => Ok(()),
        Status::InfoRequested => Err(Error::conflict(t!(
            "admissions.application.voting_suspended"
        ))),
        _ => refuse_not_open(app),
    }
}

fn refuse_not_open(app: &Application) -> Result<()> {
    if app.status.is_open() {
        Ok(())
    } else {
        Err(Error::conflict(t!(
            "admissions.application.no_longer_open",
            status = app.status.label().to_lowercase()
        )))
    }
}

/// The electorate of `app`, if `member` may take part in its examination: a member with a
/// conflict of interest takes no part in it ([`Electorate::admit`]).
fn examiners(app: &Application, member: &Doc<Member>) -> Result<Electorate> {
    let electorate = roster::electorate(&app.subject(), &app.conflicts)?;
    electorate.admit(&member.id, |because| {
        t!("admissions.application.conflicted", because = because)
    })?;
    Ok(electorate)
}

/// Checks a free text (comment, question, answer, motivation): 1 to [`MAX_TEXT`] characters.
pub fn check_text(field: &str, text: Option<&str>) -> std::result::Result<String, Problems> {
    let mut problems = Problems::default();
    match text {
        None => problems.push(field, t!("admissions.problems.text_missing")),
        Some(text) if text.chars().count() > MAX_TEXT => problems.push(
            field,
            t!("admissions.problems.text_too_long", max = MAX_TEXT),
        ),
        Some(text) => return Ok(text.to_owned()),
    }
    Err(problems)
}

/// A member's vote. Refused with a `403` for a member with a conflict of interest (and the
/// refusal audited), with a `409` once voting is suspended or over.
pub fn vote(
    id: &str,
    member: &Doc<Member>,
    choice: Choice,
    reason: Option<String>,
    settings: &Settings,
    now: i64,
) -> Result<Doc<Application>> {
    let current = load(id)?;
    let electorate = roster::electorate(&current.data.subject(), &current.data.conflicts)?;
    case::audit_refused(id, member, &electorate)?;
    let result = change(id, settings, now, |app| {
        refuse_closed(app)?;
        if now >= app.ballot.closes_at {
            return Err(Error::conflict(t!("admissions.case.vote_closed")));
        }
        let electorate = examiners(app, member)?;
        let previous = case::cast(app, member, choice, reason.clone(), now);
        case::decide_if_certain(app, electorate, settings, now);
        Ok(Some(previous))
    })?;
    case::voted(id, member, choice, result)
}

/// A member's comment, for the committee only.
pub fn comment(
    id: &str,
    member: &Doc<Member>,
    text: String,
    settings: &Settings,
    now: i64,
) -> Result<Doc<Application>> {
    let (doc, ()) = change(id, settings, now, |app| {
        refuse_not_open(app)?;
        examiners(app, member)?;
        if app.comments.len() >= MAX_COMMENTS {
            return Err(Error::invalid(t!(
                "admissions.application.too_many_comments"
            )));
        }
        app.comments.push(Comment {
            member: member.id.clone(),
            name: member.data.display_name.clone(),
            text: text.clone(),
            at: now,
        });
        Ok(Some(()))
    })?
    .ok_or_else(|| Error::internal("a comment changed nothing"))?;
    audit::record(
        "application.commented",
        id,
        &json!({ "member": member.data.username }),
    )?;
    Ok(doc)
}

/// A member asks the applicant for information: voting is suspended until the answer.
pub fn request_info(
    id: &str,
    member: &Doc<Member>,
    question: String,
    settings: &Settings,
    now: i64,
) -> Result<Doc<Application>> {
    let (doc, ()) = change(id, settings, now, |app| {
        refuse_closed(app)?;
        examiners(app, member)?;
        app.requests.push(InfoRequest {
            question: question.clone(),
            asked_by: member.data.display_name.clone(),
            asked_at: now,
            answer: None,
            answered_at: None,
        });
        app.status = Status::InfoRequested;
        app.step(now, &member.data.display_name, "info_requested", None);
        Ok(Some(()))
    })?
    .ok_or_else(|| Error::internal("a request changed nothing"))?;
    audit::record(
        "application.info_requested",
        id,
        &json!({ "member": member.data.username }),
    )?;
    let n = doc.data.requests.len();
    notice::send(
        &doc.data.user_id,
        &format!("application/{id}/request/{n}"),
        &(|| Message {
            subject: t!("admissions.notice.info_requested_subject"),
            body: t!(
                "admissions.notice.info_requested_body",
                name = doc.data.org.legal_name,
                question = question
            ),
            link: Some(Application::link(id)),
        }),
    );
    Ok(doc)
}

/// The applicant answers the pending question; a fresh voting window opens.
pub fn answer(
    id: &str,
    user: &User,
    text: String,
    settings: &Settings,
    now: i64,
) -> Result<Doc<Application>> {
    let (doc, ()) = change(id, settings, now, |app| {
        if app.status != Status::InfoRequested || app.pending_request().is_none() {
            return Err(Error::conflict(t!(
                "admissions.application.nothing_to_answer"
            )));
        }
        if let Some(request) = app.requests.last_mut() {
            request.answer = Some(text.clone());
            request.answered_at = Some(now);
        }
        app.status = Status::Voting;
        app.ballot.closes_at = now.saturating_add(settings.voting_window.as_ms());
        app.step(now, &user.display_name, "answered", None);
        Ok(Some(()))
    })?
    .ok_or_else(|| Error::internal("an answer changed nothing"))?;
    audit::record(
        "application.answered",
        id,
        &json!({ "user": user.username }),
    )?;
    let electorate = roster::electorate(&doc.data.subject(), &doc.data.conflicts)?;
    let n = doc.data.requests.len();
    notice::send_to_members(
        &electorate.voters,
        &format!("application/{id}/answer/{n}"),
        &(|| Message {
            subject: t!(
                "admissions.notice.answered_subject",
                name = doc.data.org.legal_name
            ),
            body: t!(
                "admissions.notice.answered_body",
                name = doc.data.org.legal_name,
                closes = when(doc.data.ballot.closes_at)
            ),
            link: Some(Application::link(id)),
        }),
    );
    Ok(doc)
}

/// The applicant withdraws one catalogue entry (at least one must remain).
pub fn withdraw_service(
    id: &str,
    user: &User,
    service: &str,
    settings: &Settings,
    now: i64,
) -> Result<Doc<Application>> {
    let (doc, title) = change(id, settings, now, |app| {
        refuse_not_open(app)?;
        let remaining = app.services.iter().filter(|s| !s.withdrawn).count();
        let Some(entry) = app
            .services
            .iter_mut()
            .find(|s| s.id == service && !s.withdrawn)
        else {
            return Err(Error::not_found(t!(
                "admissions.application.no_such_service",
                service = service
            )));
        };
        if remaining <= 1 {
            return Err(Error::invalid(t!("admissions.application.last_service")));
        }
        entry.withdrawn = true;
        let title = entry.title.clone();
        app.step(
            now,
            &user.display_name,
            "service_withdrawn",
            Some(title.clone()),
        );
        Ok(Some(title))
    })?
    .ok_or_else(|| Error::internal("a withdrawal changed nothing"))?;
    audit::record(
        "application.service_withdrawn",
        id,
        &json!({ "service": service, "title": title }),
    )?;
    Ok(doc)
}

/// The applicant withdraws the whole application.
pub fn withdraw(id: &str, user: &User, settings: &Settings, now: i64) -> Result<Doc<Application>> {
    let (doc, ()) = change(id, settings, now, |app| {
        refuse_not_open(app)?;
        app.status = Status::Withdrawn;
        app.step(now, &user.display_name, "withdrawn", None);
        Ok(Some(()))
    })?
    .ok_or_else(|| Error::internal("a withdrawal changed nothing"))?;
    Ok(doc)
}

/// A member declares a conflict of interest on the application: their vote, if any, no longer
/// counts, and the rule is checked again on the smaller electorate.
pub fn declare_conflict(
    id: &str,
    member: &Doc<Member>,
    note: String,
    settings: &Settings,
    now: i64,
) -> Result<Doc<Application>> {
    let (doc, withdrawn) = change(id, settings, now, |app| {
        refuse_not_open(app)?;
        let Some(withdrawn) = case::declare(app, member, &note, now) else {
            return Err(Error::conflict(t!(
                "admissions.application.conflict_already_declared"
            )));
        };
        app.step(
            now,
            &member.data.display_name,
            "conflict_declared",
            Some(note.clone()),
        );
        if app.status == Status::Voting && now < app.ballot.closes_at {
            let electorate = roster::electorate(&app.subject(), &app.conflicts)?;
            case::decide_if_certain(app, electorate, settings, now);
        }
        Ok(Some(withdrawn))
    })?
    .ok_or_else(|| Error::internal("a declaration changed nothing"))?;
    case::audit_conflict(id, member, &note, withdrawn)?;
    Ok(doc)
}
