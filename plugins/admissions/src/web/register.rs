//! The public register of accredited providers, a provider's page, and the proceedings
//! (suspension, revocation, reinstatement) the committee votes on.

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use trama_sdk::http::{Request, Response};
use trama_sdk::identity::{self, User};
use trama_sdk::input::{Input, Problems};
use trama_sdk::router::Params;
use trama_sdk::store::{Cmp, Doc};
use trama_sdk::submit::Submission;
use trama_sdk::{Error, Result, clock, t, web};

use super::applications::{
    DecisionView, StepView, VoteView, decision_view, read_vote, steps, vote_views,
};
use super::{FormState, answer_step, verb, with_form};
use crate::application::check_text;
use crate::config::Settings;
use crate::motion::{self, Kind, Motion};
use crate::provider::{self, PROVIDERS, ProviderView, Status};
use crate::roster::{self, Member};
use crate::time::when;

#[derive(Deserialize)]
struct RegisterQuery {
    /// `all` for every entry, a status key for one; accredited ones otherwise.
    status: Option<String>,
    category: Option<String>,
}

/// The entries of the register, by name.
pub fn entries(status: Option<&str>, category: Option<&str>) -> Result<Vec<ProviderView>> {
    let mut query = PROVIDERS.query();
    match status.filter(|s| !s.is_empty()) {
        Some("all") => {}
        Some(key) => {
            let Some(status) = Status::parse(key) else {
                return Err(Error::bad_request(format!(
                    "query parameter `status`: `{key}` is not `all` nor one of {}",
                    Status::ALL.map(|s| format!("`{}`", s.key())).join(", ")
                )));
            };
            query = query.filter("status", Cmp::Eq, status.key());
        }
        None => query = query.filter("status", Cmp::Eq, Status::Active.key()),
    }
    Ok(query
        .order_by("org.legal_name")
        .limit(1000)
        .fetch()?
        .iter()
        .filter(|doc| {
            category
                .filter(|c| !c.is_empty())
                .is_none_or(|c| doc.data.categories.iter().any(|own| own == c))
        })
        .map(ProviderView::new)
        .collect())
}

/// `GET /register` (public): the accredited providers; `?status=all|active|suspended|revoked|expired`,
/// `?category=`.
pub fn page(request: Request, _: Params) -> Result<Response> {
    let query: RegisterQuery = request.parse_query()?;
    let settings = Settings::load()?;
    let providers = entries(query.status.as_deref(), query.category.as_deref())?;
    Response::render(
        "register.html",
        &json!({
            "network": settings.network_name,
            "providers": providers,
            "categories": settings.categories,
            "category": query.category.unwrap_or_default(),
            "status": query.status.unwrap_or_default(),
            "statuses": Status::ALL.iter().map(|s| json!({ "key": s.key(), "label": s.label() })).collect::<Vec<_>>(),
        }),
    )
}

/// `GET /api/register` (public): the same entries as JSON.
pub fn api_list(request: Request, _: Params) -> Result<Response> {
    let query: RegisterQuery = request.parse_query()?;
    Response::json(&entries(
        query.status.as_deref(),
        query.category.as_deref(),
    )?)
}

#[derive(Debug, Clone, Serialize)]
pub struct MotionView {
    pub id: String,
    pub provider_id: String,
    pub provider_name: String,
    pub kind: Kind,
    pub kind_label: String,
    pub reason: String,
    pub proposer: String,
    pub status: motion::Status,
    pub status_label: String,
    pub opened: String,
    pub closes: Option<String>,
    pub round: u32,
    pub statement: Option<Value>,
    pub decision: Option<DecisionView>,
    /// For the committee only.
    pub votes: Option<Vec<VoteView>>,
    pub history: Vec<StepView>,
}

impl MotionView {
    pub fn new(doc: &Doc<Motion>, committee: bool) -> Self {
        let m = &doc.data;
        let voting = m.status == motion::Status::Voting;
        Self {
            id: doc.id.clone(),
            provider_id: m.provider_id.clone(),
            provider_name: m.provider_name.clone(),
            kind: m.kind,
            kind_label: m.kind.label(),
            reason: m.reason.clone(),
            proposer: if committee {
                m.proposer_name.clone()
            } else {
                t!("admissions.steps.the_committee")
            },
            status: m.status,
            status_label: m.status.label(),
            opened: when(m.opened_at),
            closes: voting.then(|| when(m.ballot.closes_at)),
            round: m.ballot.round,
            statement: m
                .statement
                .as_ref()
                .map(|s| json!({ "text": s.text, "at": when(s.at) })),
            decision: m.decision.as_ref().map(|d| decision_view(d, committee)),
            votes: committee.then(|| vote_views(&m.ballot.votes)),
            history: steps(&m.history, !committee),
        }
    }
}

fn member_if_any() -> Result<Option<Doc<Member>>> {
    if identity::caller().is_some() && identity::has_role(roster::ROLE) {
        Ok(Some(roster::require_member(clock::now_ms())?.1))
    } else {
        Ok(None)
    }
}

fn provider_page(id: &str, status: u16, form: Option<FormState>) -> Result<Response> {
    let doc = provider::load(id)?;
    let member = member_if_any()?;
    let user = identity::caller();
    let owner = user.as_ref().is_some_and(|u| u.id == doc.data.user_id);
    let motions: Vec<MotionView> = if member.is_some() || owner {
        motion::of_provider(id)?
            .iter()
            .map(|m| MotionView::new(m, member.is_some()))
            .collect()
    } else {
        Vec::new()
    };
    let kinds: Vec<Value> = Kind::ALL
        .iter()
        .filter(|k| k.applies_to(doc.data.status))
        .map(|k| json!({ "key": k.key(), "label": k.label() }))
        .collect();
    let context = json!({
        "provider": ProviderView::new(&doc),
        "is_member": member.is_some(),
        "is_owner": owner,
        "can_renew": owner && matches!(doc.data.status, Status::Active | Status::Expired),
        "motions": motions,
        "kinds": kinds,
    });
    Response::render_with_status(status, "provider.html", &with_form(context, form))
}

/// `GET /register/{id}` (public): a provider's entry; its proceedings for the committee and the
/// provider itself.
pub fn provider(_: Request, params: Params) -> Result<Response> {
    provider_page(params.get("id")?, 200, None)
}

/// `GET /api/register/{id}` (public)
pub fn api_provider(_: Request, params: Params) -> Result<Response> {
    let doc = provider::load(params.get("id")?)?;
    Response::json(&ProviderView::new(&doc))
}

fn read_motion(input: &Input) -> std::result::Result<(Kind, String), Problems> {
    let mut problems = Problems::default();
    let kind = match input.one("kind") {
        Some(key) => Kind::parse(key),
        None => None,
    };
    if kind.is_none() {
        problems.push("kind", t!("admissions.motion.kind_missing"));
    }
    let reason = match motion::read_reason(input.one("reason")) {
        Ok(reason) => Some(reason),
        Err(more) => {
            problems.0.extend(more.0);
            None
        }
    };
    match (kind, reason) {
        (Some(kind), Some(reason)) if problems.is_empty() => Ok((kind, reason)),
        _ => Err(problems),
    }
}

/// `POST /register/{id}/motions` and `POST /api/register/{id}/motions` (committee): `kind`
/// (`suspend`, `revoke`, `reinstate`) and `reason`; `201` with the proceeding.
pub fn open_motion(request: Request, params: Params) -> Result<Response> {
    let now = clock::now_ms();
    let (_, member) = roster::require_member(now)?;
    let id = params.get("id")?.to_owned();
    let sub = Submission::read(&request, "motion", &["kind", "reason"])?;
    let settings = Settings::load()?;
    let show = |status, form| provider_page(&id, status, Some(form));
    let (kind, reason) = match read_motion(&sub.input) {
        Ok(read) => read,
        Err(problems) => return sub.refused(problems, show),
    };
    sub.answer(
        motion::open(&id, kind, reason, &member, &settings, now),
        |doc| {
            let done = t!("admissions.done.motion_opened");
            sub.done(
                &MotionView::new(&doc, true),
                &format!("/motions/{}", doc.id),
            )
            .map(|answer| answer.with_notice(done))
        },
        show,
    )
}

/// Who looks at a proceeding: a committee member, or the provider's account.
struct Viewer {
    user: User,
    member: Option<Doc<Member>>,
}

fn visible(id: &str) -> Result<(Viewer, Doc<Motion>)> {
    let user = identity::require_login()?;
    let member = member_if_any()?;
    let doc = motion::load(id)?;
    if member.is_none() {
        let provider = provider::load(&doc.data.provider_id)?;
        if provider.data.user_id != user.id {
            return Err(motion::not_found(id));
        }
    }
    Ok((Viewer { user, member }, doc))
}

/// Whether the viewer follows the committee's work on the proceeding: a member, unless they
/// have a conflict of interest while it is open (as for applications).
fn follows(viewer: &Viewer, doc: &Doc<Motion>) -> Result<bool> {
    let Some(member) = &viewer.member else {
        return Ok(false);
    };
    if doc.data.status != motion::Status::Voting {
        return Ok(true);
    }
    let provider = provider::load(&doc.data.provider_id)?;
    let subject = provider.data.subject();
    let electorate = roster::electorate(&subject, &doc.data.conflicts)?;
    Ok(electorate.conflict_of(&member.id).is_none())
}

fn motion_page(id: &str, status: u16, form: Option<FormState>) -> Result<Response> {
    let (viewer, doc) = visible(id)?;
    let voting =
        doc.data.status == motion::Status::Voting && clock::now_ms() < doc.data.ballot.closes_at;
    let mut me = json!({});
    if let Some(member) = &viewer.member {
        let provider = provider::load(&doc.data.provider_id)?;
        let subject = provider.data.subject();
        let electorate = roster::electorate(&subject, &doc.data.conflicts)?;
        let conflict = electorate.conflict_of(&member.id).map(|c| c.describe());
        let count = doc.data.ballot.count(&electorate.ids());
        let settings = Settings::load()?;
        me = json!({
            "conflict": conflict,
            "my_vote": doc.data.ballot.vote_of(&member.id).map(|v| v.choice.key()),
            "can_vote": conflict.is_none() && voting,
            "can_declare": voting && !doc.data.conflicts.iter().any(|d| d.member == member.id),
            "count": count,
            "quorum": settings.rule.quorum(count.electorate),
        });
    }
    let is_owner = viewer.member.is_none();
    let context = json!({
        "motion": MotionView::new(&doc, follows(&viewer, &doc)?),
        "is_member": viewer.member.is_some(),
        "is_owner": is_owner,
        "can_state": is_owner && voting,
        "me": me,
        "viewer": viewer.user.display_name,
    });
    Response::render_with_status(status, "motion.html", &with_form(context, form))
}

/// `GET /motions/{id}`
pub fn motion_get(_: Request, params: Params) -> Result<Response> {
    motion_page(params.get("id")?, 200, None)
}

/// `GET /api/motions/{id}`
pub fn api_motion(_: Request, params: Params) -> Result<Response> {
    let (viewer, doc) = visible(params.get("id")?)?;
    Response::json(&MotionView::new(&doc, follows(&viewer, &doc)?))
}

/// `POST /motions/{id}/vote` (`choice`, `reason`), `…/conflict` (`note`) for members,
/// `…/statement` (`text`) for the provider; the same under `/api/`.
pub fn motion_step(request: Request, params: Params) -> Result<Response> {
    let id = params.get("id")?.to_owned();
    let (viewer, _) = visible(&id)?;
    let verb = verb(&request);
    let sub = Submission::read(&request, &verb, &["choice", "reason", "note", "text"])?;
    let input = &sub.input;
    let settings = Settings::load()?;
    let now = clock::now_ms();
    let result = match (verb.as_str(), &viewer.member) {
        ("vote", Some(member)) => read_vote(input)
            .map(|(choice, reason)| motion::vote(&id, member, choice, reason, &settings, now)),
        ("conflict", Some(member)) => check_text("note", input.one("note"))
            .map(|note| motion::declare_conflict(&id, member, note, &settings, now)),
        ("statement", None) => check_text("text", input.one("text"))
            .map(|text| motion::statement(&id, &viewer.user, text, now)),
        ("vote" | "conflict", None) => {
            return Err(Error::forbidden(t!("admissions.motion.members_only")));
        }
        ("statement", Some(_)) => {
            return Err(Error::forbidden(t!("admissions.motion.provider_only")));
        }
        (other, _) => {
            return Err(Error::not_found(format!(
                "there is no step `{other}` on a proceeding"
            )));
        }
    };
    answer_step(
        &sub,
        result,
        |status, form| motion_page(&id, status, Some(form)),
        |doc| {
            if sub.json {
                Response::json(&MotionView::new(&doc, follows(&viewer, &doc)?))
            } else {
                let done = match verb.as_str() {
                    "vote" => t!("admissions.done.voted"),
                    "conflict" => t!("admissions.done.conflict_declared"),
                    _ => t!("admissions.done.statement_sent"),
                };
                Ok(web::to(&format!("/motions/{id}")).with_notice(done))
            }
        },
    )
}
