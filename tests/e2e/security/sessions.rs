//! A session planted before login or left after logout is worthless.

use serde_json::Value as Json;

use crate::support::{
    HELLO, Server, TestInstance, add_user, bare_client, cookie_value, login_with_cookies,
    set_cookie, user_csrf,
};

pub(super) async fn user_of_session(http: &reqwest::Client, server: &Server, token: &str) -> Json {
    let session: Json = http
        .get(server.url("/session"))
        .header("cookie", format!("trama_session={token}"))
        .send()
        .await
        .expect("GET /session")
        .json()
        .await
        .expect("JSON");
    session["user"].clone()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_session_planted_before_login_or_left_after_logout_is_worthless() {
    let instance = TestInstance::new("fixation", HELLO);
    add_user(&instance, "vittima", "citizen");
    add_user(&instance, "attaccante", "citizen");
    let server = Server::start(&[instance.path()]);
    let http = bare_client();

    // The attacker logs in and plants their own session cookie in the victim's browser (from
    // a sibling subdomain, say), hoping to share whatever the victim does next.
    let first = http.get(server.url("/session")).send().await.expect("GET");
    let csrf_cookie = set_cookie(&first, "trama_csrf").expect("an anonymous CSRF cookie");
    assert!(csrf_cookie.contains("HttpOnly"), "{csrf_cookie}");
    assert!(csrf_cookie.contains("SameSite=Lax"), "{csrf_cookie}");
    let attacker = login_with_cookies(
        &http,
        &server,
        &format!("trama_csrf={}", cookie_value(&csrf_cookie)),
        "attaccante",
    )
    .await;
    assert_eq!(attacker.status().as_u16(), 303);
    let session_cookie = set_cookie(&attacker, "trama_session").expect("a session cookie");
    assert!(session_cookie.contains("HttpOnly"), "{session_cookie}");
    assert!(session_cookie.contains("SameSite=Lax"), "{session_cookie}");
    assert!(session_cookie.contains("Path=/"), "{session_cookie}");
    let planted = cookie_value(&session_cookie);
    assert_eq!(
        user_of_session(&http, &server, &planted).await["username"],
        "attaccante"
    );

    let victim = login_with_cookies(
        &http,
        &server,
        &format!("trama_session={planted}"),
        "vittima",
    )
    .await;
    assert_eq!(victim.status().as_u16(), 303);
    let fresh = cookie_value(&set_cookie(&victim, "trama_session").expect("a new session"));
    assert_ne!(fresh, planted, "login must issue a new session token");
    assert_eq!(
        user_of_session(&http, &server, &fresh).await["username"],
        "vittima"
    );
    assert_eq!(
        user_of_session(&http, &server, &planted).await,
        Json::Null,
        "the planted token is no longer valid"
    );

    // A made-up token planted before login is simply replaced.
    let made_up = "f".repeat(64);
    let response = login_with_cookies(
        &http,
        &server,
        &format!("trama_session={made_up}"),
        "vittima",
    )
    .await;
    let after = cookie_value(&set_cookie(&response, "trama_session").expect("a session"));
    assert_ne!(after, made_up);

    // Logout ends the session on the server: replaying the old cookie gets nothing.
    let csrf = user_csrf(&http, &server, &fresh).await;
    let logout = http
        .post(server.url("/logout"))
        .header("cookie", format!("trama_session={fresh}"))
        .form(&[("_csrf", csrf.as_str())])
        .send()
        .await
        .expect("POST /logout");
    assert_eq!(logout.status().as_u16(), 303);
    assert_eq!(user_of_session(&http, &server, &fresh).await, Json::Null);
    let mine = http
        .get(server.url("/me"))
        .header("cookie", format!("trama_session={fresh}"))
        .header("accept", "text/html")
        .send()
        .await
        .expect("GET /me");
    let status = mine.status().as_u16();
    let location = mine
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    assert!(
        status == 401 || (status == 303 && location.starts_with("/login")),
        "the old cookie reaches /me: {status} {location}"
    );
    // The other session of the same account is untouched.
    assert_eq!(
        user_of_session(&http, &server, &after).await["username"],
        "vittima"
    );
}
