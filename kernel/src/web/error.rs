//! Errors of the HTTP layer, shown as a themed page to browsers and as JSON to API clients.

use axum::extract::{FromRequestParts, Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Response};
use serde_json::json;

use super::{AppState, Ctx};
use crate::host::CallError;

#[derive(Debug, thiserror::Error)]
pub enum WebError {
    #[error("no Trama instance answers for host `{0}`")]
    UnknownHost(String),
    #[error("the form has expired or did not come from this site: reload the page and try again")]
    Csrf,
    #[error("page not found")]
    NotFound,
    #[error("{0}")]
    BadRequest(String),
    /// A kernel rule refused the request (a proposal that does not validate, a second vote).
    #[error("{message}")]
    Refused {
        status: StatusCode,
        kind: &'static str,
        message: String,
    },
    #[error("{message}")]
    Plugin {
        status: StatusCode,
        kind: &'static str,
        message: String,
    },
    #[error("the service `{plugin}` is not working right now: {source}")]
    PluginFailed { plugin: String, source: CallError },
    #[error("database error: {0}")]
    Db(#[from] sea_orm::DbErr),
    #[error("page rendering failed: {0}")]
    Theme(#[from] crate::theme::ThemeError),
    /// Too many failed logins (`auth::throttle`); the message says when to try again.
    #[error("{message}")]
    TooManyAttempts {
        retry_after_secs: u64,
        message: String,
    },
    /// The request body is over [`super::MAX_BODY_BYTES`]; the message is the catalogue's.
    #[error("{0}")]
    PayloadTooLarge(String),
    /// A form or query string over [`super::form::MAX_FORM_FIELDS`]; the message is the
    /// catalogue's.
    #[error("{0}")]
    TooManyFields(String),
    /// Every password hasher is busy (`auth::password`); the message is the catalogue's.
    #[error("{0}")]
    Busy(String),
}

impl WebError {
    pub fn status(&self) -> StatusCode {
        match self {
            WebError::UnknownHost(_) | WebError::NotFound => StatusCode::NOT_FOUND,
            WebError::Csrf => StatusCode::FORBIDDEN,
            WebError::BadRequest(_) | WebError::TooManyFields(_) => StatusCode::BAD_REQUEST,
            WebError::Plugin { status, .. } | WebError::Refused { status, .. } => *status,
            WebError::PluginFailed { source, .. } => match source {
                CallError::Deadline(_) => StatusCode::GATEWAY_TIMEOUT,
                CallError::Memory(_) | CallError::Busy(_) => StatusCode::SERVICE_UNAVAILABLE,
                _ => StatusCode::INTERNAL_SERVER_ERROR,
            },
            WebError::Db(_) | WebError::Theme(_) => StatusCode::INTERNAL_SERVER_ERROR,
            WebError::TooManyAttempts { .. } => StatusCode::TOO_MANY_REQUESTS,
            WebError::PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            WebError::Busy(_) => StatusCode::SERVICE_UNAVAILABLE,
        }
    }

    fn kind(&self) -> &'static str {
        match self {
            WebError::UnknownHost(_) => "unknown_host",
            WebError::Csrf => "csrf",
            WebError::NotFound => "not_found",
            WebError::BadRequest(_) => "bad_request",
            WebError::Plugin { kind, .. } | WebError::Refused { kind, .. } => kind,
            WebError::PluginFailed { source, .. } => match source {
                CallError::Deadline(_) => "plugin_timeout",
                CallError::Memory(_) => "plugin_out_of_memory",
                CallError::Busy(_) => "plugin_busy",
                _ => "plugin_failed",
            },
            WebError::Db(_) | WebError::Theme(_) => "internal",
            WebError::TooManyAttempts { .. } => "too_many_attempts",
            WebError::PayloadTooLarge(_) => "payload_too_large",
            WebError::TooManyFields(_) => "too_many_fields",
            WebError::Busy(_) => "busy",
        }
    }

    /// What the visitor is told. Internal details stay in the log and the audit trail.
    fn public_message(&self) -> String {
        match self {
            WebError::Db(_) | WebError::Theme(_) => {
                "an internal error occurred; it has been logged".to_owned()
            }
            // A trap's text holds a wasm backtrace, a kernel error may hold database details.
            WebError::PluginFailed {
                plugin,
                source: CallError::Trap(_) | CallError::Kernel(_),
            } => format!("the service `{plugin}` failed; the error has been logged"),
            other => other.to_string(),
        }
    }

    fn log(&self) {
        // A busy refusal is load, not a fault: the hashing queue logs nothing per request.
        if self.status().is_server_error() && !matches!(self, WebError::Busy(_)) {
            tracing::error!(error = %self, "request failed");
        }
    }

    /// A themed page for browsers, JSON for everyone else.
    pub fn render(self, ctx: &Ctx) -> Response {
        self.log();
        let status = self.status();
        if !ctx.wants_html {
            return (ctx.jar.clone(), self.json_response()).into_response();
        }
        let mut page = ctx.page_context();
        page["status"] = json!(status.as_u16());
        page["message"] = json!(self.public_message());
        let mut response = match ctx.instance.theme.render("error.html", &ctx.locale, &page) {
            Ok(body) => (status, ctx.jar.clone(), Html(body)).into_response(),
            Err(err) => {
                tracing::error!(%err, "the error page itself failed to render");
                (status, self.public_message()).into_response()
            }
        };
        self.add_headers(&mut response);
        response
    }

    /// Headers some refusals carry whatever the format (`Retry-After` of a throttled login).
    pub fn add_headers(&self, response: &mut Response) {
        let retry_after_secs = match self {
            WebError::TooManyAttempts {
                retry_after_secs, ..
            } => *retry_after_secs,
            WebError::Busy(_) => crate::auth::password::RETRY_AFTER_SECS,
            _ => return,
        };
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(retry_after_secs));
    }
}

impl From<crate::governance::GovernanceError> for WebError {
    fn from(err: crate::governance::GovernanceError) -> Self {
        use crate::governance::GovernanceError as E;
        let (status, kind) = match &err {
            E::Invalid(_) => (StatusCode::UNPROCESSABLE_ENTITY, "invalid"),
            E::NotMember => (StatusCode::FORBIDDEN, "forbidden"),
            E::NotFound(_) => (StatusCode::NOT_FOUND, "not_found"),
            E::Conflict(_) => (StatusCode::CONFLICT, "conflict"),
            E::Db(_) | E::Manifest(_) => (StatusCode::INTERNAL_SERVER_ERROR, "internal"),
        };
        match err {
            E::Db(err) => WebError::Db(err),
            other => WebError::Refused {
                status,
                kind,
                message: other.to_string(),
            },
        }
    }
}

impl WebError {
    fn json_response(&self) -> Response {
        let body = json!({ "error": { "kind": self.kind(), "message": self.public_message() } });
        let mut response = (self.status(), axum::Json(body)).into_response();
        self.add_headers(&mut response);
        response
    }
}

impl IntoResponse for WebError {
    fn into_response(self) -> Response {
        self.log();
        self.json_response()
    }
}

/// Largest announced body the kernel reads and discards before refusing it (see
/// [`body_too_large`]); anything bigger is refused at once and the connection closed.
const DRAIN_LIMIT: u64 = 16 * 1024 * 1024;

/// Answers a body over [`super::MAX_BODY_BYTES`] like every other refusal: axum's limit
/// replies in plain text from inside whichever extractor read the body, so this layer swaps
/// that reply for the JSON envelope (`payload_too_large`) or, for a browser, the error page.
/// Only plain-text 413s are replaced: a plugin's own 413 page or JSON goes through untouched.
///
/// A body announced (`Content-Length`) over the limit is refused before any handler runs, after
/// reading and discarding it up to [`DRAIN_LIMIT`]: a server that answers and closes while the
/// client is still sending makes the client see a broken connection instead of the answer.
pub async fn body_too_large(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    let announced = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if let Some(length) = announced.filter(|length| *length > super::MAX_BODY_BYTES as u64) {
        let (mut head, body) = request.into_parts();
        if length <= DRAIN_LIMIT {
            drain(body).await;
        }
        return refuse_too_large(&mut head, &state).await;
    }
    let head = (!matches!(*request.method(), Method::GET | Method::HEAD)).then(|| {
        let mut head = Request::new(());
        *head.method_mut() = request.method().clone();
        *head.uri_mut() = request.uri().clone();
        *head.headers_mut() = request.headers().clone();
        head.into_parts().0
    });
    let response = next.run(request).await;
    let plain_text = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/plain"));
    match head.filter(|_| response.status() == StatusCode::PAYLOAD_TOO_LARGE && plain_text) {
        Some(mut head) => refuse_too_large(&mut head, &state).await,
        None => response,
    }
}

/// Reads a request body to its end, keeping nothing.
async fn drain(body: axum::body::Body) {
    use axum::body::HttpBody;
    let mut body = std::pin::pin!(body);
    while let Some(frame) = std::future::poll_fn(|cx| body.as_mut().poll_frame(cx)).await {
        if frame.is_err() {
            break;
        }
    }
}

/// The 413 answer for the visitor of `head`: the envelope or the error page, in their language.
async fn refuse_too_large(head: &mut axum::http::request::Parts, state: &AppState) -> Response {
    match Ctx::from_request_parts(head, state).await {
        Ok(ctx) => {
            let limit = (super::MAX_BODY_BYTES / 1024).to_string();
            let message = super::pages::msg(&ctx, "payload_too_large").replace("{kib}", &limit);
            WebError::PayloadTooLarge(message).render(&ctx)
        }
        Err(err) => err.into_response(),
    }
}
