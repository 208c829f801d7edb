//! Requests as a browser or an API client sends them, and what the kernel would answer: the
//! status, and a JSON body to assert on, without an HTTP server in between.

use serde_json::{Value as Json, json};
use trama_sdk::Plugin;
use trama_sdk::http::{Method, Request, Response};

use crate::{Account, TestHost};

/// What a request got back, as the kernel would answer it.
#[derive(Debug, Clone)]
pub struct Answer {
    pub status: u16,
    /// A JSON answer's document; a page's context (what its template sees); a refusal as the
    /// kernel writes it, `{"error": {"kind", "message"}}`; `null` for redirects and files.
    pub body: Json,
    /// The template of a page.
    pub template: Option<String>,
    /// Where a redirect goes.
    pub location: Option<String>,
    /// A download: file name, content type and bytes.
    pub file: Option<(String, String, Vec<u8>)>,
    /// The one-time message a redirect leaves for the person's next page (host API 1.8
    /// `notice`), as the kernel keeps it: only for a browser's request (`accept: text/html`),
    /// only when the call committed.
    pub notice: Option<String>,
}

impl Answer {
    fn from(result: trama_sdk::Result<Response>) -> Self {
        let response = match result {
            Ok(response) => response,
            Err(err) => {
                return Self {
                    status: err.status(),
                    body: json!({ "error": { "kind": kind(err.status()), "message": err.message() } }),
                    template: None,
                    location: None,
                    file: None,
                    notice: None,
                };
            }
        };
        let text = response.json_body().or(response.context());
        let body = text
            .map(|text| {
                serde_json::from_str(text).unwrap_or_else(|err| {
                    panic!("the plugin answered text that is not JSON ({err}): {text}")
                })
            })
            .unwrap_or(Json::Null);
        Self {
            status: response.status(),
            body,
            template: response.template().map(str::to_owned),
            location: response.location().map(str::to_owned),
            file: response
                .file()
                .map(|(name, kind, bytes)| (name.to_owned(), kind.to_owned(), bytes.to_vec())),
            notice: None,
        }
    }

    /// The one-time message the next page shows, once this answer is known to be a redirect
    /// to `location` carrying one: an action's success as the person reads it.
    ///
    /// # Panics
    /// If the answer is not that redirect, or carries no message; the failure shows the body.
    #[track_caller]
    pub fn assert_notice(&self, location: &str) -> &str {
        assert_eq!(
            (self.status, self.location.as_deref()),
            (303, Some(location)),
            "{}",
            self.body
        );
        self.notice
            .as_deref()
            .unwrap_or_else(|| panic!("the redirect to {location} carries no message"))
    }

    /// The fields a refused form or JSON body names in its `problems`, in order.
    pub fn problem_fields(&self) -> Vec<&str> {
        self.body["problems"]
            .as_array()
            .map(|problems| {
                problems
                    .iter()
                    .filter_map(|p| p["field"].as_str())
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The refusal's message, for asserting on what a person reads.
    pub fn message(&self) -> &str {
        self.body["error"]["message"].as_str().unwrap_or_default()
    }

    /// This answer, once it is known to have `status`: a story's step that must succeed (or be
    /// refused just so) reads as one expression, and when it does not, the failure shows the
    /// body — the refusal's reason or the page's context — where a bare status would not.
    ///
    /// # Panics
    /// If the status is another one; the failure points at the caller's line.
    #[track_caller]
    pub fn assert_status(self, status: u16) -> Self {
        assert_eq!(self.status, status, "{}", self.body);
        self
    }

    /// This answer, once it is known to have `status` and to show the record it is about in
    /// the `status` field `state` (`"voting"`, `"eligible"`): a step of a workflow, checked as
    /// the person sees it, with the body in the failure's message.
    ///
    /// # Panics
    /// If either differs; the failure points at the caller's line.
    #[track_caller]
    pub fn assert_state(self, status: u16, state: &str) -> Self {
        assert_eq!(
            (self.status, self.body["status"].as_str()),
            (status, Some(state)),
            "{}",
            self.body
        );
        self
    }
}

/// The kernel's name for a refusal's status (`web/plugin_route.rs`).
fn kind(status: u16) -> &'static str {
    match status {
        400 => "bad_request",
        401 => "unauthenticated",
        403 => "forbidden",
        404 => "not_found",
        409 => "conflict",
        422 => "invalid",
        _ => "plugin_internal",
    }
}

impl<P: Plugin> TestHost<P> {
    /// `GET path` (with its query string), as an API client asks: JSON wanted.
    pub fn get(&self, caller: Option<&Account>, path: &str) -> Answer {
        self.send(
            caller,
            with_query(Request::new(Method::Get, path_of(path)), path)
                .with_header("accept", "application/json"),
        )
    }

    /// `GET path` as a browser asks for a page.
    pub fn page(&self, caller: Option<&Account>, path: &str) -> Answer {
        self.send(
            caller,
            with_query(Request::new(Method::Get, path_of(path)), path)
                .with_header("accept", "text/html"),
        )
    }

    /// `POST path` with a JSON body.
    pub fn post(&self, caller: Option<&Account>, path: &str, body: Json) -> Answer {
        self.send_json(caller, Method::Post, path, &body)
    }

    /// `PUT path` with a JSON body.
    pub fn put(&self, caller: Option<&Account>, path: &str, body: Json) -> Answer {
        self.send_json(caller, Method::Put, path, &body)
    }

    /// `DELETE path`.
    pub fn delete(&self, caller: Option<&Account>, path: &str) -> Answer {
        self.send(
            caller,
            with_query(Request::new(Method::Delete, path_of(path)), path)
                .with_header("accept", "application/json"),
        )
    }

    /// `POST path` with a browser's form fields (the kernel has already checked its CSRF token).
    pub fn submit(&self, caller: Option<&Account>, path: &str, fields: &[(&str, &str)]) -> Answer {
        let request = fields.iter().fold(
            with_query(Request::new(Method::Post, path_of(path)), path)
                .with_header("content-type", "application/x-www-form-urlencoded")
                .with_header("accept", "text/html"),
            |request, (name, value)| request.with_form(name, value),
        );
        self.send(caller, request)
    }

    /// `POST path` with a browser's form with files (`multipart/form-data`): `files` are
    /// (field, file name, content). The body is encoded as a browser does and decoded by the
    /// kernel's own code (`trama::files::decode`): a file whose content is not an accepted type
    /// is refused with 415 before the plugin runs, too many files with 413. As in an instance,
    /// the files a plugin kept are dropped when its answer refuses the request.
    pub fn submit_files(
        &self,
        caller: Option<&Account>,
        path: &str,
        fields: &[(&str, &str)],
        files: &[(&str, &str, &[u8])],
    ) -> Answer {
        let (content_type, body) = multipart_body(fields, files);
        let decoded = self.inner.runtime.block_on(trama::files::decode(
            &content_type,
            body.into(),
            trama::server::UPLOAD_LIMITS,
        ));
        let decoded = match decoded {
            Ok(decoded) => decoded,
            Err(err) => {
                let (status, kind) = err.status_and_kind();
                return Answer {
                    status,
                    body: json!({ "error": { "kind": kind, "message": err.to_string() } }),
                    template: None,
                    location: None,
                    file: None,
                    notice: None,
                };
            }
        };
        let request = decoded.form.iter().fold(
            with_query(Request::new(Method::Post, path_of(path)), path)
                .with_header("content-type", &content_type)
                .with_header("accept", "text/html"),
            |request, (name, value)| request.with_form(name, value),
        );
        let answer = Answer::from(self.request_with(caller, decoded.uploads, request));
        self.with_notice(answer, true)
    }

    /// Any request built by hand.
    pub fn send(&self, caller: Option<&Account>, request: Request) -> Answer {
        let browser = request
            .header("accept")
            .is_some_and(|accept| accept.contains("text/html"));
        let answer = Answer::from(self.request(caller, request));
        self.with_notice(answer, browser)
    }

    /// `answer` with the message its call left, kept as the kernel keeps it: for a browser
    /// sent on by a redirect.
    fn with_notice(&self, mut answer: Answer, browser: bool) -> Answer {
        let notice = self.inner.notice.borrow_mut().take();
        answer.notice = notice.filter(|_| browser && answer.location.is_some());
        answer
    }

    fn send_json(
        &self,
        caller: Option<&Account>,
        method: Method,
        path: &str,
        body: &Json,
    ) -> Answer {
        let request = with_query(Request::new(method, path_of(path)), path)
            .with_header("content-type", "application/json")
            .with_header("accept", "application/json")
            .with_body(body.to_string());
        self.send(caller, request)
    }
}

/// `fields` and `files` (field, file name, content) as a browser encodes a form with files.
fn multipart_body(fields: &[(&str, &str)], files: &[(&str, &str, &[u8])]) -> (String, Vec<u8>) {
    const BOUNDARY: &str = "----trama-testhost-boundary";
    let mut body = Vec::new();
    for (name, value) in fields {
        body.extend_from_slice(
            format!("--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n")
                .as_bytes(),
        );
        body.extend_from_slice(value.as_bytes());
        body.extend_from_slice(b"\r\n");
    }
    for (name, file, content) in files {
        body.extend_from_slice(
            format!(
                "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{name}\"; filename=\"{file}\"\r\nContent-Type: application/octet-stream\r\n\r\n"
            )
            .as_bytes(),
        );
        body.extend_from_slice(content);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{BOUNDARY}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={BOUNDARY}"), body)
}

/// The path without its query string.
fn path_of(path: &str) -> &str {
    path.split_once('?').map_or(path, |(path, _)| path)
}

/// `request` with the decoded pairs of `path`'s query string.
fn with_query(request: Request, path: &str) -> Request {
    let Some((_, query)) = path.split_once('?') else {
        return request;
    };
    form_urlencoded::parse(query.as_bytes()).fold(request, |request, (name, value)| {
        request.with_query(&name, &value)
    })
}

/// What the plugin answered an erasure: how many records it erased, and what it kept (each
/// `kept` entry's `what`, in the order given), with the whole answer for anything else.
#[derive(Debug, Clone)]
pub struct Erasure {
    pub erased: u64,
    pub kept: Vec<String>,
    pub body: Json,
}

impl<P: Plugin> TestHost<P> {
    /// The route `[plugin] personal_data` declares.
    fn personal_data_route(&self) -> String {
        self.inner.personal_data.clone().unwrap_or_else(|| {
            panic!(
                "plugin `{}` declares no `personal_data` route in plugin.toml",
                self.inner.ctx.plugin
            )
        })
    }

    /// What "download my data" gets from the plugin about `who`: its `personal_data` route,
    /// `GET` as `who`, as the kernel calls it.
    ///
    /// # Panics
    /// If the plugin declares no such route or does not answer `200`.
    pub fn personal_data(&self, who: &Account) -> Json {
        let answer = self.get(Some(who), &self.personal_data_route());
        assert_eq!(answer.status, 200, "{}", answer.body);
        answer.body
    }

    /// Erases `who` in the plugin as an administrator's erasure does: its `personal_data`
    /// route, `DELETE` as `who`.
    ///
    /// # Panics
    /// If the plugin declares no such route, does not answer `200`, or its answer lacks the
    /// `erased` count or the `kept` list the kernel reads.
    pub fn erase(&self, who: &Account) -> Erasure {
        let answer = self.delete(Some(who), &self.personal_data_route());
        assert_eq!(answer.status, 200, "{}", answer.body);
        let body = answer.body;
        let erased = body["erased"]
            .as_u64()
            .unwrap_or_else(|| panic!("no `erased` count: {body}"));
        let kept = body["kept"]
            .as_array()
            .unwrap_or_else(|| panic!("no `kept` list: {body}"))
            .iter()
            .map(|kept| kept["what"].as_str().unwrap_or_default().to_owned())
            .collect();
        Erasure { erased, kept, body }
    }

    /// [`erase`](Self::erase), checking what the plugin says it did: `erased` records erased
    /// or pseudonymised, and the kinds of records it `kept` (each `what`, in this order) — the
    /// two figures an administrator reads back after an erasure.
    ///
    /// # Panics
    /// As [`erase`](Self::erase), or when either figure differs (the answer is in the message).
    #[track_caller]
    pub fn erase_expecting(&self, who: &Account, erased: u64, kept: &[&str]) -> Erasure {
        let erasure = self.erase(who);
        assert_eq!(erasure.erased, erased, "{}", erasure.body);
        assert_eq!(erasure.kept, kept, "{}", erasure.body);
        erasure
    }

    /// Checks that an erased `who` is forgotten: each of `sections` of their "download my
    /// data" is an empty list, and erasing them again erases nothing — every plugin's erasure
    /// promises both, whatever it kept without the person.
    ///
    /// # Panics
    /// If a section is missing or holds anything, or the second erasure erases something.
    #[track_caller]
    pub fn assert_forgotten(&self, who: &Account, sections: &[&str]) {
        let export = self.personal_data(who);
        for section in sections {
            assert_eq!(export[*section], json!([]), "`{section}` of {export}");
        }
        let again = self.erase(who);
        assert_eq!(again.erased, 0, "a second erasure: {}", again.body);
    }
}
