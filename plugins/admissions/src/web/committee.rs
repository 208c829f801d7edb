//! The committee's page: the applications and proceedings to examine, the roster, the
//! member's own profile (the links that make conflicts of interest), the exports.

use serde_json::{Value, json};
use trama_sdk::http::{Request, Response};
use trama_sdk::router::Params;
use trama_sdk::store::{Cmp, Doc};
use trama_sdk::submit::Submission;
use trama_sdk::{Result, clock, t, web};

use super::with_form;
use crate::application::{APPLICATIONS, Status};
use crate::case;
use crate::config::Settings;
use crate::motion::{self, MOTIONS};
use crate::roster::{self, Member};
use crate::time::when;

fn application_rows(status: Status) -> Result<Vec<Value>> {
    Ok(case::with_status(&APPLICATIONS, status.key(), 200)?
        .iter()
        .map(|doc| {
            json!({
                "id": doc.id,
                "legal_name": doc.data.org.legal_name,
                "kind": doc.data.kind.label(),
                "status": doc.data.status.key(),
                "status_label": doc.data.status.label(),
                "submitted": when(doc.data.submitted_at),
                "closes": when(doc.data.ballot.closes_at),
                "votes": doc.data.ballot.votes.len(),
                "round": doc.data.ballot.round,
            })
        })
        .collect())
}

fn context(member: &Doc<Member>, settings: &Settings) -> Result<Value> {
    let mut pending = application_rows(Status::Voting)?;
    pending.extend(application_rows(Status::InfoRequested)?);
    let motions: Vec<Value> = case::with_status(&MOTIONS, motion::Status::Voting.key(), 200)?
        .iter()
        .map(|doc| {
            json!({
                "id": doc.id,
                "provider": doc.data.provider_name,
                "kind": doc.data.kind.label(),
                "closes": when(doc.data.ballot.closes_at),
                "votes": doc.data.ballot.votes.len(),
            })
        })
        .collect();
    let decided: Vec<Value> = APPLICATIONS
        .query()
        .filter("decided_at", Cmp::Gt, 0)
        .order_by_desc("decided_at")
        .limit(20)
        .fetch()?
        .iter()
        .map(|doc| {
            json!({
                "id": doc.id,
                "legal_name": doc.data.org.legal_name,
                "status_label": doc.data.status.label(),
                "decided": doc.data.decided_at.map(when),
            })
        })
        .collect();
    let roster: Vec<Value> = roster::current()?
        .iter()
        .map(|doc| {
            json!({
                "id": doc.id,
                "name": doc.data.display_name,
                "username": doc.data.username,
                // Null for a member who has not opened the committee page yet.
                "joined": (doc.data.joined_at > 0).then(|| when(doc.data.joined_at)),
                "links": doc.data.links.len(),
            })
        })
        .collect();
    let links: Vec<String> = member
        .data
        .links
        .iter()
        .map(|l| {
            if l.note.is_empty() {
                l.identifier.clone()
            } else {
                format!("{} {}", l.identifier, l.note)
            }
        })
        .collect();
    Ok(json!({
        "network": settings.network_name,
        "rule": {
            "quorum_percent": settings.rule.quorum_percent,
            "majority": settings.rule.majority.label(),
            "window": settings.voting_window.describe(),
            "rounds": settings.voting_rounds,
        },
        "pending": pending,
        "motions": motions,
        "decided": decided,
        "roster": roster,
        "me": {
            "id": member.id,
            "name": member.data.display_name,
            "tax_code": member.data.tax_code,
            "links": member.data.links,
            "links_text": links.join("\n"),
        },
    }))
}

/// `GET /committee` (role `committee`; the first visit puts the member on the roster).
pub fn page(_: Request, _: Params) -> Result<Response> {
    let (_, member) = roster::require_member(clock::now_ms())?;
    let settings = Settings::load()?;
    Response::render(
        "committee.html",
        &with_form(context(&member, &settings)?, None),
    )
}

/// `GET /api/committee`: the same as JSON.
pub fn api(_: Request, _: Params) -> Result<Response> {
    let (_, member) = roster::require_member(clock::now_ms())?;
    let settings = Settings::load()?;
    Response::json(&context(&member, &settings)?)
}

/// `POST /committee/profile` and `POST /api/committee/profile`: `tax_code` (the member's own,
/// optional) and `links` (one per line or a list: a codice fiscale or partita IVA, then a note).
pub fn profile(request: Request, _: Params) -> Result<Response> {
    let now = clock::now_ms();
    let (_, member) = roster::require_member(now)?;
    let sub = Submission::read(&request, "profile", &["tax_code", "links"])?;
    let (tax_code, links) = match roster::read_profile(&sub.input) {
        Ok(profile) => profile,
        Err(problems) => {
            return sub.refused(problems, |status, form| {
                let settings = Settings::load()?;
                Response::render_with_status(
                    status,
                    "committee.html",
                    &with_form(context(&member, &settings)?, Some(form)),
                )
            });
        }
    };
    let doc = roster::save_profile(member, tax_code, links, now)?;
    if sub.json {
        Response::json(&json!({
            "id": doc.id,
            "tax_code": doc.data.tax_code,
            "links": doc.data.links,
        }))
    } else {
        Ok(web::to("/committee#profile").with_notice(t!("admissions.done.profile_saved")))
    }
}
