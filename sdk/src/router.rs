//! Dispatches requests to handler functions by method and path pattern.
//!
//! A pattern is a path whose segments are either literal or `{name}`, which matches any one
//! non-empty segment and hands it to the handler in [`Params`]. Trailing slashes do not matter:
//! `/items/` and `/items` are the same route. A path that no pattern matches is a `404`; a path
//! that matches with another method is a `405` listing the methods allowed.

use std::str::FromStr;

use crate::http::{Method, Request, Response};
use crate::{Error, Result};

type Handler = Box<dyn Fn(Request, Params) -> Result<Response>>;

struct Route {
    method: Method,
    segments: Vec<Segment>,
    handler: Handler,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Segment {
    Literal(String),
    Param(String),
}

/// A table of routes, built once per call.
#[derive(Default)]
pub struct Router {
    routes: Vec<Route>,
}

impl Router {
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a route; `handler` is any `fn(Request, Params) -> Result<Response>`.
    pub fn route<F>(mut self, method: Method, pattern: &str, handler: F) -> Self
    where
        F: Fn(Request, Params) -> Result<Response> + 'static,
    {
        self.routes.push(Route {
            method,
            segments: parse_pattern(pattern),
            handler: Box::new(handler),
        });
        self
    }

    pub fn get<F>(self, pattern: &str, handler: F) -> Self
    where
        F: Fn(Request, Params) -> Result<Response> + 'static,
    {
        self.route(Method::Get, pattern, handler)
    }

    pub fn post<F>(self, pattern: &str, handler: F) -> Self
    where
        F: Fn(Request, Params) -> Result<Response> + 'static,
    {
        self.route(Method::Post, pattern, handler)
    }

    pub fn put<F>(self, pattern: &str, handler: F) -> Self
    where
        F: Fn(Request, Params) -> Result<Response> + 'static,
    {
        self.route(Method::Put, pattern, handler)
    }

    pub fn patch<F>(self, pattern: &str, handler: F) -> Self
    where
        F: Fn(Request, Params) -> Result<Response> + 'static,
    {
        self.route(Method::Patch, pattern, handler)
    }

    pub fn delete<F>(self, pattern: &str, handler: F) -> Self
    where
        F: Fn(Request, Params) -> Result<Response> + 'static,
    {
        self.route(Method::Delete, pattern, handler)
    }

    /// Calls the handler of the first route matching the request's method and path.
    ///
    /// `HEAD` falls back to the `GET` route of the same path.
    pub fn handle(&self, request: Request) -> Result<Response> {
        let path: Vec<&str> = split(request.path()).collect();
        let mut allowed: Vec<&Method> = Vec::new();
        let wanted = request.method().clone();
        let mut head_fallback = None;
        for route in &self.routes {
            let Some(params) = match_segments(&route.segments, &path)? else {
                continue;
            };
            if route.method == wanted {
                return (route.handler)(request, params);
            }
            if wanted == Method::Head && route.method == Method::Get && head_fallback.is_none() {
                head_fallback = Some((route, params));
                continue;
            }
            if !allowed.contains(&&route.method) {
                allowed.push(&route.method);
            }
        }
        if let Some((route, params)) = head_fallback {
            return (route.handler)(request, params);
        }
        if allowed.is_empty() {
            return Err(Error::not_found(format!(
                "there is no page at `{}`",
                request.path()
            )));
        }
        let allowed: Vec<&str> = allowed.iter().map(|m| m.as_str()).collect();
        Response::json_with_status(
            405,
            // The kernel's error envelope, so that clients read every refusal the same way.
            &serde_json::json!({
                "error": {
                    "kind": "method_not_allowed",
                    "message": format!(
                        "`{}` does not accept {}; it accepts {}",
                        request.path(),
                        wanted,
                        allowed.join(", ")
                    ),
                },
                "allowed": allowed,
            }),
        )
    }
}

fn split(path: &str) -> impl Iterator<Item = &str> {
    path.split('/').filter(|s| !s.is_empty())
}

fn parse_pattern(pattern: &str) -> Vec<Segment> {
    split(pattern)
        .map(|segment| {
            match segment
                .strip_prefix('{')
                .and_then(|rest| rest.strip_suffix('}'))
            {
                Some(name) => Segment::Param(name.to_owned()),
                None => Segment::Literal(segment.to_owned()),
            }
        })
        .collect()
}

fn match_segments(pattern: &[Segment], path: &[&str]) -> Result<Option<Params>> {
    if pattern.len() != path.len() {
        return Ok(None);
    }
    let mut params = Vec::new();
    for (segment, part) in pattern.iter().zip(path) {
        match segment {
            Segment::Literal(literal) if literal == part => {}
            Segment::Literal(_) => return Ok(None),
            Segment::Param(name) => params.push((name.clone(), percent_decode(part)?)),
        }
    }
    Ok(Some(Params { pairs: params }))
}

/// Decodes `%XX` escapes in a path segment.
fn percent_decode(segment: &str) -> Result<String> {
    let bytes = segment.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = bytes
                .get(i + 1..i + 3)
                .and_then(|h| std::str::from_utf8(h).ok())
                .and_then(|h| u8::from_str_radix(h, 16).ok());
            if let Some(byte) = hex {
                out.push(byte);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8(out).map_err(|_| {
        Error::bad_request(format!(
            "the path segment `{segment}` does not decode to text"
        ))
    })
}

/// The values of a route's `{name}` segments.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Params {
    pairs: Vec<(String, String)>,
}

impl Params {
    /// The (percent-decoded) value of `{name}`.
    ///
    /// Asking for a name the route's pattern does not have is a bug in the plugin, reported as
    /// an [`Error::Internal`].
    pub fn get(&self, name: &str) -> Result<&str> {
        self.pairs
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
            .ok_or_else(|| Error::internal(format!("the route has no `{{{name}}}` segment")))
    }

    /// The value of `{name}` parsed as a `T`; a value that does not parse is a `404`, because
    /// no such resource can exist.
    pub fn parse<T: FromStr>(&self, name: &str) -> Result<T> {
        let text = self.get(name)?;
        text.parse()
            .map_err(|_| Error::not_found(format!("`{text}` is not a valid {name}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn echo(request: Request, params: Params) -> Result<Response> {
        Response::json(&serde_json::json!({
            "method": request.method().as_str(),
            "id": params.get("id").ok(),
        }))
    }

    fn router() -> Router {
        Router::new()
            .get("/", echo)
            .get("/items/{id}", echo)
            .put("/items/{id}", echo)
            .post("/items", echo)
    }

    fn body(response: &Response) -> serde_json::Value {
        serde_json::from_str(response.json_body().unwrap_or("null")).unwrap()
    }

    #[test]
    fn params_are_extracted_and_decoded() {
        let response = router()
            .handle(Request::new(Method::Put, "/items/a%20b/"))
            .unwrap();
        assert_eq!(
            body(&response),
            serde_json::json!({"method": "PUT", "id": "a b"})
        );
    }

    #[test]
    fn the_root_matches_only_the_root() {
        let response = router().handle(Request::new(Method::Get, "/")).unwrap();
        assert_eq!(body(&response)["method"], "GET");
        let err = router()
            .handle(Request::new(Method::Get, "/nothing"))
            .unwrap_err();
        assert_eq!(err, Error::not_found("there is no page at `/nothing`"));
    }

    #[test]
    fn a_known_path_with_another_method_is_405_listing_the_allowed_ones() {
        let response = router()
            .handle(Request::new(Method::Delete, "/items/7"))
            .unwrap();
        assert_eq!(response.status(), 405);
        assert_eq!(
            body(&response)["allowed"],
            serde_json::json!(["GET", "PUT"])
        );
        assert_eq!(body(&response)["error"]["kind"], "method_not_allowed");
    }

    #[test]
    fn head_falls_back_to_get() {
        let response = router()
            .handle(Request::new(Method::Head, "/items/1"))
            .unwrap();
        assert_eq!(body(&response)["id"], "1");
    }

    #[test]
    fn an_unparsable_param_is_not_found() {
        let params = Params {
            pairs: vec![("page".into(), "x".into())],
        };
        assert_eq!(params.parse::<u32>("page").unwrap_err().status(), 404);
        assert_eq!(params.get("other").unwrap_err().status(), 500);
    }
}
