//! The person's own case on `/me`, "download my data" and erasure.
//!
//! A case file is part of the social services' records, which the municipality must keep: an
//! erasure unlinks the person's account from it (so they no longer reach it by logging in) and
//! says so in `kept`, but does not delete or rewrite it. The download holds the case as the
//! person reads it — without the sensitive notes, which stay sealed — and is an audited read.

use serde_json::json;
use trama_sdk::http::{Request, Response};
use trama_sdk::mine::{self, Item};
use trama_sdk::personal_data::{Erased, Export};
use trama_sdk::router::Params;
use trama_sdk::store::Cmp;
use trama_sdk::{Result, audit, identity, t};

use crate::case::CASES;
use crate::note;
use crate::request::REQUESTS;
use crate::web::BASE;
use crate::web::desk::own_cases;
use crate::web::requests::own_requests;

/// `GET /api/mine`: the person's own cases, and their requests for help with their state.
pub fn mine(_: Request, _: Params) -> Result<Response> {
    let user = identity::require_login()?;
    let requests = own_requests(&user)?.into_iter().map(|doc| Item {
        title: t!("casework.request.mine"),
        status: doc.data.stage.label(),
        href: format!("{BASE}/requests/{}", doc.id),
        at: doc.data.taken_at.unwrap_or(doc.data.sent_at),
    });
    let items = own_cases(&user)?
        .into_iter()
        .map(|doc| Item {
            title: t!("casework.mine.title", team = doc.data.team),
            status: doc.data.status.label(),
            href: format!("{BASE}/cases/{}", doc.id),
            at: doc.data.opened_at,
        })
        .chain(requests)
        .collect();
    Response::json(&mine::newest_first(items))
}

/// `GET /api/personal-data`
pub fn export(_: Request, _: Params) -> Result<Response> {
    let user = identity::require_login()?;
    let cases = own_cases(&user)?;
    let mut notes = Vec::new();
    let mut documents = Vec::new();
    for case in &cases {
        // The documents shared with the person, by name (the files stay with the case).
        for doc in crate::attachment::of_case(&case.id)? {
            if doc.data.shareable {
                documents.push(json!({ "case": case.id, "title": doc.data.title, "name": doc.data.file.name, "at": doc.data.at }));
            }
        }
        audit::record(
            "case.read.self",
            &case.id,
            &json!({ "reader": user.id, "relation": "self", "purpose": "personal_data" }),
        )?;
        for n in note::of_case(&case.id)? {
            if !n.data.sensitive {
                notes.push(json!({ "case": case.id, "at": n.data.at, "text": n.data.text }));
            }
        }
    }
    // The requests as the person sent them: what they wrote is theirs to read back.
    let requests = own_requests(&user)?;
    // What the case team recorded beside the file: referrals (with their reasons), the
    // household's ISEE and residence, and the contacts made about open measures.
    let mut referrals = Vec::new();
    let mut profiles = Vec::new();
    let mut contacts = Vec::new();
    let mut assessments = Vec::new();
    for case in &cases {
        for r in crate::referral::of_case(&case.id)? {
            referrals.push(json!({
                "case": case.id, "service": r.data.service, "campaign": r.data.campaign_title,
                "offer": r.data.offer_title,
                "body": r.data.body, "contact": r.data.contact, "reason": r.data.reason,
                "state": r.data.state,
                "steps": r.data.steps.iter().map(|s| json!({ "at": s.at, "state": s.state })).collect::<Vec<_>>(),
            }));
        }
        // The household's situation as the team assessed it at intake and at each review, oldest
        // first.
        let baseline = crate::situation::baseline_of(&case.id)?;
        let mut reviews = crate::review::of_case(&case.id)?;
        reviews.sort_by_key(|r| r.data.at);
        let reviewed: Vec<_> = reviews
            .into_iter()
            .filter_map(|r| {
                r.data.situation.map(|level| json!({ "at": r.data.at, "level": level, "compared_with": r.data.before }))
            })
            .collect();
        if baseline.is_some() || !reviewed.is_empty() {
            assessments.push(json!({
                "case": case.id,
                "at_intake": baseline.map(|b| json!({ "at": b.at, "level": b.level, "levels": b.levels })),
                "at_reviews": reviewed,
            }));
        }
        let profile = crate::profile::of(&case.id)?;
        if !profile.is_empty() {
            profiles.push(json!({ "case": case.id, "profile": profile }));
        }
        for c in crate::outreach::CONTACTS
            .query()
            .filter("case", Cmp::Eq, case.id.as_str())
            .fetch_all()?
        {
            contacts.push(json!({
                "case": case.id, "date": c.data.date, "channel": c.data.channel, "result": c.data.result,
            }));
        }
    }
    Export::new()
        .with("cases", &cases)?
        .with("requests", &requests)?
        .with_value("notes", json!(notes))
        .with_value("documents", json!(documents))
        .with_value("referrals", json!(referrals))
        .with_value("profiles", json!(profiles))
        .with_value("assessments", json!(assessments))
        .with_value("outreach_contacts", json!(contacts))
        .response()
}

/// `DELETE /api/personal-data`: unlinks the account, keeps the case files.
pub fn erase(_: Request, _: Params) -> Result<Response> {
    let user = identity::require_login()?;
    let mut erased = Erased::default();
    let linked = CASES
        .query()
        .filter("account", Cmp::Eq, user.id.as_str())
        .fetch_all()?;
    for doc in &linked {
        let mut case = doc.data.clone();
        case.account = None;
        CASES.put_if_version(&doc.id, &case, doc.version)?;
        erased.count(1);
    }
    // A request is the person's own message: deleted. One already taken lives on in its case.
    for doc in own_requests(&user)? {
        REQUESTS.delete(&doc.id)?;
        erased.count(1);
    }
    if !linked.is_empty() || !own_cases(&user)?.is_empty() {
        erased.keep(t!("casework.erasure.what"), t!("casework.erasure.why"));
    }
    erased.finish(&user)
}
