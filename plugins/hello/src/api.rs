//! The JSON API under `/api`.

use serde::Deserialize;
use serde_json::json;
use trama_sdk::http::{Request, Response};
use trama_sdk::router::Params;
use trama_sdk::store::{self, Batch, Cmp};
use trama_sdk::{Error, Result, audit, clock, identity, settings};

use crate::counters;
use crate::model::{self, GREETINGS, GreetingView, NewGreeting, Settings};

/// Most greetings one request lists or creates.
const MAX_PAGE: u32 = 1000;
const DEFAULT_PAGE: u32 = 100;
const MAX_BATCH: usize = 100;

#[derive(Deserialize)]
struct ListQuery {
    name: Option<String>,
    limit: Option<u32>,
    offset: Option<u32>,
}

/// `GET /api/greetings[?name=N][&limit=L][&offset=O]`: newest first.
pub fn list(request: Request, _: Params) -> Result<Response> {
    let params: ListQuery = request.parse_query()?;
    let limit = params.limit.unwrap_or(DEFAULT_PAGE);
    if limit > MAX_PAGE {
        return Err(Error::invalid(format!(
            "query parameter `limit`: at most {MAX_PAGE} greetings per page"
        )));
    }
    let mut query = GREETINGS
        .query()
        .order_by_desc("created_at")
        .limit(limit)
        .offset(params.offset.unwrap_or(0));
    if let Some(name) = params.name {
        query = query.filter("name", Cmp::Eq, name);
    }
    let views: Vec<GreetingView> = query.fetch()?.into_iter().map(Into::into).collect();
    Response::json(&views)
}

/// `POST /api/greetings` with `{name, message}`: `201` and the new greeting. With
/// `?commit=each`, the greeting, its event and its audit entry are committed one by one
/// (`store::checkpoint`), as kernels before host API 1.3 committed every host call: the
/// baseline of the write benchmark (`cargo bench -p trama --bench writes`).
pub fn create(request: Request, _: Params) -> Result<Response> {
    let input: NewGreeting = request.json()?;
    let settings = Settings::load()?;
    let steps = if request.query_value("commit") == Some("each") {
        model::Commits::EachStep
    } else {
        model::Commits::Once
    };
    let doc = model::create(input, &settings, request.locale(), steps)?;
    Response::json_with_status(201, &GreetingView::from(doc))
}

/// `GET /api/greetings/{id}`
pub fn get(_: Request, params: Params) -> Result<Response> {
    let id = params.get("id")?;
    let doc = GREETINGS.get(id)?.ok_or_else(|| model::not_found(id))?;
    Response::json(&GreetingView::from(doc))
}

#[derive(Deserialize)]
struct Update {
    message: String,
    /// The version the client last saw.
    version: u64,
}

/// `PUT /api/greetings/{id}` with `{message, version}`: changes the message only if nobody
/// changed the greeting since `version` (`409` otherwise).
pub fn update(request: Request, params: Params) -> Result<Response> {
    let id = params.get("id")?;
    let update: Update = request.json()?;
    let settings = Settings::load()?;
    let message = update.message.trim().to_owned();
    let max = usize::try_from(settings.max_message_length).unwrap_or(usize::MAX);
    model::check_length("message", &message, max, request.locale())?;
    let mut doc = GREETINGS.get(id)?.ok_or_else(|| model::not_found(id))?;
    doc.data.message = message;
    doc.version = GREETINGS.put_if_version(id, &doc.data, update.version)?;
    audit::record("greeting.updated", id, &json!({ "version": doc.version }))?;
    Response::json(&GreetingView::from(doc))
}

/// `DELETE /api/greetings/{id}`: `{"deleted": id}`, or `404`.
pub fn delete(_: Request, params: Params) -> Result<Response> {
    let id = params.get("id")?;
    if !GREETINGS.delete(id)? {
        return Err(model::not_found(id));
    }
    audit::record("greeting.deleted", id, &json!({}))?;
    Response::json(&json!({ "deleted": id }))
}

#[derive(Deserialize)]
struct BatchInput {
    greetings: Vec<NewGreeting>,
    /// A name whose greeting gets a second write expecting a wrong version, to prove that
    /// a batch is all or nothing.
    fail_on: Option<String>,
}

/// `POST /api/batch`: creates every greeting in one atomic store batch; `201` and the list.
pub fn batch(request: Request, _: Params) -> Result<Response> {
    let input: BatchInput = request.json()?;
    if input.greetings.len() > MAX_BATCH {
        return Err(Error::invalid(format!(
            "field `greetings`: at most {MAX_BATCH} greetings in one batch"
        )));
    }
    let settings = Settings::load()?;
    let now = clock::now_ms();
    let mut docs = Vec::with_capacity(input.greetings.len());
    for (i, new) in input.greetings.into_iter().enumerate() {
        let valid = new
            .validate(&settings, request.locale())
            .map_err(|err| Error::invalid(format!("greetings[{i}]: {}", err.message())))?;
        docs.push(store::Doc {
            id: store::new_id(),
            version: 1,
            data: valid.into_greeting(now),
        });
    }
    let mut writes = Batch::new();
    for doc in &docs {
        writes.create(&GREETINGS, &doc.id, &doc.data);
        if input.fail_on.as_deref() == Some(doc.data.name.as_str()) {
            // The document is at version 1 once created: expecting 2 must fail the batch.
            writes.put_if_version(&GREETINGS, &doc.id, &doc.data, 2);
        }
    }
    writes.commit().map_err(|err| match err {
        Error::Conflict(m) => Error::conflict(format!(
            "the batch was refused as a whole, nothing was written: {m}"
        )),
        other => other,
    })?;
    for doc in &docs {
        model::announce(doc)?;
    }
    let views: Vec<GreetingView> = docs.into_iter().map(Into::into).collect();
    Response::json_with_status(201, &views)
}

/// `GET /api/count`
pub fn count(_: Request, _: Params) -> Result<Response> {
    Response::json(&json!({
        "greetings": GREETINGS.count()?,
        "events_seen": counters::read(counters::EVENTS_SEEN)?,
        "jobs_run": counters::read(counters::JOBS_RUN)?,
        "visits": counters::read(counters::VISITS)?,
    }))
}

/// `POST /api/visits`: bumps the counter `visits`, `{"visits": n}`. See [`counters`] for
/// `?optimistic=1`.
pub fn visit(request: Request, _: Params) -> Result<Response> {
    let read = if request.query_value("optimistic") == Some("1") {
        counters::Read::Optimistic
    } else {
        counters::Read::Locked
    };
    let visits = counters::bump(counters::VISITS, read)?;
    Response::json(&json!({ "visits": visits }))
}

/// `GET /api/whoami`
pub fn whoami(_: Request, _: Params) -> Result<Response> {
    Response::json(&json!({
        "user": identity::caller(),
        "is_admin": identity::has_role("admin"),
        "fiscal_number": identity::fiscal_number(),
    }))
}

/// `GET /api/admin`: only for the role `admin`.
pub fn admin(_: Request, _: Params) -> Result<Response> {
    let user = identity::require_role("admin")?;
    Response::json(&json!({ "admin": true, "username": user.username }))
}

/// `GET /api/users/{id}`: another account, for logged-in users only.
pub fn user(_: Request, params: Params) -> Result<Response> {
    identity::require_login()?;
    let id = params.get("id")?;
    let user = identity::find_user(id)
        .ok_or_else(|| Error::not_found(format!("there is no account with id `{id}`")))?;
    Response::json(&user)
}

/// `GET /api/holders/{role}`
pub fn holders(_: Request, params: Params) -> Result<Response> {
    identity::require_login()?;
    let holders: Vec<serde_json::Value> = identity::holders(params.get("role")?)?
        .into_iter()
        .map(|user| serde_json::json!({"username": user.username, "display_name": user.display_name}))
        .collect();
    Response::json(&holders)
}

/// `GET /api/settings`
pub fn settings(_: Request, _: Params) -> Result<Response> {
    Response::json(&settings::get::<serde_json::Value>()?)
}

/// `GET /api/time`
pub fn time(_: Request, _: Params) -> Result<Response> {
    let now = clock::now_ms();
    Response::json(&json!({ "now": now, "utc": model::utc(now) }))
}

#[derive(serde::Deserialize)]
pub struct NotifyBody {
    subject: String,
    body: String,
    key: String,
    /// Refuse the request after sending: the kernel must then drop the notification.
    #[serde(default)]
    then_refuse: bool,
}

/// `POST /api/notify`: a notification to the caller themselves.
pub fn notify(request: Request, _: Params) -> Result<Response> {
    let user = identity::require_login()?;
    let input: NotifyBody = request.json()?;
    let queued = trama_sdk::notify::send(&trama_sdk::notify::Notification {
        recipient: user.id,
        subject: input.subject,
        body: input.body,
        key: input.key,
        link: Some("/p/hello/".into()),
    })?;
    if input.then_refuse {
        return Err(Error::conflict("refused after sending, as asked"));
    }
    Response::json(&json!({ "queued": queued }))
}

/// `GET /api/personal-data` (the kernel, as the person): the greetings they wrote.
pub fn personal_data(_: Request, _: Params) -> Result<Response> {
    let me = identity::require_login()?;
    trama_sdk::personal_data::Export::new()
        .with(
            "greetings",
            &trama_sdk::personal_data::owned_by(&GREETINGS, "author", &me.id)?,
        )?
        .response()
}

/// `DELETE /api/personal-data` (the kernel, as the person, carrying out an erasure): their
/// greetings are deleted; nothing here must be kept.
pub fn erase_personal_data(_: Request, _: Params) -> Result<Response> {
    let me = identity::require_login()?;
    let mut erased = trama_sdk::personal_data::Erased::default();
    for doc in trama_sdk::personal_data::owned_by(&GREETINGS, "author", &me.id)? {
        if GREETINGS.delete(&doc.id)? {
            erased.count(1);
        }
    }
    erased.response()
}
