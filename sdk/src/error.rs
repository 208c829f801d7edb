//! The one error type of a plugin, mirroring the kernel's `plugin-error` so that every failure
//! reaches the user with the right HTTP status and a plain message.

use std::fmt;

use crate::bindings::trama::plugin::types::PluginError;

/// Why a plugin could not answer. Each variant maps to an HTTP status; its text is shown to the
/// user, so write it as a plain sentence that says what is wrong and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Error {
    /// 400: the input was malformed (bad JSON, a form field that is missing or not a number).
    BadRequest(String),
    /// 401: the caller must log in first.
    Unauthenticated(String),
    /// 403: the caller is logged in but lacks a role.
    Forbidden(String),
    /// 404: the thing asked for does not exist.
    NotFound(String),
    /// 409: the state changed under the caller (a version conflict, a duplicate).
    Conflict(String),
    /// 422: well-formed input that breaks a rule (too long, out of range).
    Invalid(String),
    /// 500: a fault of the plugin or the kernel that the user cannot fix.
    Internal(String),
}

/// The result of everything a plugin does.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::BadRequest(message.into())
    }

    pub fn unauthenticated(message: impl Into<String>) -> Self {
        Self::Unauthenticated(message.into())
    }

    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::Forbidden(message.into())
    }

    pub fn not_found(message: impl Into<String>) -> Self {
        Self::NotFound(message.into())
    }

    pub fn conflict(message: impl Into<String>) -> Self {
        Self::Conflict(message.into())
    }

    pub fn invalid(message: impl Into<String>) -> Self {
        Self::Invalid(message.into())
    }

    pub fn internal(message: impl Into<String>) -> Self {
        Self::Internal(message.into())
    }

    /// The HTTP status the kernel answers with.
    pub fn status(&self) -> u16 {
        match self {
            Self::BadRequest(_) => 400,
            Self::Unauthenticated(_) => 401,
            Self::Forbidden(_) => 403,
            Self::NotFound(_) => 404,
            Self::Conflict(_) => 409,
            Self::Invalid(_) => 422,
            Self::Internal(_) => 500,
        }
    }

    /// The message shown to the user.
    pub fn message(&self) -> &str {
        match self {
            Self::BadRequest(m)
            | Self::Unauthenticated(m)
            | Self::Forbidden(m)
            | Self::NotFound(m)
            | Self::Conflict(m)
            | Self::Invalid(m)
            | Self::Internal(m) => m,
        }
    }

    pub(crate) fn into_wit(self) -> PluginError {
        match self {
            Self::BadRequest(m) => PluginError::BadRequest(m),
            Self::Unauthenticated(m) => PluginError::Unauthenticated(m),
            Self::Forbidden(m) => PluginError::Forbidden(m),
            Self::NotFound(m) => PluginError::NotFound(m),
            Self::Conflict(m) => PluginError::Conflict(m),
            Self::Invalid(m) => PluginError::Invalid(m),
            Self::Internal(m) => PluginError::Internal(m),
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.message())
    }
}

impl std::error::Error for Error {}

/// JSON a handler parses by hand is almost always the caller's input, so syntax and shape
/// errors become [`Error::BadRequest`]; only I/O failures (which cannot happen on in-memory
/// text) are internal. The SDK's own wrappers do not rely on this conversion: they say which
/// document or body was at fault.
impl From<serde_json::Error> for Error {
    fn from(err: serde_json::Error) -> Self {
        match err.classify() {
            serde_json::error::Category::Io => Self::Internal(format!("JSON error: {err}")),
            _ => Self::BadRequest(format!("the JSON is not valid: {err}")),
        }
    }
}
