//! Requests the kernel routes to a plugin and the responses a plugin gives back.
//!
//! The kernel has already checked the session, the CSRF token of unsafe methods and the body
//! size, and has decoded forms and query strings; a plugin only reads typed values out of them.

use std::fmt;

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::bindings::trama::plugin::types::{Download, HttpRequest, HttpResponse, JsonReply, Page};
use crate::form::{self, Source};
use crate::{Error, Result};

/// An HTTP method.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Method {
    Get,
    Head,
    Post,
    Put,
    Patch,
    Delete,
    Options,
    /// Any other method, upper-case.
    Other(String),
}

impl Method {
    /// Reads a method name, ignoring case.
    pub fn parse(name: &str) -> Self {
        match name.to_ascii_uppercase().as_str() {
            "GET" => Self::Get,
            "HEAD" => Self::Head,
            "POST" => Self::Post,
            "PUT" => Self::Put,
            "PATCH" => Self::Patch,
            "DELETE" => Self::Delete,
            "OPTIONS" => Self::Options,
            other => Self::Other(other.to_owned()),
        }
    }

    pub fn as_str(&self) -> &str {
        match self {
            Self::Get => "GET",
            Self::Head => "HEAD",
            Self::Post => "POST",
            Self::Put => "PUT",
            Self::Patch => "PATCH",
            Self::Delete => "DELETE",
            Self::Options => "OPTIONS",
            Self::Other(name) => name,
        }
    }
}

impl fmt::Display for Method {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An HTTP request to the plugin.
#[derive(Debug, Clone)]
pub struct Request {
    method: Method,
    inner: HttpRequest,
}

impl Request {
    pub(crate) fn from_wit(inner: HttpRequest) -> Self {
        Self {
            method: Method::parse(&inner.method),
            inner,
        }
    }

    /// Builds a request by hand, for a plugin's own unit tests.
    pub fn new(method: Method, path: impl Into<String>) -> Self {
        Self {
            inner: HttpRequest {
                method: method.as_str().to_owned(),
                path: path.into(),
                query: Vec::new(),
                headers: Vec::new(),
                form: Vec::new(),
                body: Vec::new(),
                locale: "it".to_owned(),
            },
            method,
        }
    }

    /// Adds a query parameter (for tests).
    pub fn with_query(mut self, name: &str, value: &str) -> Self {
        self.inner.query.push((name.to_owned(), value.to_owned()));
        self
    }

    /// Adds a decoded form field (for tests).
    pub fn with_form(mut self, name: &str, value: &str) -> Self {
        self.inner.form.push((name.to_owned(), value.to_owned()));
        self
    }

    /// Sets the raw body (for tests).
    pub fn with_body(mut self, body: impl Into<Vec<u8>>) -> Self {
        self.inner.body = body.into();
        self
    }

    /// Adds a header; its name is lower-cased as the kernel hands them over (for tests).
    pub fn with_header(mut self, name: &str, value: &str) -> Self {
        self.inner
            .headers
            .push((name.to_ascii_lowercase(), value.to_owned()));
        self
    }

    /// Sets the locale the answer must be written in, `it` unless set (for tests).
    pub fn with_locale(mut self, locale: &str) -> Self {
        locale.clone_into(&mut self.inner.locale);
        self
    }

    pub fn method(&self) -> &Method {
        &self.method
    }

    /// The path under the plugin's mount point, always starting with `/`.
    pub fn path(&self) -> &str {
        &self.inner.path
    }

    /// The locale the answer must be written in (`it`, `en`).
    pub fn locale(&self) -> &str {
        &self.inner.locale
    }

    /// A request header; names are matched without regard to case.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.inner
            .headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// Every decoded query parameter, in order.
    pub fn query(&self) -> &[(String, String)] {
        &self.inner.query
    }

    /// The last value of a query parameter.
    pub fn query_value(&self, name: &str) -> Option<&str> {
        last_value(&self.inner.query, name)
    }

    /// Reads the query string into a typed value; see [`Request::parse_form`] for the rules.
    pub fn parse_query<T: DeserializeOwned>(&self) -> Result<T> {
        form::from_pairs(&self.inner.query)
            .map_err(|err| Error::bad_request(err.describe(Source::Query)))
    }

    /// Every decoded form field (without the CSRF token), in order.
    pub fn form(&self) -> &[(String, String)] {
        &self.inner.form
    }

    /// The last value of a form field.
    pub fn form_value(&self, name: &str) -> Option<&str> {
        last_value(&self.inner.form, name)
    }

    /// Reads the form into a typed value.
    ///
    /// Numbers and booleans (`on`, `true`, `yes`, `1`) are parsed from the text; an empty field
    /// is `None` for an `Option`; a field sent several times fills a `Vec`. A missing or
    /// unreadable field is an [`Error::BadRequest`] that names it, e.g. ``form field `age`:
    /// expected a whole number of zero or more, got `abc` ``.
    pub fn parse_form<T: DeserializeOwned>(&self) -> Result<T> {
        form::from_pairs(&self.inner.form)
            .map_err(|err| Error::bad_request(err.describe(Source::Form)))
    }

    /// The raw body (empty for forms, which arrive decoded).
    pub fn body(&self) -> &[u8] {
        &self.inner.body
    }

    /// Parses the body as JSON into a typed value; malformed JSON or a wrong shape is an
    /// [`Error::BadRequest`] that says where.
    pub fn json<T: DeserializeOwned>(&self) -> Result<T> {
        if self.inner.body.is_empty() {
            return Err(Error::bad_request(
                "the request body is empty: a JSON document was expected",
            ));
        }
        serde_json::from_slice(&self.inner.body).map_err(|err| {
            Error::bad_request(format!(
                "the request body is not valid JSON for this request: {err}"
            ))
        })
    }
}

fn last_value<'a>(pairs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    pairs
        .iter()
        .rev()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.as_str())
}

/// What a plugin answers: JSON, a page rendered by the kernel, a redirect or a file.
///
/// A redirect after a form may carry a one-time message for the person
/// ([`with_notice`](Response::with_notice)).
#[derive(Debug, Clone)]
pub struct Response {
    inner: HttpResponse,
    notice: Option<String>,
}

impl Response {
    /// A `200 OK` JSON document.
    pub fn json<T: Serialize + ?Sized>(value: &T) -> Result<Self> {
        Self::json_with_status(200, value)
    }

    /// A JSON document with another status, e.g. `201` after creating something.
    pub fn json_with_status<T: Serialize + ?Sized>(status: u16, value: &T) -> Result<Self> {
        let body = serde_json::to_string(value)
            .map_err(|err| Error::internal(format!("could not write the JSON answer: {err}")))?;
        Ok(Self::of(HttpResponse::Json(JsonReply { status, body })))
    }

    /// JSON text the plugin already has (a stored document, a large answer it wrote itself),
    /// sent as it is. The plugin vouches that `body` is JSON.
    pub fn json_text(status: u16, body: impl Into<String>) -> Self {
        Self::of(HttpResponse::Json(JsonReply {
            status,
            body: body.into(),
        }))
    }

    /// A page: the kernel renders `template` (a path inside the plugin's `templates/` folder)
    /// in the instance's theme. `context` must serialize to a JSON object; the kernel adds
    /// `locale`, `csrf_token`, `user`, `plugin` and `base` (the mount path) to it.
    pub fn render<T: Serialize + ?Sized>(template: &str, context: &T) -> Result<Self> {
        Self::render_with_status(200, template, context)
    }

    /// A page with another status, e.g. `422` to show a form again with its errors.
    pub fn render_with_status<T: Serialize + ?Sized>(
        status: u16,
        template: &str,
        context: &T,
    ) -> Result<Self> {
        let value = serde_json::to_value(context).map_err(|err| {
            Error::internal(format!(
                "could not write the context of `{template}`: {err}"
            ))
        })?;
        if !value.is_object() {
            return Err(Error::internal(format!(
                "the context of `{template}` must be a JSON object (a struct or a map)"
            )));
        }
        Ok(Self::of(HttpResponse::Render(Page {
            status,
            template: template.to_owned(),
            context: value.to_string(),
        })))
    }

    /// A redirect (`303 See Other` after a form). A relative location is resolved against the
    /// plugin's mount point.
    pub fn redirect(location: impl Into<String>) -> Self {
        Self::of(HttpResponse::Redirect(location.into()))
    }

    /// This answer with a one-time message for the person, shown on the page a redirect leads
    /// to: "Domanda inviata: protocollo 2026/000123" after a form. The kernel shows it once,
    /// escaped, then forgets it (host API 1.8, `notice`).
    ///
    /// Only a redirect to a browser carries it: on a JSON answer (a program's request through
    /// the same [`Submission`](crate::submit::Submission)), a page or a file it is dropped, so
    /// a handler may add it to whatever its form-and-API flow answers. Plain text, at most 300
    /// bytes; write it in the person's language, from the plugin's catalogue (`t!`).
    #[must_use]
    pub fn with_notice(mut self, text: impl Into<String>) -> Self {
        self.notice = Some(text.into());
        self
    }

    /// The one-time message of a redirect ([`with_notice`](Response::with_notice)): what the
    /// kernel will show on the next page.
    pub fn notice(&self) -> Option<&str> {
        match &self.inner {
            HttpResponse::Redirect(_) => self.notice.as_deref(),
            _ => None,
        }
    }

    fn of(inner: HttpResponse) -> Self {
        Self {
            inner,
            notice: None,
        }
    }

    /// A file the browser saves as `filename`.
    pub fn download(
        filename: impl Into<String>,
        content_type: impl Into<String>,
        body: impl Into<Vec<u8>>,
    ) -> Self {
        Self::of(HttpResponse::File(Download {
            filename: filename.into(),
            content_type: content_type.into(),
            body: body.into(),
        }))
    }

    /// The status the kernel will answer with (redirects are `303`, files `200`).
    pub fn status(&self) -> u16 {
        match &self.inner {
            HttpResponse::Json(reply) => reply.status,
            HttpResponse::Render(page) => page.status,
            HttpResponse::Redirect(_) => 303,
            HttpResponse::File(_) => 200,
        }
    }

    /// The JSON text of a JSON response, for a plugin's own tests.
    pub fn json_body(&self) -> Option<&str> {
        match &self.inner {
            HttpResponse::Json(reply) => Some(&reply.body),
            _ => None,
        }
    }

    /// The location of a redirect.
    pub fn location(&self) -> Option<&str> {
        match &self.inner {
            HttpResponse::Redirect(location) => Some(location),
            _ => None,
        }
    }

    /// The template of a page, for a plugin's own tests.
    pub fn template(&self) -> Option<&str> {
        match &self.inner {
            HttpResponse::Render(page) => Some(&page.template),
            _ => None,
        }
    }

    /// The JSON text of a page's context (what its template is rendered with).
    pub fn context(&self) -> Option<&str> {
        match &self.inner {
            HttpResponse::Render(page) => Some(&page.context),
            _ => None,
        }
    }

    /// A download's file name, content type and bytes.
    pub fn file(&self) -> Option<(&str, &str, &[u8])> {
        match &self.inner {
            HttpResponse::File(file) => Some((&file.filename, &file.content_type, &file.body)),
            _ => None,
        }
    }

    /// The answer as the host API carries it. The message of a redirect is not part of it: it
    /// goes to the kernel through `notice.show` ([`serve::request`](crate::serve::request)),
    /// a call of its own so that the answer's type stays the one every earlier API had and
    /// plugins built against them keep loading.
    pub(crate) fn into_wit(self) -> HttpResponse {
        self.inner
    }
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;

    use super::*;

    #[test]
    fn a_json_body_of_the_wrong_shape_is_a_bad_request() {
        #[derive(Debug, Deserialize)]
        #[allow(dead_code)]
        struct Greeting {
            name: String,
        }
        let request = Request::new(Method::Post, "/").with_body(r#"{"nome":"Anna"}"#);
        let err = request.json::<Greeting>().unwrap_err();
        assert_eq!(err.status(), 400);
        assert!(err.message().contains("missing field `name`"), "{err}");
    }

    #[test]
    fn an_empty_body_says_json_was_expected() {
        let err = Request::new(Method::Post, "/")
            .json::<serde_json::Value>()
            .unwrap_err();
        assert_eq!(
            err,
            Error::bad_request("the request body is empty: a JSON document was expected")
        );
    }

    #[test]
    fn query_and_form_values_keep_the_last_one() {
        let request = Request::new(Method::Get, "/")
            .with_query("name", "a")
            .with_query("name", "b")
            .with_form("x", "1");
        assert_eq!(request.query_value("name"), Some("b"));
        assert_eq!(request.form_value("x"), Some("1"));
        assert_eq!(request.form_value("y"), None);
    }

    #[test]
    fn a_page_context_must_be_an_object() {
        let err = Response::render("index.html", &[1, 2]).unwrap_err();
        assert_eq!(err.status(), 500);
        assert!(Response::render("index.html", &serde_json::json!({"a": 1})).is_ok());
    }

    #[test]
    fn only_a_redirect_carries_a_notice() {
        let redirect = Response::redirect("done").with_notice("Domanda inviata");
        assert_eq!(redirect.notice(), Some("Domanda inviata"));
        assert_eq!(redirect.status(), 303);
        let json = Response::json(&serde_json::json!({}))
            .unwrap()
            .with_notice("x");
        assert_eq!(json.notice(), None);
        assert_eq!(Response::redirect("done").notice(), None);
    }

    #[test]
    fn json_responses_carry_their_status() {
        let response = Response::json_with_status(201, &serde_json::json!({"id": "x"})).unwrap();
        assert_eq!(response.status(), 201);
        assert_eq!(response.json_body(), Some(r#"{"id":"x"}"#));
    }
}
