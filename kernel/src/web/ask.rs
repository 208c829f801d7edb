//! Asking a plugin for JSON on the kernel's behalf: the kernel's own pages gather a little from
//! every plugin — `/me` the person's applications, the home page whether each service is open —
//! through a `GET` route the plugin declares in `plugin.toml`.

use serde::de::DeserializeOwned;

use super::Ctx;
use crate::host::bindings::types::{HttpRequest, HttpResponse};
use crate::instance::{Handled, LoadedPlugin};

/// `GET route` of `plugin` as `caller` (none: anonymously), in the page's language, read as
/// `T`; `None` (logged, never shown as an error page) when the plugin fails, answers anything
/// but `200` JSON, or JSON of another shape: the page goes on without it.
pub async fn get_json<T: DeserializeOwned>(
    ctx: &Ctx,
    plugin: &LoadedPlugin,
    route: &str,
    caller: Option<&crate::auth::users::User>,
) -> Option<T> {
    let request = HttpRequest {
        method: "GET".into(),
        path: route.to_owned(),
        query: Vec::new(),
        headers: vec![("accept".into(), "application/json".into())],
        form: Vec::new(),
        body: Vec::new(),
        locale: ctx.locale.clone(),
    };
    let answer = ctx
        .instance
        .handle(plugin, request, caller.cloned().map(Into::into), Vec::new())
        .await;
    let read = match answer {
        Ok(Ok(Handled {
            response: HttpResponse::Json(reply),
            ..
        })) if reply.status == 200 => serde_json::from_str::<T>(&reply.body).ok(),
        _ => None,
    };
    if read.is_none() {
        tracing::warn!(instance = %ctx.instance.id(), plugin = %plugin.name, route, "the plugin did not answer the kernel's request as agreed");
    }
    read
}
