//! Requests a browser marks as coming from elsewhere never pass the CSRF check, even with a
//! token that matches; over HTTPS the kernel's cookies carry the `__Host-` prefix, so a cookie
//! planted by a sibling subdomain or over plain HTTP (login CSRF, session fixation) is ignored.

use serde_json::Value as Json;

use crate::support::{Client, HELLO, PASSWORD, Server, TestInstance, add_user, whoami};

/// A login form post with the client's own token and `headers` added.
async fn login_with(
    client: &Client,
    server: &Server,
    headers: &[(&str, String)],
) -> reqwest::Response {
    let token = client.csrf(server).await;
    let mut request = client.http.post(server.url("/login")).form(&[
        ("_csrf", token.as_str()),
        ("username", "anna"),
        ("password", PASSWORD),
    ]);
    for (name, value) in headers {
        request = request.header(*name, value);
    }
    request.send().await.expect("POST /login")
}

#[tokio::test(flavor = "multi_thread")]
async fn a_matching_token_from_another_site_or_subdomain_is_refused() {
    let instance = TestInstance::new("cross-site", HELLO);
    add_user(&instance, "anna", "citizen");
    let server = Server::start(&[instance.path()]);
    for (what, header) in [
        (
            "another site's Origin",
            ("origin", "https://evil.example".to_owned()),
        ),
        (
            "a sibling subdomain",
            ("sec-fetch-site", "same-site".to_owned()),
        ),
        ("another site", ("sec-fetch-site", "cross-site".to_owned())),
        ("an opaque Origin", ("origin", "null".to_owned())),
    ] {
        let visitor = Client::new();
        let response = login_with(&visitor, &server, &[header]).await;
        let status = response.status().as_u16();
        let body: Json = response.json().await.unwrap_or(Json::Null);
        assert_eq!(
            (status, &body["error"]["kind"]),
            (403, &Json::from("csrf")),
            "{what}: {body}"
        );
        // Said in the instance's language (Italian), from the theme's catalogue.
        assert_eq!(
            body["error"]["message"],
            "Il modulo è scaduto o non proviene da questo sito: ricarica la pagina e riprova.",
            "{what}"
        );
        assert_eq!(whoami(&visitor, &server).await, None, "{what}");
    }
    // The same post from the page itself goes through.
    let visitor = Client::new();
    let own = [
        ("origin", server.base.clone()),
        ("sec-fetch-site", "same-origin".to_owned()),
    ];
    let response = login_with(&visitor, &server, &own).await;
    assert_eq!(response.status().as_u16(), 303);
    assert_eq!(whoami(&visitor, &server).await.as_deref(), Some("anna"));
}

/// The `Set-Cookie` headers of a response.
fn set_cookies(response: &reqwest::Response) -> Vec<String> {
    response
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok().map(str::to_owned))
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn over_https_cookies_are_host_bound_and_a_planted_one_is_ignored() {
    let instance = TestInstance::new("host-cookies", HELLO);
    add_user(&instance, "anna", "citizen");
    let server = Server::start(&[instance.path()]);
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    let response = http
        .get(server.url("/session"))
        .header("x-forwarded-proto", "https")
        .send()
        .await
        .expect("GET /session");
    let cookies = set_cookies(&response);
    let csrf = cookies
        .iter()
        .find(|c| c.starts_with("__Host-trama_csrf="))
        .unwrap_or_else(|| panic!("a __Host- CSRF cookie: {cookies:?}"));
    assert!(csrf.contains("Secure") && csrf.contains("Path=/"), "{csrf}");
    assert!(!csrf.to_ascii_lowercase().contains("domain="), "{csrf}");

    // An attacker plants a bare-named cookie (as a sibling subdomain could) and posts the
    // same value: over HTTPS the bare name is not the kernel's cookie.
    let planted = "ab".repeat(32);
    let response = http
        .post(server.url("/login"))
        .header("x-forwarded-proto", "https")
        .header("cookie", format!("trama_csrf={planted}"))
        .form(&[
            ("_csrf", planted.as_str()),
            ("username", "anna"),
            ("password", PASSWORD),
        ])
        .send()
        .await
        .expect("POST /login");
    assert_eq!(
        response.status().as_u16(),
        403,
        "a planted cookie is worthless"
    );

    // With the real cookie, the login sets a __Host- session and device cookie.
    let token = csrf
        .split(';')
        .next()
        .and_then(|pair| pair.split_once('='))
        .map(|(_, value)| value.to_owned())
        .expect("token");
    let response = http
        .post(server.url("/login"))
        .header("x-forwarded-proto", "https")
        .header("cookie", format!("__Host-trama_csrf={token}"))
        .form(&[
            ("_csrf", token.as_str()),
            ("username", "anna"),
            ("password", PASSWORD),
        ])
        .send()
        .await
        .expect("POST /login");
    assert_eq!(response.status().as_u16(), 303);
    let cookies = set_cookies(&response);
    for name in ["__Host-trama_session=", "__Host-trama_device="] {
        let cookie = cookies
            .iter()
            .find(|c| c.starts_with(name))
            .unwrap_or_else(|| panic!("{name} in {cookies:?}"));
        assert!(
            cookie.contains("Secure") && cookie.contains("HttpOnly"),
            "{cookie}"
        );
    }
}
