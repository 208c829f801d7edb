//! Request bodies, read once by the kernel before any handler: within [`MAX_BODY_BYTES`] and
//! the body deadline, or refused in the kernel's envelope (JSON, or the error page for a
//! browser, in the visitor's language) rather than in the plain text of whichever extractor
//! happened to read it.
//!
//! Handlers and plugins then receive the body already in memory; every kernel route and plugin
//! call reads the whole body anyway (forms, JSON, uploads up to the cap), so reading it here
//! costs nothing more.

use axum::body::{Body, HttpBody};
use axum::extract::{FromRequestParts, Request, State};
use axum::http::{HeaderValue, Method, header};
use axum::middleware::Next;
use axum::response::Response;

use super::{AppState, Ctx, MAX_BODY_BYTES, WebError};
use crate::files::MAX_UPLOAD_BYTES;

/// Largest announced body the kernel reads and discards before refusing it; anything bigger is
/// refused at once and the connection closed.
const DRAIN_LIMIT: u64 = 16 * 1024 * 1024;

/// Why a body was not read.
enum Unread {
    /// Over the limit, in bytes, that applied to the request.
    TooLarge(usize),
    TimedOut,
    Broken,
}

/// Reads the body of every request that may carry one, then runs the handler with it.
///
/// A body announced (`Content-Length`) over the limit is refused before it is read, after
/// reading and discarding it up to [`DRAIN_LIMIT`]: a server that answers and closes while the
/// client is still sending makes the client see a broken connection instead of the answer.
pub async fn read_body(State(state): State<AppState>, request: Request, next: Next) -> Response {
    if matches!(*request.method(), Method::GET | Method::HEAD) {
        return next.run(request).await;
    }
    let announced = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    let limit = limit_for(&request);
    let (mut head, body) = request.into_parts();
    // The connection layer's deadline restarts with every piece of body that arrives; this
    // one bounds the whole body, so a byte every few seconds cannot hold a request open.
    let deadline = state.body_timeout;
    if let Some(length) = announced.filter(|length| *length > limit as u64) {
        let continues = head
            .headers
            .get(header::EXPECT)
            .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"100-continue"));
        // A client waiting for `100 Continue` has sent nothing yet: answer at once.
        if length <= DRAIN_LIMIT && !continues {
            let _ = tokio::time::timeout(deadline, drain(body)).await;
        }
        return refuse(&mut head, &state, Unread::TooLarge(limit)).await;
    }
    match tokio::time::timeout(deadline, axum::body::to_bytes(body, limit)).await {
        Ok(Ok(bytes)) => next.run(Request::from_parts(head, Body::from(bytes))).await,
        Ok(Err(err)) => refuse(&mut head, &state, classify(&err, limit)).await,
        Err(_) => refuse(&mut head, &state, Unread::TimedOut).await,
    }
}

/// The most a request may carry: [`MAX_BODY_BYTES`], or [`MAX_UPLOAD_BYTES`] for a form with
/// files sent to a plugin (the only place files are taken).
fn limit_for(request: &Request) -> usize {
    if request.uri().path().starts_with("/p/") && crate::files::is_multipart(request.headers()) {
        MAX_UPLOAD_BYTES
    } else {
        MAX_BODY_BYTES
    }
}

/// Tells a body over the cap and a body that came too slowly from a broken one (a client that
/// reset the connection), by the errors in the chain.
fn classify(err: &axum::Error, limit: usize) -> Unread {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(err);
    while let Some(cause) = source {
        if cause.is::<http_body_util::LengthLimitError>() {
            return Unread::TooLarge(limit);
        }
        if cause.is::<tower_http::timeout::TimeoutError>() {
            return Unread::TimedOut;
        }
        source = cause.source();
    }
    Unread::Broken
}

/// Reads a request body to its end, keeping nothing.
async fn drain(body: Body) {
    let mut body = std::pin::pin!(body);
    while let Some(frame) = std::future::poll_fn(|cx| body.as_mut().poll_frame(cx)).await {
        if frame.is_err() {
            break;
        }
    }
}

/// The refusal for the visitor of `head`: the envelope or the error page, in their language.
/// The connection is closed after it: the rest of the body may still be on its way.
async fn refuse(head: &mut axum::http::request::Parts, state: &AppState, why: Unread) -> Response {
    let mut response = match Ctx::from_request_parts(head, state).await {
        Ok(ctx) => {
            let error = match why {
                Unread::TooLarge(limit) => {
                    let limit = (limit / 1024).to_string();
                    let message = super::pages::msg(&ctx, "payload_too_large");
                    WebError::PayloadTooLarge(message.replace("{kib}", &limit))
                }
                Unread::TimedOut => WebError::BodyTimeout(super::pages::msg(&ctx, "body_timeout")),
                Unread::Broken => WebError::BadRequest(super::pages::msg(&ctx, "body_unreadable")),
            };
            error.render(&ctx)
        }
        Err(err) => axum::response::IntoResponse::into_response(err),
    };
    response
        .headers_mut()
        .insert(header::CONNECTION, HeaderValue::from_static("close"));
    response
}
