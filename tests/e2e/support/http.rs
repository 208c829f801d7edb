//! The HTTP side of the harness: a browser-like client, logging in and signing up, CSRF tokens
//! and cookies.

use std::time::Duration;

use serde_json::Value as Json;

use super::{PASSWORD, Server};

/// A browser-like client: keeps cookies, does not follow redirects (tests look at them).
pub struct Client {
    pub http: reqwest::Client,
}

impl Client {
    pub fn new() -> Self {
        Self {
            http: reqwest::Client::builder()
                .cookie_store(true)
                .redirect(reqwest::redirect::Policy::none())
                .timeout(Duration::from_secs(60))
                .build()
                .expect("client"),
        }
    }

    /// The CSRF token of this client's cookie jar (fetched from `/session`).
    pub async fn csrf(&self, server: &Server) -> String {
        let session: Json = self
            .http
            .get(server.url("/session"))
            .send()
            .await
            .expect("GET /session")
            .json()
            .await
            .expect("session JSON");
        session["csrf_token"].as_str().expect("token").to_owned()
    }

    pub async fn get_json(&self, server: &Server, path: &str) -> (u16, Json) {
        let response = self.http.get(server.url(path)).send().await.expect("GET");
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or(Json::Null))
    }

    pub async fn send_json(
        &self,
        server: &Server,
        method: reqwest::Method,
        path: &str,
        body: &Json,
    ) -> (u16, Json) {
        let token = self.csrf(server).await;
        let response = self
            .http
            .request(method, server.url(path))
            .header("x-csrf-token", token)
            .json(body)
            .send()
            .await
            .expect("send");
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or(Json::Null))
    }

    pub async fn post_form(
        &self,
        server: &Server,
        path: &str,
        fields: &[(&str, &str)],
    ) -> reqwest::Response {
        let token = self.csrf(server).await;
        let mut form: Vec<(&str, &str)> = vec![("_csrf", token.as_str())];
        form.extend_from_slice(fields);
        self.http
            .post(server.url(path))
            .header("accept", "text/html")
            .form(&form)
            .send()
            .await
            .expect("POST form")
    }

    /// Posts a form with files (`multipart/form-data`) as a browser does: `files` are (field,
    /// file name, declared type, content). Written by hand, so the parts are exactly these.
    pub async fn post_multipart(
        &self,
        server: &Server,
        path: &str,
        fields: &[(&str, &str)],
        files: &[(&str, &str, &str, &[u8])],
    ) -> reqwest::Response {
        const BOUNDARY: &str = "----trama-e2e-7MA4YWxkTrZu0gW";
        let token = self.csrf(server).await;
        let mut body = Vec::new();
        let mut part = |head: String, content: &[u8]| {
            body.extend_from_slice(format!("--{BOUNDARY}\r\n{head}\r\n\r\n").as_bytes());
            body.extend_from_slice(content);
            body.extend_from_slice(b"\r\n");
        };
        for (name, value) in [("_csrf", token.as_str())].iter().chain(fields) {
            part(
                format!("Content-Disposition: form-data; name=\"{name}\""),
                value.as_bytes(),
            );
        }
        for (name, file, kind, content) in files {
            part(
                format!(
                    "Content-Disposition: form-data; name=\"{name}\"; filename=\"{file}\"\r\nContent-Type: {kind}"
                ),
                content,
            );
        }
        body.extend_from_slice(format!("--{BOUNDARY}--\r\n").as_bytes());
        self.http
            .post(server.url(path))
            .header("accept", "text/html")
            .header(
                "content-type",
                format!("multipart/form-data; boundary={BOUNDARY}"),
            )
            .body(body)
            .send()
            .await
            .expect("POST multipart form")
    }

    pub async fn page(&self, server: &Server, path: &str) -> (u16, String) {
        let response = self
            .http
            .get(server.url(path))
            .header("accept", "text/html")
            .send()
            .await
            .expect("GET page");
        let status = response.status().as_u16();
        (status, response.text().await.expect("body"))
    }
}

/// A client logged in as `username` (created with [`add_user`]).
pub async fn login(server: &Server, username: &str) -> Client {
    let client = Client::new();
    let response = client
        .post_form(
            server,
            "/login",
            &[("username", username), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(response.status().as_u16(), 303, "login of {username}");
    accept_privacy(&client, server).await;
    client
}

/// Accepts the instance's privacy notice as `client`, as a person does on their first page
/// (accounts made from the command line or by invitation have not accepted it yet).
pub async fn accept_privacy(client: &Client, server: &Server) {
    let response = client
        .post_form(
            server,
            "/privacy",
            &[("version", super::privacy_version()), ("next", "/")],
        )
        .await;
    assert_eq!(response.status().as_u16(), 303, "privacy notice accepted");
}

/// A client that signed up through the public form as a citizen.
pub async fn sign_up(server: &Server, username: &str, display_name: &str) -> Client {
    let client = Client::new();
    let response = client
        .post_form(
            server,
            "/signup",
            &[
                ("display_name", display_name),
                ("username", username),
                ("password", PASSWORD),
                ("password_confirm", PASSWORD),
                ("privacy_version", crate::support::privacy_version()),
            ],
        )
        .await;
    assert_eq!(response.status().as_u16(), 303, "sign-up of {username}");
    client
}

/// Who `client` is logged in as, per `/session`.
pub async fn whoami(client: &Client, server: &Server) -> Option<String> {
    let (_, session) = client.get_json(server, "/session").await;
    session["user"]["username"].as_str().map(str::to_owned)
}

/// Status and error kind of a refusal answered to an API client.
pub async fn refusal(response: reqwest::Response) -> (u16, String) {
    let status = response.status().as_u16();
    let body: Json = response.json().await.unwrap_or(Json::Null);
    (
        status,
        body["error"]["kind"]
            .as_str()
            .unwrap_or_default()
            .to_owned(),
    )
}

/// A client that keeps no cookies: the test says which ones it sends.
pub fn bare_client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client")
}

/// The `Set-Cookie` header for `name` in `response`, whole (value and attributes).
pub fn set_cookie(response: &reqwest::Response, name: &str) -> Option<String> {
    response
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with(&format!("{name}=")))
        .map(str::to_owned)
}

pub fn cookie_value(header: &str) -> String {
    header
        .split(';')
        .next()
        .and_then(|pair| pair.split_once('='))
        .map(|(_, value)| value.to_owned())
        .unwrap_or_default()
}

/// Logs in with only the cookies in `cookies`; returns the response.
pub async fn login_with_cookies(
    http: &reqwest::Client,
    server: &Server,
    cookies: &str,
    username: &str,
) -> reqwest::Response {
    let response = http
        .get(server.url("/session"))
        .header("cookie", cookies)
        .send()
        .await
        .expect("GET /session");
    // A browser without a valid session is given an anonymous CSRF cookie: keep it.
    let cookies = match set_cookie(&response, "trama_csrf") {
        Some(issued) => format!("{cookies}; trama_csrf={}", cookie_value(&issued)),
        None => cookies.to_owned(),
    };
    let session: Json = response.json().await.expect("JSON");
    let token = session["csrf_token"].as_str().expect("token").to_owned();
    http.post(server.url("/login"))
        .header("cookie", cookies)
        .form(&[
            ("_csrf", token.as_str()),
            ("username", username),
            ("password", PASSWORD),
        ])
        .send()
        .await
        .expect("POST /login")
}

pub async fn user_csrf(http: &reqwest::Client, server: &Server, session: &str) -> String {
    let body: Json = http
        .get(server.url("/session"))
        .header("cookie", format!("trama_session={session}"))
        .send()
        .await
        .expect("GET /session")
        .json()
        .await
        .expect("JSON");
    body["csrf_token"].as_str().expect("token").to_owned()
}

/// Posts a form as a browser would, with `token` as `_csrf` (or none).
pub async fn post_form_with(
    client: &Client,
    server: &Server,
    path: &str,
    token: Option<&str>,
    fields: &[(&str, &str)],
) -> reqwest::Response {
    let mut form: Vec<(&str, &str)> = token.map(|t| vec![("_csrf", t)]).unwrap_or_default();
    form.extend_from_slice(fields);
    client
        .http
        .post(server.url(path))
        .header("accept", "text/html")
        .form(&form)
        .send()
        .await
        .expect("POST form")
}

/// Sends JSON as an API client would, with `token` as `X-CSRF-Token` (or none).
pub async fn send_json_with(
    client: &Client,
    server: &Server,
    path: &str,
    token: Option<&str>,
    body: &Json,
) -> (u16, Json) {
    let mut request = client.http.post(server.url(path)).json(body);
    if let Some(token) = token {
        request = request.header("x-csrf-token", token);
    }
    let response = request.send().await.expect("POST JSON");
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Json::Null))
}
