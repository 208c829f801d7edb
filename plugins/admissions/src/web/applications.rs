//! An application's page and API: what the applicant sees (status, requests to answer, the
//! decision and its reasons) and what the committee sees and does (comments, requests for
//! information, conflicts, votes).

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use trama_sdk::http::{Request, Response};
use trama_sdk::i18n::Lang;
use trama_sdk::identity::{self, User};
use trama_sdk::input::{Input, Problems};
use trama_sdk::router::Params;
use trama_sdk::store::{Cmp, Doc};
use trama_sdk::submit::Submission;
use trama_sdk::{Error, Result, clock, web};

use super::{FormState, lang, verb, with_form};
use crate::application::{self, APPLICATIONS, Application, Status, check_text};
use crate::ballot::{Choice, Count};
use crate::catalogue::Service;
use crate::config::Settings;
use crate::decision::{ClosedBy, Decision};
use crate::organisation::Organisation;
use crate::roster::{self, Electorate, Member};
use crate::time::{iso, when};

#[derive(Debug, Clone, Serialize)]
pub struct RequestView {
    pub question: String,
    pub asked_by: String,
    pub asked: String,
    pub answer: Option<String>,
    pub answered: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct VoteView {
    pub name: String,
    pub choice: Choice,
    pub choice_label: &'static str,
    pub reason: Option<String>,
    pub at: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct DecisionView {
    pub outcome: &'static str,
    pub summary: String,
    pub reasons: Vec<String>,
    pub decided: String,
    pub decided_iso: String,
    pub closed_by: ClosedBy,
    pub round: u32,
    /// The votes, for the committee only.
    pub votes: Option<Vec<VoteView>>,
    /// Members excluded for a conflict, for the committee only.
    pub excluded: Option<Vec<ExcludedView>>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ExcludedView {
    pub name: String,
    pub reason: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct StepView {
    pub at: String,
    pub at_iso: String,
    pub actor: String,
    pub action: String,
    pub note: Option<String>,
}

/// What only committee members see.
#[derive(Debug, Clone, Serialize)]
pub struct CommitteeView {
    pub comments: Vec<Value>,
    pub votes: Vec<VoteView>,
    pub electorate: u32,
    pub quorum: u32,
    pub count: Count,
    pub excluded: Vec<ExcludedView>,
    pub history: Vec<StepView>,
}

/// An application as pages and the API show it.
#[derive(Debug, Clone, Serialize)]
pub struct ApplicationView {
    pub id: String,
    pub kind: crate::application::Kind,
    pub kind_label: &'static str,
    pub status: Status,
    pub status_label: &'static str,
    pub open: bool,
    pub org: Organisation,
    pub legal_form_label: &'static str,
    pub address: String,
    pub categories: Vec<String>,
    pub services: Vec<Service>,
    pub declarations: Vec<String>,
    pub ethics_version: String,
    pub submitted: String,
    pub submitted_iso: String,
    /// When the current window closes, while voting.
    pub closes: Option<String>,
    pub closes_iso: Option<String>,
    pub round: u32,
    pub requests: Vec<RequestView>,
    pub pending_question: Option<String>,
    pub decision: Option<DecisionView>,
    /// After a rejection: from when a new application is accepted (Rome time, for people).
    pub reapply_from: Option<String>,
    /// The same instant in RFC 3339 (UTC), for API clients.
    pub reapply_from_iso: Option<String>,
    pub provider_id: Option<String>,
    pub history: Vec<StepView>,
    pub committee: Option<CommitteeView>,
}

fn action_label(action: &str, lang: Lang) -> &'static str {
    match action {
        "submitted" => lang.pick("domanda presentata", "application submitted"),
        "voted" => lang.pick("ha votato", "voted"),
        "vote_changed" => lang.pick("ha cambiato voto", "changed their vote"),
        "info_requested" => lang.pick("richiesta di integrazione", "information requested"),
        "answered" => lang.pick("risposta del richiedente", "the applicant answered"),
        "service_withdrawn" => lang.pick("servizio ritirato", "service withdrawn"),
        "withdrawn" => lang.pick("domanda ritirata", "application withdrawn"),
        "conflict_declared" => lang.pick(
            "conflitto di interessi dichiarato",
            "conflict of interest declared",
        ),
        "new_round" => lang.pick(
            "nuovo turno di votazione per mancanza di quorum",
            "new round for lack of quorum",
        ),
        "decided" => lang.pick("decisione", "decision"),
        "opened" => lang.pick("procedimento aperto", "proceeding opened"),
        "statement" => lang.pick("controdeduzioni del fornitore", "the provider's statement"),
        _ => lang.pick("altro", "other"),
    }
}

/// Steps the applicant sees (no votes, no declarations of members).
const PUBLIC_STEPS: &[&str] = &[
    "submitted",
    "opened",
    "statement",
    "info_requested",
    "answered",
    "service_withdrawn",
    "withdrawn",
    "new_round",
    "decided",
];

pub fn steps(history: &[application::Step], public: bool, lang: Lang) -> Vec<StepView> {
    history
        .iter()
        .filter(|s| !public || PUBLIC_STEPS.contains(&s.action.as_str()))
        .map(|s| StepView {
            at: when(s.at),
            at_iso: iso(s.at),
            actor: if public
                && ![
                    "submitted",
                    "answered",
                    "service_withdrawn",
                    "withdrawn",
                    "statement",
                ]
                .contains(&s.action.as_str())
            {
                lang.pick("comitato", "committee").to_owned()
            } else {
                s.actor.clone()
            },
            action: action_label(&s.action, lang).to_owned(),
            note: s.note.clone().filter(|_| s.action != "decided"),
        })
        .collect()
}

fn vote_views(votes: &[crate::ballot::Vote], lang: Lang) -> Vec<VoteView> {
    votes
        .iter()
        .map(|v| VoteView {
            name: v.name.clone(),
            choice: v.choice,
            choice_label: v.choice.label(lang),
            reason: v.reason.clone(),
            at: when(v.at),
        })
        .collect()
}

fn excluded_views(electorate: &Electorate, lang: Lang) -> Vec<ExcludedView> {
    electorate
        .excluded
        .iter()
        .map(|e| ExcludedView {
            name: e.member.name.clone(),
            reason: e.conflict.describe(lang),
        })
        .collect()
}

pub fn decision_view(decision: &Decision, committee: bool, lang: Lang) -> DecisionView {
    DecisionView {
        outcome: decision.outcome.key(),
        summary: decision.summary(lang),
        reasons: decision.reasons.clone(),
        decided: when(decision.at),
        decided_iso: iso(decision.at),
        closed_by: decision.closed_by,
        round: decision.round,
        votes: committee.then(|| vote_views(&decision.votes, lang)),
        excluded: committee.then(|| excluded_views(&decision.electorate, lang)),
    }
}

impl ApplicationView {
    /// The view of `doc`; with `roster` (the committee's members), what the committee sees.
    pub fn new(
        doc: &Doc<Application>,
        roster: Option<&[Doc<Member>]>,
        settings: &Settings,
        lang: Lang,
    ) -> Result<Self> {
        let app = &doc.data;
        let voting = app.status == Status::Voting;
        let committee = roster.is_some();
        let committee_view = if let Some(members) = roster {
            let electorate = roster::electorate_of(members, &app.subject(), &app.conflicts);
            let count = app.ballot.count(&electorate.ids());
            Some(CommitteeView {
                comments: app
                    .comments
                    .iter()
                    .map(|c| json!({ "name": c.name, "text": c.text, "at": when(c.at) }))
                    .collect(),
                votes: vote_views(&app.ballot.votes, lang),
                electorate: count.electorate,
                quorum: settings.rule.quorum(count.electorate),
                count,
                excluded: excluded_views(&electorate, lang),
                history: steps(&app.history, false, lang),
            })
        } else {
            None
        };
        let reapply_at = (app.status == Status::Rejected)
            .then(|| {
                app.decided_at
                    .map(|at| at.saturating_add(settings.reapply_after.as_ms()))
            })
            .flatten();
        Ok(Self {
            id: doc.id.clone(),
            kind: app.kind,
            kind_label: app.kind.label(lang),
            status: app.status,
            status_label: app.status.label(lang),
            open: app.status.is_open(),
            org: app.org.clone(),
            legal_form_label: app.org.legal_form.label(lang),
            address: app.org.address(),
            categories: app.categories.clone(),
            services: app.services.clone(),
            declarations: app.declarations.clone(),
            ethics_version: app.ethics_version.clone(),
            submitted: when(app.submitted_at),
            submitted_iso: iso(app.submitted_at),
            closes: voting.then(|| when(app.ballot.closes_at)),
            closes_iso: voting.then(|| iso(app.ballot.closes_at)),
            round: app.ballot.round,
            requests: app
                .requests
                .iter()
                .map(|r| RequestView {
                    question: r.question.clone(),
                    asked_by: if committee {
                        r.asked_by.clone()
                    } else {
                        lang.pick("il comitato", "the committee").to_owned()
                    },
                    asked: when(r.asked_at),
                    answer: r.answer.clone(),
                    answered: r.answered_at.map(when),
                })
                .collect(),
            pending_question: app.pending_request().map(|r| r.question.clone()),
            decision: app
                .decision
                .as_ref()
                .map(|d| decision_view(d, committee, lang)),
            reapply_from: reapply_at.map(when),
            reapply_from_iso: reapply_at.map(iso),
            provider_id: app.provider_id.clone(),
            history: steps(&app.history, !committee, lang),
            committee: committee_view,
        })
    }
}

/// Who is looking at an application.
struct Viewer {
    user: User,
    member: Option<Doc<Member>>,
}

fn viewer(lang: Lang) -> Result<Viewer> {
    let user = identity::require_login_in(lang)?;
    let member = if identity::has_role(roster::ROLE) {
        Some(roster::require_member(lang, clock::now_ms())?.1)
    } else {
        None
    };
    Ok(Viewer { user, member })
}

/// The committee's members, if the viewer may follow the committee's work on `app`: not the
/// applicant, and not a member with a conflict of interest while the case is open — such a
/// member takes no part in the discussion, so does not follow it either (the minutes are there
/// once it is decided).
fn committee_access(viewer: &Viewer, app: &Application) -> Result<Option<Vec<Doc<Member>>>> {
    let Some(member) = &viewer.member else {
        return Ok(None);
    };
    let members = roster::current()?;
    let conflicted = roster::electorate_of(&members, &app.subject(), &app.conflicts)
        .conflict_of(&member.id)
        .is_some();
    Ok((!conflicted || !app.status.is_open()).then_some(members))
}

/// The application, if the viewer may see it: its applicant or a committee member. Anyone
/// else gets the same 404 as for an id that does not exist.
fn visible(id: &str, viewer: &Viewer, lang: Lang) -> Result<Doc<Application>> {
    let doc = application::load(id, lang)?;
    if viewer.member.is_some() || doc.data.user_id == viewer.user.id {
        Ok(doc)
    } else {
        Err(application::not_found(id, lang))
    }
}

fn render(
    id: &str,
    viewer: &Viewer,
    status: u16,
    form: Option<FormState>,
    lang: Lang,
) -> Result<Response> {
    let settings = Settings::load()?;
    let doc = visible(id, viewer, lang)?;
    let committee = viewer.member.is_some();
    let access = committee_access(viewer, &doc.data)?;
    let view = ApplicationView::new(&doc, access.as_deref(), &settings, lang)?;
    let owner = doc.data.user_id == viewer.user.id;
    let app = &doc.data;
    let mut standing = json!({});
    if let Some(member) = &viewer.member {
        let fetched;
        let members: &[Doc<Member>] = match &access {
            Some(members) => members,
            None => {
                fetched = roster::current()?;
                &fetched
            }
        };
        let electorate = roster::electorate_of(members, &app.subject(), &app.conflicts);
        let conflict = electorate.conflict_of(&member.id).map(|c| c.describe(lang));
        let my_vote = app.ballot.vote_of(&member.id).map(|v| v.choice.key());
        let open_window = app.status == Status::Voting && clock::now_ms() < app.ballot.closes_at;
        standing = json!({
            "conflict": conflict,
            "my_vote": my_vote,
            "can_vote": conflict.is_none() && open_window,
            "can_comment": conflict.is_none() && app.status.is_open(),
            "can_ask": conflict.is_none() && app.status == Status::Voting,
            "can_declare": app.status.is_open() && !app.conflicts.iter().any(|d| d.member == member.id),
        });
    }
    let context = json!({
        "application": view,
        "network": settings.network_name,
        "is_member": committee,
        "is_owner": owner,
        "can_answer": owner && app.status == Status::InfoRequested,
        "can_withdraw": owner && app.status.is_open(),
        "can_withdraw_service": owner && app.status.is_open() && app.services.iter().filter(|s| !s.withdrawn).count() > 1,
        "me": standing,
        "csv": format!("{}/applications/{id}/minutes.csv", crate::BASE),
    });
    Response::render_with_status(status, "application.html", &with_form(context, form))
}

/// `GET /applications/{id}`
pub fn page(request: Request, params: Params) -> Result<Response> {
    let lang = lang(&request);
    let viewer = viewer(lang)?;
    render(params.get("id")?, &viewer, 200, None, lang)
}

/// `GET /api/applications/{id}`
pub fn api_get(request: Request, params: Params) -> Result<Response> {
    let lang = lang(&request);
    let viewer = viewer(lang)?;
    let settings = Settings::load()?;
    let doc = visible(params.get("id")?, &viewer, lang)?;
    let access = committee_access(&viewer, &doc.data)?;
    Response::json(&ApplicationView::new(
        &doc,
        access.as_deref(),
        &settings,
        lang,
    )?)
}

/// The caller's own applications, newest first.
pub fn mine(user: &User, settings: &Settings, lang: Lang) -> Result<Vec<ApplicationView>> {
    APPLICATIONS
        .query()
        .filter("user_id", Cmp::Eq, user.id.as_str())
        .order_by_desc("submitted_at")
        .limit(100)
        .fetch()?
        .iter()
        .map(|doc| ApplicationView::new(doc, None, settings, lang))
        .collect()
}

/// `GET /api/my-applications`
pub fn api_mine(request: Request, _: Params) -> Result<Response> {
    let lang = lang(&request);
    let user = identity::require_login_in(lang)?;
    let settings = Settings::load()?;
    Response::json(&mine(&user, &settings, lang)?)
}

#[derive(Deserialize)]
struct ListQuery {
    status: Option<String>,
    limit: Option<u32>,
    offset: Option<u32>,
}

/// `GET /api/applications?status=&limit=&offset=` (committee): newest first; what a member
/// with a conflict of interest may not follow is left out, as on the page.
pub fn api_list(request: Request, _: Params) -> Result<Response> {
    let lang = lang(&request);
    let (_, member) = roster::require_member(lang, clock::now_ms())?;
    let members = roster::current()?;
    let settings = Settings::load()?;
    let query: ListQuery = request.parse_query()?;
    let mut q = APPLICATIONS.query();
    if let Some(status) = query.status.as_deref().filter(|s| !s.is_empty()) {
        let Some(status) = Status::parse(status) else {
            return Err(Error::bad_request(format!(
                "query parameter `status`: `{status}` is not one of {}",
                Status::ALL.map(|s| format!("`{}`", s.key())).join(", ")
            )));
        };
        q = q.filter("status", Cmp::Eq, status.key());
    }
    let docs = q
        .order_by_desc("submitted_at")
        .limit(query.limit.unwrap_or(100).min(500))
        .offset(query.offset.unwrap_or(0))
        .fetch()?;
    let views: Vec<ApplicationView> = docs
        .iter()
        .map(|doc| {
            let conflicted =
                roster::electorate_of(&members, &doc.data.subject(), &doc.data.conflicts)
                    .conflict_of(&member.id)
                    .is_some();
            let access = (!conflicted || !doc.data.status.is_open()).then_some(members.as_slice());
            ApplicationView::new(doc, access, &settings, lang)
        })
        .collect::<Result<_>>()?;
    Response::json(&views)
}

/// Fields the steps accept in JSON.
const STEP_FIELDS: &[&str] = &["text", "question", "answer", "choice", "reason", "note"];

/// The steps on an application: `POST /applications/{id}/comments` (`text`), `…/request-info`
/// (`question`), `…/vote` (`choice`: approve, reject, abstain; `reason`, required against),
/// `…/conflict` (`note`) for committee members; `…/answer` (`answer`), `…/withdraw` and
/// `…/services/{service}/withdraw` for the applicant; the same under `/api/`. JSON gets the
/// application; a form goes back to its page.
pub fn step(request: Request, params: Params) -> Result<Response> {
    let lang = lang(&request);
    let viewer = viewer(lang)?;
    let id = params.get("id")?.to_owned();
    let verb = verb(&request);
    let settings = Settings::load()?;
    let now = clock::now_ms();
    let form_name = if request.path().contains("/services/") {
        "service"
    } else {
        verb.as_str()
    };
    let sub = Submission::read(&request, form_name, STEP_FIELDS)?;
    let input = &sub.input;
    let result: std::result::Result<Result<Doc<Application>>, Problems> = match verb.as_str() {
        "comments" | "request-info" | "vote" | "conflict" => {
            let Some(member) = &viewer.member else {
                return Err(Error::forbidden(lang.pick(
                    "solo i membri del comitato (ruolo `committee`) esaminano le domande",
                    "only committee members (role `committee`) examine applications",
                )));
            };
            match verb.as_str() {
                "comments" => check_text("text", input.one("text"), lang)
                    .map(|text| application::comment(&id, member, text, &settings, now, lang)),
                "request-info" => check_text("question", input.one("question"), lang)
                    .map(|q| application::request_info(&id, member, q, &settings, now, lang)),
                "conflict" => check_text("note", input.one("note"), lang).map(|note| {
                    application::declare_conflict(&id, member, note, &settings, now, lang)
                }),
                _ => read_vote(input, lang).map(|(choice, reason)| {
                    application::vote(&id, member, choice, reason, &settings, now, lang)
                }),
            }
        }
        "answer" | "withdraw" => {
            let doc = visible(&id, &viewer, lang)?;
            if doc.data.user_id != viewer.user.id {
                return Err(Error::forbidden(lang.pick(
                    "solo chi ha presentato la domanda può farlo",
                    "only the applicant can do this",
                )));
            }
            if request.path().contains("/services/") {
                let service = params.get("service")?.to_owned();
                Ok(application::withdraw_service(
                    &id,
                    &viewer.user,
                    &service,
                    &settings,
                    now,
                    lang,
                ))
            } else if verb == "answer" {
                check_text("answer", input.one("answer"), lang).map(|answer| {
                    application::answer(&id, &viewer.user, answer, &settings, now, lang)
                })
            } else {
                Ok(application::withdraw(
                    &id,
                    &viewer.user,
                    &settings,
                    now,
                    lang,
                ))
            }
        }
        other => {
            return Err(Error::not_found(format!(
                "there is no step `{other}` on an application"
            )));
        }
    };
    let show = |status, form| render(&id, &viewer, status, Some(form), lang);
    let outcome = match result {
        Ok(outcome) => outcome,
        Err(problems) => return sub.refused(problems, show),
    };
    sub.answer(
        outcome,
        |doc| {
            if !sub.json {
                return Ok(web::to(&format!("/applications/{id}")));
            }
            let access = committee_access(&viewer, &doc.data)?;
            Response::json(&ApplicationView::new(
                &doc,
                access.as_deref(),
                &settings,
                lang,
            )?)
        },
        show,
    )
}

/// A vote as sent: its choice, and the motivation required against.
pub fn read_vote(
    input: &Input,
    lang: Lang,
) -> std::result::Result<(Choice, Option<String>), Problems> {
    let mut problems = Problems::default();
    let choice = match input.one("choice").map(|c| (c, Choice::parse(c))) {
        Some((_, Some(choice))) => Some(choice),
        Some((text, None)) => {
            problems.push(
                "choice",
                match lang {
                    Lang::It => {
                        format!("«{text}» non è un voto: scegli favorevole, contrario o astenuto")
                    }
                    Lang::En => {
                        format!("`{text}` is not a vote: choose approve, reject or abstain")
                    }
                },
            );
            None
        }
        None => {
            problems.push(
                "choice",
                lang.pick("scegli il tuo voto", "choose your vote"),
            );
            None
        }
    };
    let reason = input.one("reason").map(str::to_owned);
    if reason
        .as_ref()
        .is_some_and(|r| r.chars().count() > application::MAX_TEXT)
    {
        problems.push(
            "reason",
            match lang {
                Lang::It => format!("al massimo {} caratteri", application::MAX_TEXT),
                Lang::En => format!("at most {} characters", application::MAX_TEXT),
            },
        );
    }
    if choice == Some(Choice::Reject) && reason.is_none() {
        problems.push(
            "reason",
            lang.pick(
                "un voto contrario va motivato: il richiedente riceve le motivazioni",
                "a vote against needs a motivation: the applicant receives the reasons",
            ),
        );
    }
    match choice {
        Some(choice) if problems.is_empty() => Ok((choice, reason)),
        _ => Err(problems),
    }
}
