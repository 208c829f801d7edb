//! Errors of the HTTP layer, shown as a themed page to browsers and as JSON to API clients.

use axum::http::StatusCode;
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
}

impl WebError {
    pub fn status(&self) -> StatusCode {
        match self {
            WebError::UnknownHost(_) | WebError::NotFound => StatusCode::NOT_FOUND,
            WebError::Csrf => StatusCode::FORBIDDEN,
            WebError::BadRequest(_) => StatusCode::BAD_REQUEST,
            WebError::Plugin { status, .. } | WebError::Refused { status, .. } => *status,
            WebError::PluginFailed { source, .. } => match source {
                CallError::Deadline(_) => StatusCode::GATEWAY_TIMEOUT,
                CallError::Memory(_) | CallError::Busy(_) => StatusCode::SERVICE_UNAVAILABLE,
                _ => StatusCode::INTERNAL_SERVER_ERROR,
            },
            WebError::Db(_) | WebError::Theme(_) => StatusCode::INTERNAL_SERVER_ERROR,
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
        if self.status().is_server_error() {
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
        match ctx.instance.theme.render("error.html", &ctx.locale, &page) {
            Ok(body) => (status, ctx.jar.clone(), Html(body)).into_response(),
            Err(err) => {
                tracing::error!(%err, "the error page itself failed to render");
                (status, self.public_message()).into_response()
            }
        }
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
        (self.status(), axum::Json(body)).into_response()
    }
}

impl IntoResponse for WebError {
    fn into_response(self) -> Response {
        self.log();
        self.json_response()
    }
}
