//! Errors of the HTTP layer, shown as a themed page to browsers and as JSON to API clients.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use serde_json::json;

use super::Ctx;
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
    /// Over an instance's sign-up or write rate (`crate::rate`); the message says when to
    /// come back.
    #[error("{message}")]
    RateLimited {
        retry_after_secs: u64,
        message: String,
    },
    /// The request body is over [`super::MAX_BODY_BYTES`]; the message is the catalogue's.
    #[error("{0}")]
    PayloadTooLarge(String),
    /// The client took longer than the body deadline to send the body (`--body-timeout`);
    /// the message is the catalogue's.
    #[error("{0}")]
    BodyTimeout(String),
    /// A form or query string over [`super::form::MAX_FORM_FIELDS`]; the message is the
    /// catalogue's.
    #[error("{0}")]
    TooManyFields(String),
    /// Every password hasher is busy (`auth::password`); the message is the catalogue's.
    #[error("{0}")]
    Busy(String),
    /// A logged-in person has not accepted the current privacy notice: a browser is sent to
    /// read it, then on to the page it asked for (the path held here).
    #[error("read and accept the privacy notice first")]
    PrivacyNotice(String),
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
            WebError::TooManyAttempts { .. } | WebError::RateLimited { .. } => {
                StatusCode::TOO_MANY_REQUESTS
            }
            WebError::PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            WebError::BodyTimeout(_) => StatusCode::REQUEST_TIMEOUT,
            WebError::Busy(_) => StatusCode::SERVICE_UNAVAILABLE,
            WebError::PrivacyNotice(_) => StatusCode::SEE_OTHER,
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
            WebError::RateLimited { .. } => "rate_limited",
            WebError::PayloadTooLarge(_) => "payload_too_large",
            WebError::BodyTimeout(_) => "request_timeout",
            WebError::TooManyFields(_) => "too_many_fields",
            WebError::Busy(_) => "busy",
            WebError::PrivacyNotice(_) => "privacy_notice",
        }
    }

    /// What the visitor is told, in English: for answers without an instance to take a
    /// catalogue from. Internal details stay in the log and the audit trail.
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

    /// The catalogue key of the kernel's own refusals, whose text the theme's catalogues give
    /// in the visitor's language; `None` for messages written elsewhere (plugins, the auth
    /// layer, which already speak the visitor's language).
    fn catalogue_key(&self) -> Option<&'static str> {
        match self {
            WebError::Csrf => Some("error_csrf"),
            WebError::NotFound => Some("error_not_found"),
            WebError::Db(_) | WebError::Theme(_) => Some("error_internal"),
            WebError::PluginFailed { source, .. } => Some(match source {
                CallError::Trap(_) | CallError::Kernel(_) => "error_plugin_failed",
                _ => "error_plugin_unavailable",
            }),
            _ => None,
        }
    }

    /// [`WebError::public_message`] in the visitor's language, when the instance's catalogue
    /// has it (`{plugin}` stands for the service's name).
    fn message_for(&self, ctx: &Ctx) -> String {
        let text = self
            .catalogue_key()
            .and_then(|key| ctx.instance.theme.catalogue(&ctx.locale)[key].as_str());
        match (text, self) {
            (Some(text), WebError::PluginFailed { plugin, .. }) => text.replace("{plugin}", plugin),
            (Some(text), _) => text.to_owned(),
            (None, _) => self.public_message(),
        }
    }

    fn log(&self) {
        // A busy refusal is load, not a fault: the hashing queue logs nothing per request.
        if self.status().is_server_error() && !matches!(self, WebError::Busy(_)) {
            tracing::error!(error = %self, "request failed");
        }
    }

    /// A themed page for browsers, JSON for everyone else. Under `trama dev` a server error
    /// tells the developer everything instead ([`super::dev_page`]).
    pub fn render(self, ctx: &Ctx) -> Response {
        self.log();
        let status = self.status();
        if ctx.dev && status.is_server_error() {
            return self.dev_response(ctx);
        }
        if !ctx.wants_html {
            let message = self.message_for(ctx);
            return (ctx.jar.clone(), self.json_response_with(message)).into_response();
        }
        let mut page = ctx.page_context();
        page["status"] = json!(status.as_u16());
        let message = self.message_for(ctx);
        page["message"] = json!(message);
        let mut response = match ctx.instance.theme.render("error.html", &ctx.locale, &page) {
            Ok(body) => (status, ctx.jar.clone(), Html(body)).into_response(),
            Err(err) => {
                tracing::error!(%err, "the error page itself failed to render");
                (status, message).into_response()
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
            }
            | WebError::RateLimited {
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
    /// The whole error, file and line of a template included: the developer's page for a
    /// browser, the envelope with the full message for an API client.
    fn dev_response(&self, ctx: &Ctx) -> Response {
        let status = self.status();
        let mut response = if ctx.wants_html {
            (
                status,
                ctx.jar.clone(),
                Html(super::dev_page::page(status, self)),
            )
                .into_response()
        } else {
            let body = json!({ "error": { "kind": self.kind(), "message": self.to_string() } });
            (status, ctx.jar.clone(), axum::Json(body)).into_response()
        };
        self.add_headers(&mut response);
        response
    }

    fn json_response(&self) -> Response {
        self.json_response_with(self.public_message())
    }

    fn json_response_with(&self, message: String) -> Response {
        let body = json!({ "error": { "kind": self.kind(), "message": message } });
        let mut response = (self.status(), axum::Json(body)).into_response();
        self.add_headers(&mut response);
        response
    }
}

impl IntoResponse for WebError {
    fn into_response(self) -> Response {
        if let WebError::PrivacyNotice(next) = &self {
            let target = format!(
                "/privacy?next={}",
                form_urlencoded::byte_serialize(next.as_bytes()).collect::<String>()
            );
            return axum::response::Redirect::to(&target).into_response();
        }
        self.log();
        self.json_response()
    }
}
