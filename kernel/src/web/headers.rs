//! Security headers on every response, kernel pages and plugin routes alike.
//!
//! The policy is strict because the pages need nothing more: no script is served inline or from
//! elsewhere (every journey works without JavaScript), forms post to the same site, and no page
//! may be framed — the one-click forms (vote, approve, close a campaign) would otherwise be open
//! to click-jacking. Inline `style` attributes are still allowed: some plugin templates use
//! them for layout, and a style cannot run code.

use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::middleware::Next;
use axum::response::Response;

use super::AppState;

/// `Content-Security-Policy` of every response.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; \
     style-src 'self' 'unsafe-inline'; img-src 'self' data:; object-src 'none'; \
     base-uri 'self'; form-action 'self'; frame-ancestors 'none'";

/// One year, the value HSTS preload lists ask for; sent only over TLS, as RFC 6797 requires.
const STRICT_TRANSPORT_SECURITY: &str = "max-age=31536000; includeSubDomains";

/// Adds the headers after the handler ran. A handler's own `Cache-Control` (theme assets are
/// cacheable) is kept; any other response may show personal data — a tax code, an ISEE, a
/// balance — and is marked `no-store` so that no shared or back-button cache keeps it.
pub(super) async fn security_headers(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    let over_tls = state.secure_cookies || forwarded_https(request.headers());
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    let fixed = [
        (header::CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::X_FRAME_OPTIONS, "DENY"),
        (header::REFERRER_POLICY, "same-origin"),
    ];
    for (name, value) in fixed {
        headers.insert(name, HeaderValue::from_static(value));
    }
    if !headers.contains_key(header::CACHE_CONTROL) {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    if over_tls {
        headers.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static(STRICT_TRANSPORT_SECURITY),
        );
    }
    response
}

/// Whether the TLS-terminating proxy says the request came over HTTPS (the same test that marks
/// cookies `Secure`).
pub(super) fn forwarded_https(headers: &HeaderMap) -> bool {
    headers
        .get("x-forwarded-proto")
        .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"https"))
}
