//! Personal data under the GDPR: the privacy notice people accept (and accept again when it
//! changes), "download my data", and erasure carried out by the administrator.
//!
//! The notice itself is the theme's (`crate::theme::Notice`); plugins take part through the
//! `personal_data` route they declare in `plugin.toml` (see `docs/privacy.md`).

pub mod consent;
pub mod erasure;
pub mod export;

use serde_json::Value as Json;

use crate::auth::users::User;
use crate::host::bindings::types::{HttpRequest, HttpResponse, PluginError};
use crate::instance::{Instance, LoadedPlugin};

/// Why a download or an erasure could not be done.
#[derive(Debug, thiserror::Error)]
pub enum PrivacyError {
    #[error("database error: {0}")]
    Db(#[from] sea_orm::DbErr),
    /// A plugin did not give or erase its part; nothing is handed out or erased in its place.
    #[error("the service `{plugin}` did not answer for the person's data: {why}")]
    Service { plugin: String, why: String },
    #[error("no such account")]
    NoAccount,
    #[error("the account was erased already")]
    AlreadyErased,
    /// The account holds the administrator's role: revoke it first.
    #[error("the account is an administrator: revoke the role first")]
    HoldsAdmin,
    /// The account holds a seat on the coordination table: remove the seat first.
    #[error("the account holds a seat on the coordination table: remove the seat first")]
    HoldsSeat,
    #[error("the archive could not be written: {0}")]
    Zip(#[from] zip::result::ZipError),
    #[error("the archive could not be written: {0}")]
    Io(#[from] std::io::Error),
    #[error("{0}")]
    Internal(String),
}

/// Calls `method route` of `plugin` as `user` — its `personal_data` route — and returns the
/// JSON object it answers; anything else is [`PrivacyError::Service`] naming the plugin.
async fn ask_plugin(
    instance: &Instance,
    plugin: &LoadedPlugin,
    method: &str,
    route: &str,
    user: &User,
    locale: &str,
) -> Result<Json, PrivacyError> {
    let request = HttpRequest {
        method: method.to_owned(),
        path: route.to_owned(),
        query: Vec::new(),
        headers: vec![("accept".into(), "application/json".into())],
        form: Vec::new(),
        body: Vec::new(),
        locale: locale.to_owned(),
    };
    let failed = |why: String| PrivacyError::Service {
        plugin: plugin.name.clone(),
        why,
    };
    let reply = match instance
        .handle(plugin, request, Some(user.clone().into()), Vec::new())
        .await
    {
        Ok(Ok(crate::instance::Handled {
            response: HttpResponse::Json(reply),
            ..
        })) if reply.status == 200 => reply,
        Ok(Ok(_)) => return Err(failed("it did not answer 200 with JSON".into())),
        Ok(Err(err)) => return Err(failed(said(err))),
        Err(err) => return Err(failed(err.to_string())),
    };
    match serde_json::from_str::<Json>(&reply.body) {
        Ok(data @ Json::Object(_)) => Ok(data),
        _ => Err(failed("its answer is not a JSON object".into())),
    }
}

/// What a plugin's refusal says.
fn said(err: PluginError) -> String {
    match err {
        PluginError::BadRequest(m)
        | PluginError::Unauthenticated(m)
        | PluginError::Forbidden(m)
        | PluginError::NotFound(m)
        | PluginError::Conflict(m)
        | PluginError::Invalid(m)
        | PluginError::Internal(m) => m,
    }
}
