//! Routes a page's form and the JSON API share.
//!
//! Most actions of a plugin are posted two ways: by a form on one of its pages
//! (`POST /applications/{id}/vote`) and by its JSON API (`POST /api/applications/{id}/vote`),
//! and [`submit`](crate::submit) lets one handler answer both (a redirect or the page again for
//! the form, `201`/`422` JSON for the API). Listing every such action twice in the route table
//! made the table twice as long and hid which routes are twins and which are not; [`Twins`]
//! registers both at once, so a form action cannot be added without its API twin.
//!
//! ```no_run
//! use trama_sdk::http::{Request, Response};
//! use trama_sdk::router::{Params, Router};
//! use trama_sdk::twin::Twins;
//!
//! fn step(_: Request, _: Params) -> trama_sdk::Result<Response> {
//!     Ok(Response::redirect("/p/notes/"))
//! }
//!
//! let router = Router::new()
//!     // POST /notes/{id}/pin and POST /api/notes/{id}/pin
//!     .post_twin("/notes/{id}/pin", step)
//!     // the same for each step of a note
//!     .post_steps("/notes/{id}", &["archive", "restore"], step);
//! ```

use crate::Result;
use crate::http::{Request, Response};
use crate::router::{Params, Router};

/// Where a plugin's JSON API lives, below the plugin's own path.
pub const API_PREFIX: &str = "/api";

/// Twin routes on a [`Router`]: a page's path and the same path under [`API_PREFIX`].
pub trait Twins: Sized {
    /// `POST {pattern}` and `POST /api{pattern}`, both to `handler`.
    fn post_twin<F>(self, pattern: &str, handler: F) -> Self
    where
        F: Fn(Request, Params) -> Result<Response> + Clone + 'static;

    /// [`post_twin`](Twins::post_twin) for `{base}/{step}` of each of `steps`: the actions of
    /// one record that a single handler tells apart by the last segment of the path.
    fn post_steps<F>(self, base: &str, steps: &[&str], handler: F) -> Self
    where
        F: Fn(Request, Params) -> Result<Response> + Clone + 'static,
    {
        steps.iter().fold(self, |router, step| {
            router.post_twin(&format!("{base}/{step}"), handler.clone())
        })
    }
}

impl Twins for Router {
    fn post_twin<F>(self, pattern: &str, handler: F) -> Self
    where
        F: Fn(Request, Params) -> Result<Response> + Clone + 'static,
    {
        self.post(pattern, handler.clone())
            .post(&format!("{API_PREFIX}{pattern}"), handler)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::Method;

    fn echo(request: Request, params: Params) -> Result<Response> {
        Response::json(&serde_json::json!({
            "path": request.path(),
            "id": params.get("id").ok(),
        }))
    }

    fn post(router: &Router, path: &str) -> u16 {
        router
            .handle(Request::new(Method::Post, path))
            .map_or_else(|err| err.status(), |r| r.status())
    }

    #[test]
    fn a_twin_answers_on_the_page_path_and_under_the_api() {
        let router = Router::new().post_twin("/items/{id}/pin", echo);
        assert_eq!(post(&router, "/items/7/pin"), 200);
        assert_eq!(post(&router, "/api/items/7/pin"), 200);
        assert_eq!(post(&router, "/api/api/items/7/pin"), 404);
    }

    #[test]
    fn steps_are_twins_each() {
        let router = Router::new().post_steps("/items/{id}", &["archive", "restore"], echo);
        for path in [
            "/items/1/archive",
            "/items/1/restore",
            "/api/items/1/archive",
            "/api/items/1/restore",
        ] {
            assert_eq!(post(&router, path), 200, "{path}");
        }
        assert_eq!(post(&router, "/items/1/delete"), 404);
    }
}
