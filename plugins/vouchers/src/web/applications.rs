//! An application's page and API: what the citizen sees (status, reasons, the question to
//! answer, the vouchers) and the review steps operators take.

use serde_json::json;
use trama_sdk::http::{Request, Response};
use trama_sdk::i18n::Lang;
use trama_sdk::identity::{self, User};
use trama_sdk::router::Params;
use trama_sdk::store::{Cmp, Doc};
use trama_sdk::submit::Submission;
use trama_sdk::{Error, Result, clock, t};

use super::{FormState, OPERATORS, lang, to, with_form};
use crate::application::{self, APPLICATIONS, Action, Application, ApplicationView, Status};
use crate::campaign::{self, CAMPAIGNS, State};
use crate::config::Settings;

/// The application, if the caller may see it: its citizen or an operator. Anyone else gets
/// the same 404 as for an id that does not exist, so ids reveal nothing.
fn visible(id: &str, user: &User) -> Result<Doc<Application>> {
    let doc = application::load(id)?;
    if OPERATORS.admits() || doc.data.user_id.as_deref() == Some(user.id.as_str()) {
        Ok(doc)
    } else {
        Err(application::not_found(id))
    }
}

/// `GET /applications/{id}/files/{file}`: a document attached to the application, for its
/// citizen and operators (as the application itself). An operator's reading is personal data
/// accessed, so it is audited.
pub fn attachment(_: Request, params: Params) -> Result<Response> {
    let user = identity::require_login()?;
    let doc = visible(params.get("id")?, &user)?;
    let file = params.get("file")?;
    let attached = doc
        .data
        .attachments
        .iter()
        .find(|a| a.file.id == file)
        .ok_or_else(|| Error::not_found(t!("sdk.files.not_found")))?;
    if doc.data.user_id.as_deref() != Some(user.id.as_str()) {
        trama_sdk::audit::record(
            "application.attachment_read",
            &doc.id,
            &json!({ "file": attached.file.id, "question": attached.question }),
        )?;
    }
    trama_sdk::files::download(&attached.file.id)
}

fn view(doc: &Doc<Application>, lang: Lang) -> Result<ApplicationView> {
    let settings = Settings::load()?;
    let campaign = CAMPAIGNS.get(&doc.data.campaign)?;
    Ok(ApplicationView::new(
        doc,
        campaign.as_ref().map(|c| &c.data),
        &settings.voucher_code_prefix,
        lang,
    ))
}

fn render(
    id: &str,
    user: &User,
    status: u16,
    form: Option<FormState>,
    lang: Lang,
) -> Result<Response> {
    let doc = visible(id, user)?;
    let campaign = campaign::load(&doc.data.campaign)?;
    let active = campaign.data.state == State::Active;
    let operator = OPERATORS.admits();
    let owner = doc.data.user_id.as_deref() == Some(user.id.as_str());
    // Filed at the desk for someone without an account: the operator records their answer.
    let for_citizen = operator && doc.data.user_id.is_none();
    let s = doc.data.status;
    // Filed under an earlier version of the notice: the rules it published, as they were.
    let filed_rules = if doc.data.notice_version == campaign.data.notice_version {
        Vec::new()
    } else {
        crate::revise::terms_of(&campaign.id, &campaign.data, doc.data.notice_version)?
            .map(|terms| {
                let kept = Doc {
                    id: campaign.id.clone(),
                    version: 0,
                    data: terms,
                };
                campaign::CampaignView::new(&kept, clock::today(), lang).rules_text
            })
            .unwrap_or_default()
    };
    let context = json!({
        "filed_rules": filed_rules,
        "application": view(&doc, lang)?,
        "is_operator": operator,
        "can_review": operator && active && (matches!(s, Status::NeedsReview | Status::InfoRequested) || (s == Status::Eligible && doc.data.contested_by.is_some())),
        "can_ask": operator && active && s == Status::NeedsReview,
        "can_reject": operator && active && matches!(s, Status::NeedsReview | Status::InfoRequested | Status::Eligible),
        "can_answer": (owner || for_citizen) && active && s == Status::InfoRequested,
        "answer_for_citizen": for_citizen,
    });
    Response::render_with_status(status, "application.html", &with_form(context, form))
}

/// `GET /applications/{id}`
pub fn page(request: Request, params: Params) -> Result<Response> {
    let lang = lang(&request);
    let user = identity::require_login()?;
    render(params.get("id")?, &user, 200, None, lang)
}

/// `GET /api/applications/{id}`
pub fn api_get(request: Request, params: Params) -> Result<Response> {
    let lang = lang(&request);
    let user = identity::require_login()?;
    let doc = visible(params.get("id")?, &user)?;
    Response::json(&view(&doc, lang)?)
}

/// The caller's own applications, newest first.
pub fn mine(user: &User, lang: Lang) -> Result<Vec<ApplicationView>> {
    let settings = Settings::load()?;
    let docs = APPLICATIONS
        .query()
        .filter("user_id", Cmp::Eq, user.id.as_str())
        .order_by_desc("submitted_at")
        .limit(100)
        .fetch()?;
    let mut titles = std::collections::HashMap::new();
    let mut views = Vec::with_capacity(docs.len());
    for doc in &docs {
        if !titles.contains_key(&doc.data.campaign) {
            let campaign = CAMPAIGNS.get(&doc.data.campaign)?.map(|c| c.data);
            titles.insert(doc.data.campaign.clone(), campaign);
        }
        let campaign = titles.get(&doc.data.campaign).and_then(Option::as_ref);
        views.push(ApplicationView::new(
            doc,
            campaign,
            &settings.voucher_code_prefix,
            lang,
        ));
    }
    Ok(views)
}

/// `GET /api/my-applications`
pub fn api_mine(request: Request, _: Params) -> Result<Response> {
    let lang = lang(&request);
    let user = identity::require_login()?;
    Response::json(&mine(&user, lang)?)
}

/// `GET /api/mine`: the caller's applications as the kernel's "my applications and bookings"
/// page lists them (`[plugin] mine` in `plugin.toml`).
pub fn api_mine_summary(request: Request, _: Params) -> Result<Response> {
    let lang = lang(&request);
    let user = identity::require_login()?;
    let items: Vec<serde_json::Value> = mine(&user, lang)?
        .into_iter()
        .map(|view| {
            serde_json::json!({
                "title": view.campaign_title,
                "status": view.status_label,
                "href": format!("/p/vouchers/applications/{}", view.id),
            })
        })
        .collect();
    Response::json(&items)
}

/// The review steps: `POST /applications/{id}/approve`, `…/reject` (`reason`),
/// `…/request-info` (`question`) for operators and `…/answer` (`answer`) for the citizen (or
/// an operator, for an application filed on behalf of someone without an account);
/// the same under `/api/`. JSON gets the application; a form goes back to its page.
pub fn step(request: Request, params: Params) -> Result<Response> {
    let lang = lang(&request);
    let user = identity::require_login()?;
    let id = params.get("id")?.to_owned();
    let verb = request
        .path()
        .rsplit('/')
        .find(|s| !s.is_empty())
        .unwrap_or_default()
        .to_owned();
    let sub = Submission::read(&request, &verb, &["reason", "question", "answer"])?;
    let text = |field: &str| application::check_text(field, sub.input.one(field));
    let action = match verb.as_str() {
        "approve" => {
            OPERATORS.require(lang)?;
            Ok(Action::Approve)
        }
        "reject" => {
            OPERATORS.require(lang)?;
            text("reason").map(Action::Reject)
        }
        "request-info" => {
            OPERATORS.require(lang)?;
            text("question").map(Action::RequestInfo)
        }
        "answer" => {
            // The citizen who applied answers; for an application filed on behalf of someone
            // without an account, an operator records the answer they gave at the desk or on
            // the phone (the history names the operator). Anyone else sees a 404.
            let doc = visible(&id, &user)?;
            let own = doc.data.user_id.as_deref() == Some(user.id.as_str());
            let desk = doc.data.user_id.is_none() && OPERATORS.admits();
            if !own && !desk {
                return Err(Error::forbidden(t!("vouchers.application.only_applicant")));
            }
            text("answer").map(Action::Answer)
        }
        other => {
            return Err(Error::not_found(format!(
                "there is no review step `{other}`"
            )));
        }
    };
    let page = |status, form| render(&id, &user, status, Some(form), lang);
    let action = match action {
        Ok(action) => action,
        Err(problems) => return sub.refused(problems, page),
    };
    // A refused step is a `409` (the application or the campaign changed), shown on the page.
    sub.answer(
        application::review(&id, action, &user, clock::now_ms()),
        |doc| {
            if sub.json {
                Response::json(&view(&doc, lang)?)
            } else {
                let done = match verb.as_str() {
                    "approve" => t!("vouchers.done.approved"),
                    "reject" => t!("vouchers.done.rejected"),
                    "request-info" => t!("vouchers.done.info_requested"),
                    _ => t!("vouchers.done.answered"),
                };
                Ok(to(&format!("/applications/{id}")).with_notice(done))
            }
        },
        page,
    )
}
