//! The one-time message after an action ("Domanda inviata: protocollo 2026/000123", "Password
//! cambiata"): kept on the server for the browser's next page, shown there once, then forgotten.
//!
//! A message in the address (`?done=password`) came back on every reload and in every shared
//! or bookmarked link, and anyone could make a page say it; one in a plain cookie could be
//! written by anyone who can set cookies. Here the browser holds only a random token, in a
//! short-lived HttpOnly cookie; the database holds the token's SHA-256 with the text (as it does
//! for sessions), so the text cannot be forged or read from the cookie, and every node of the
//! instance can show it.
//!
//! [`show_once`] takes it: the first HTML page the browser then loads shows it and deletes it;
//! a redirect on the way (to the privacy notice, to the login) keeps it for the page after. API
//! clients never get one: [`Ctx::keep_notice`] keeps a message only for a browser.

use axum::extract::{Request, State};
use axum::http::{HeaderValue, Method, header};
use axum::middleware::Next;
use axum::response::Response;
use axum_extra::extract::CookieJar;
use axum_extra::extract::cookie::{Cookie, SameSite};
use sea_orm::DbErr;
use sha2::{Digest, Sha256};

use super::{AppState, Ctx};
use crate::db::{Db, sql};

/// The cookie holding the token of the message waiting for the next page.
pub const NOTICE_COOKIE: &str = "trama_notice";

/// How long a message waits for its page: the next page comes within seconds; a browser closed
/// in between should not greet its next visitor with it the day after.
const TTL_MS: i64 = 10 * 60 * 1000;

/// The message the page being served shows, put in the request by [`show_once`] for
/// [`Ctx`] to hand to the templates as `flash`.
#[derive(Debug, Clone)]
pub(super) struct Shown(pub String);

fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

impl Ctx {
    /// Keeps `text` for this browser's next page, replacing a message it has not seen yet.
    /// Only a browser gets one (an API client has no next page), and a failure to keep it is
    /// logged, never the action's failure: what the person did has been done.
    pub(super) async fn keep_notice(&mut self, text: &str) {
        let text = text.trim();
        if !self.wants_html || text.is_empty() {
            return;
        }
        let replaced = self.cookie_value(NOTICE_COOKIE);
        let token = crate::auth::sessions::new_token();
        match keep(
            &self.instance.db,
            self.instance.id(),
            &token,
            text,
            replaced,
        )
        .await
        {
            Ok(()) => {
                let cookie = Cookie::build((self.cookie_name(NOTICE_COOKIE), token))
                    .path("/")
                    .http_only(true)
                    .secure(self.secure)
                    .same_site(SameSite::Lax)
                    .max_age(time::Duration::milliseconds(TTL_MS))
                    .build();
                self.jar = self.jar.clone().add(cookie);
            }
            Err(err) => {
                tracing::warn!(instance = %self.instance.id(), %err, "could not keep the message for the next page");
            }
        }
    }

    /// After an action: the browser sent on to `location`, where the theme's message `key`
    /// ("Password cambiata") waits for it.
    pub(super) async fn done_to(&mut self, location: &str, key: &str) -> axum::response::Response {
        use axum::response::IntoResponse;
        let text = super::pages::msg(self, key);
        self.keep_notice(&text).await;
        (self.jar.clone(), axum::response::Redirect::to(location)).into_response()
    }
}

/// Stores `text` under `token`, deleting the message `replaced` held and every expired one.
async fn keep(
    db: &Db,
    instance: &str,
    token: &str,
    text: &str,
    replaced: Option<String>,
) -> Result<(), DbErr> {
    use sea_orm::ConnectionTrait;
    let now = crate::clock::now_ms();
    let replaced = replaced.as_deref().map(token_hash).unwrap_or_default();
    let _guard = db.write_guard().await;
    let txn = db.conn();
    txn.execute_raw(sql::stmt(
        db.backend(),
        "DELETE FROM notices WHERE instance = ? AND (token_hash = ? OR expires_at <= ?)",
        vec![instance.into(), replaced.into(), now.into()],
    ))
    .await?;
    txn.execute_raw(sql::stmt(
        db.backend(),
        "INSERT INTO notices (instance, token_hash, text, expires_at) VALUES (?, ?, ?, ?)",
        vec![
            instance.into(),
            token_hash(token).into(),
            text.into(),
            (now + TTL_MS).into(),
        ],
    ))
    .await?;
    Ok(())
}

/// The message waiting under `token`, if it has not expired.
async fn waiting(db: &Db, instance: &str, token: &str) -> Result<Option<String>, DbErr> {
    use sea_orm::ConnectionTrait;
    let row = db
        .conn()
        .query_one_raw(sql::stmt(
            db.backend(),
            "SELECT text FROM notices WHERE instance = ? AND token_hash = ? AND expires_at > ?",
            vec![
                instance.into(),
                token_hash(token).into(),
                crate::clock::now_ms().into(),
            ],
        ))
        .await?;
    row.map(|row| row.try_get("", "text")).transpose()
}

/// Deletes the message under `token`.
async fn forget(db: &Db, instance: &str, token: &str) -> Result<(), DbErr> {
    use sea_orm::ConnectionTrait;
    let _guard = db.write_guard().await;
    db.conn()
        .execute_raw(sql::stmt(
            db.backend(),
            "DELETE FROM notices WHERE instance = ? AND token_hash = ?",
            vec![instance.into(), token_hash(token).into()],
        ))
        .await?;
    Ok(())
}

/// Shows a waiting message on the first HTML page a browser loads, then forgets it: a `GET`
/// for a page, carrying the cookie, has the message put in the request for the page to show;
/// once the answer is an HTML page, the message is deleted and the cookie cleared. A redirect,
/// a download or a JSON answer on the way leaves both for the page after.
pub(super) async fn show_once(
    State(state): State<AppState>,
    mut request: Request,
    next: Next,
) -> Response {
    let headers = request.headers();
    let secure = state.secure_cookies || super::headers::forwarded_https(headers);
    let wants_page = request.method() == Method::GET
        && headers
            .get(header::ACCEPT)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|accept| accept.contains("text/html"));
    let name = super::context::cookie_name(secure, NOTICE_COOKIE);
    let token = wants_page
        .then(|| {
            CookieJar::from_headers(headers)
                .get(&name)
                .map(|c| c.value().to_owned())
        })
        .flatten();
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or_default();
    let (Some(token), Some(live)) = (token, state.instances.for_host(host)) else {
        return next.run(request).await;
    };
    let instance = live.current();
    match waiting(&instance.db, instance.id(), &token).await {
        Ok(Some(text)) => {
            request.extensions_mut().insert(Shown(text));
        }
        Ok(None) => {}
        Err(err) => {
            tracing::warn!(instance = %instance.id(), %err, "could not read the message for this page")
        }
    }
    let mut response = next.run(request).await;
    let is_page = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|kind| kind.starts_with("text/html"));
    if !is_page {
        return response;
    }
    if let Err(err) = forget(&instance.db, instance.id(), &token).await {
        tracing::warn!(instance = %instance.id(), %err, "could not forget a message already shown");
    }
    let cleared = Cookie::build((name, ""))
        .path("/")
        .http_only(true)
        .secure(secure)
        .same_site(SameSite::Lax)
        .max_age(time::Duration::ZERO)
        .build();
    if let Ok(value) = HeaderValue::from_str(&cleared.to_string()) {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
    response
}
