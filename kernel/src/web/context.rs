//! Who is asking, on which instance, in which language: resolved once per request.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::extract::{ConnectInfo, FromRequestParts, Query};
use axum::http::request::Parts;
use axum_extra::extract::CookieJar;
use axum_extra::extract::cookie::{Cookie, SameSite};
use serde_json::{Value as Json, json};

use super::{AppState, WebError};
use crate::auth::users::User;
use crate::auth::{sessions, users};
use crate::instance::Instance;
use crate::live::LiveInstance;

pub const SESSION_COOKIE: &str = "trama_session";
pub const CSRF_COOKIE: &str = "trama_csrf";
pub const LANG_COOKIE: &str = "trama_lang";
/// A browser where an account has logged in before (see `auth::devices`).
pub const DEVICE_COOKIE: &str = "trama_device";

/// The request context every kernel page and plugin route starts from.
pub struct Ctx {
    /// The instance version serving this request, kept for the whole request.
    pub instance: Arc<Instance>,
    /// The instance across versions, for changes that swap in a new one (governance).
    pub live: Arc<LiveInstance>,
    pub user: Option<User>,
    /// The session token, when logged in.
    pub session: Option<String>,
    /// The CSRF token of this browser (double-submit: cookie and form field must match).
    pub csrf: String,
    pub locale: String,
    /// Cookies to send back (new CSRF token, language choice, session changes).
    pub jar: CookieJar,
    pub secure: bool,
    /// Whether the client prefers HTML (a browser) over JSON (an API client).
    pub wants_html: bool,
    /// The `X-CSRF-Token` header, which scripts send instead of the `_csrf` form field.
    pub csrf_header: Option<String>,
    /// Whether the browser says this request comes from another site or a sibling subdomain
    /// (`Sec-Fetch-Site`, or an `Origin` naming another host): such requests never pass the
    /// CSRF check, whatever token they carry.
    pub cross_site: bool,
    /// The client's IP address, for the login throttle: the TCP peer, or the last
    /// `X-Forwarded-For` hop when the server trusts its proxy (`--trust-proxy`): the one the
    /// proxy added, whatever the client put before it.
    pub client_addr: String,
    /// Served by `trama dev`: a server error shows the developer what failed and where.
    pub dev: bool,
    /// The browser's `User-Agent`, remembered with a new session for "my sessions".
    pub user_agent: Option<String>,
    /// The one-time message this page shows after the person's last action (see
    /// [`super::notice`]), handed to the templates as `flash`.
    pub flash: Option<String>,
    /// The path asked for: pages mark the current one in the menus and the breadcrumbs.
    pub path: String,
}

#[derive(serde::Deserialize)]
struct LangQuery {
    lang: Option<String>,
}

impl FromRequestParts<AppState> for Ctx {
    type Rejection = WebError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, WebError> {
        let host = parts
            .headers
            .get(axum::http::header::HOST)
            .and_then(|h| h.to_str().ok())
            .unwrap_or_default();
        let live = state
            .instances
            .for_host(host)
            .ok_or_else(|| WebError::UnknownHost(host.to_owned()))?;
        let instance = live.current();
        let jar = CookieJar::from_headers(&parts.headers);
        let secure = state.secure_cookies || super::headers::forwarded_https(&parts.headers);
        let wants_html = parts
            .headers
            .get(axum::http::header::ACCEPT)
            .and_then(|h| h.to_str().ok())
            .is_some_and(|accept| accept.contains("text/html"));
        let client_addr = client_addr(parts, state.trust_proxy);
        let csrf_header = parts
            .headers
            .get("x-csrf-token")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let cross_site = cross_site(&parts.headers, &instance.manifest.instance.hosts);
        let mut ctx = Ctx {
            path: parts.uri.path().to_owned(),
            cross_site,
            client_addr,
            csrf_header,
            user: None,
            session: None,
            csrf: String::new(),
            locale: instance.manifest.instance.locale.clone(),
            jar,
            secure,
            wants_html,
            instance,
            live,
            dev: state.dev,
            user_agent: parts
                .headers
                .get(axum::http::header::USER_AGENT)
                .and_then(|value| value.to_str().ok())
                .map(str::to_owned),
            flash: parts
                .extensions
                .get::<super::notice::Shown>()
                .map(|shown| shown.0.clone()),
        };
        if let Some(token) = ctx.cookie_value(SESSION_COOKIE) {
            ctx.user = sessions::user(&ctx.instance.db, ctx.instance.id(), &token).await?;
            if ctx.user.is_some() {
                ctx.session = Some(token);
            }
        }
        // Logged in: the token derives from the session, so a cookie planted by a sibling
        // subdomain is useless. Anonymous (login and sign-up forms): a double-submit cookie.
        let cookie = ctx.cookie_value(CSRF_COOKIE);
        match (&ctx.session, cookie) {
            (Some(session), _) => ctx.csrf = sessions::csrf_token(session),
            (None, Some(token)) if token.len() == 64 => ctx.csrf = token,
            (None, _) => ctx.rotate_csrf(),
        }
        let chosen = Query::<LangQuery>::try_from_uri(&parts.uri)
            .ok()
            .and_then(|q| q.0.lang)
            .filter(|lang| ctx.instance.theme.speaks(lang));
        // The language: chosen now (`?lang=`, remembered for the account and the browser), else
        // the account's choice, else the browser's, else the instance's default.
        let saved = match &ctx.user {
            Some(user) => users::locale(&ctx.instance.db, ctx.instance.id(), &user.id)
                .await?
                .filter(|lang| ctx.instance.theme.speaks(lang)),
            None => None,
        };
        if let Some(lang) = chosen {
            if let Some(user) = &ctx.user
                && saved.as_deref() != Some(lang.as_str())
            {
                users::set_locale(&ctx.instance.db, ctx.instance.id(), &user.id, &lang).await?;
            }
            ctx.jar = ctx
                .jar
                .clone()
                .add(ctx.cookie(LANG_COOKIE, lang.clone(), false));
            ctx.locale = lang;
        } else if let Some(lang) = saved.or_else(|| {
            ctx.cookie_value(LANG_COOKIE)
                .filter(|lang| ctx.instance.theme.speaks(lang))
        }) {
            ctx.locale = lang;
        }
        if parts.method == axum::http::Method::GET && ctx.wants_html {
            ctx.require_privacy_accepted(&parts.uri).await?;
        }
        Ok(ctx)
    }
}

/// Pages a person may open without having accepted the privacy notice: the notice itself,
/// their account (to download their data or ask for erasure), logging in and out, and what
/// pages are built from.
const OPEN_WITHOUT_PRIVACY: &[&str] = &[
    "/privacy",
    "/account",
    "/logout",
    "/static/",
    "/healthz",
    "/session",
    "/login",
    "/signup",
    "/invite/",
    "/password/",
    "/verify/",
];

impl Ctx {
    /// A text of the theme (the privacy notice, a footer page) as HTML in the visitor's
    /// language, its `{{ instance.name }}` filled in.
    pub(super) fn theme_text(
        &self,
        texts: &crate::theme::Texts,
    ) -> Result<crate::theme::Rendered, WebError> {
        let instance = &self.instance;
        texts
            .html(
                &self.locale,
                &instance.manifest.instance.locale,
                &serde_json::json!({ "instance": { "name": instance.manifest.instance.name, "id": instance.id() } }),
            )
            .map_err(WebError::from)
    }

    /// Sends a logged-in browser that has not accepted the theme's current privacy notice to
    /// read it first ([`WebError::PrivacyNotice`]); everyone else, and API clients, pass.
    async fn require_privacy_accepted(&self, uri: &axum::http::Uri) -> Result<(), WebError> {
        let (Some(user), Some(notice)) = (&self.user, self.instance.theme.privacy()) else {
            return Ok(());
        };
        let path = uri.path();
        // The footer's legal notes, accessibility statement and contacts are what a person may
        // want to read before agreeing: open too.
        let footer_page = crate::theme::Page::ALL
            .iter()
            .any(|page| path.strip_prefix('/') == Some(page.slug()));
        if footer_page
            || OPEN_WITHOUT_PRIVACY
                .iter()
                .any(|open| path == open.trim_end_matches('/') || path.starts_with(open))
        {
            return Ok(());
        }
        let accepted =
            crate::privacy::consent::accepted(&self.instance.db, self.instance.id(), &user.id)
                .await?;
        if accepted.as_deref() == Some(notice.version.as_str()) {
            return Ok(());
        }
        let next = uri.path_and_query().map_or(path, |pq| pq.as_str());
        Err(WebError::PrivacyNotice(next.to_owned()))
    }

    /// The name a cookie is set and read under. Over HTTPS it carries the `__Host-` prefix,
    /// which browsers accept only when set by this very host, Secure, with `Path=/` and no
    /// `Domain`: a sibling subdomain or someone on the network cannot plant it (the login
    /// CSRF and session fixation defence). Over plain HTTP (the demo, tests) the bare name.
    pub fn cookie_name(&self, name: &str) -> String {
        cookie_name(self.secure, name)
    }

    /// The value of the cookie `name` (under its [`Ctx::cookie_name`]); a bare-named cookie
    /// sent over HTTPS is ignored, since anyone could have planted it.
    pub fn cookie_value(&self, name: &str) -> Option<String> {
        self.jar
            .get(&self.cookie_name(name))
            .map(|c| c.value().to_owned())
    }

    /// A cookie scoped to this host, never readable by scripts (when `http_only`), and not sent
    /// on cross-site sub-requests.
    pub fn cookie(&self, name: &str, value: String, http_only: bool) -> Cookie<'static> {
        Cookie::build((self.cookie_name(name), value))
            .path("/")
            .http_only(http_only)
            .secure(self.secure)
            .same_site(SameSite::Lax)
            .build()
    }

    /// Issues a new anonymous CSRF token (on first visit, login and logout).
    pub fn rotate_csrf(&mut self) {
        self.csrf = sessions::new_token();
        self.jar = self
            .jar
            .clone()
            .add(self.cookie(CSRF_COOKIE, self.csrf.clone(), true));
    }

    /// Whether `token` matches this browser's CSRF token, compared in constant time.
    pub fn csrf_matches(&self, token: &str) -> bool {
        let (a, b) = (self.csrf.as_bytes(), token.as_bytes());
        a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
    }

    /// Fails unless the form or header carried this browser's CSRF token.
    pub fn check_csrf(&self, token: Option<&str>) -> Result<(), WebError> {
        let has_secret = self.session.is_some() || self.cookie_value(CSRF_COOKIE).is_some();
        match token {
            Some(token) if has_secret && !self.cross_site && self.csrf_matches(token) => Ok(()),
            _ => Err(WebError::Csrf),
        }
    }

    /// What every page template receives.
    pub fn page_context(&self) -> Json {
        let plugins: Vec<Json> = self
            .instance
            .plugins
            .values()
            .map(|plugin| {
                json!({
                    "name": plugin.name,
                    "title": crate::theme::localized(&plugin.title, &self.locale).unwrap_or(&plugin.name),
                    "description": crate::theme::localized(&plugin.description, &self.locale).unwrap_or(""),
                    "href": format!("/p/{}/", plugin.name),
                })
            })
            .collect();
        let identity = &self.instance.manifest.identity;
        let providers: Vec<Json> = identity
            .providers
            .values()
            .map(|provider| {
                json!({
                    "name": provider.name,
                    "label": provider.label,
                    "href": format!("/login/oidc/{}", provider.name),
                })
            })
            .collect();
        json!({
            "instance": {
                "id": self.instance.id(),
                "name": self.instance.manifest.instance.name,
                "owner": self.instance.manifest.instance.owner,
            },
            "path": self.path,
            "identity": {
                "password_login": identity.password_login,
                "providers": providers,
            },
            "user": self.user,
            // The one-time message after the person's last action (`flash.html` shows it).
            "flash": self.flash,
            "csrf_token": self.csrf,
            "locale": self.locale,
            "locales": self.instance.theme.locales(),
            "plugins": plugins,
            // The notice's version, for the sign-up form's "I accept" (none: no notice).
            "privacy_version": self.instance.theme.privacy().map(|notice| notice.version.as_str()),
            // The footer's legal notes, accessibility statement and contacts the theme has; the
            // template names each with `t[p.key]`.
            "footer_pages": crate::theme::Page::ALL
                .iter()
                .filter(|page| self.instance.theme.page(**page).is_some())
                .map(|page| serde_json::json!({
                    "href": format!("/{}", page.slug()),
                    "key": page.title_key(),
                }))
                .collect::<Vec<_>>(),
            // Whether the footer links the territory's public indicators (`/indicators`).
            "indicators_page": !self.instance.manifest.indicators.indicators.is_empty(),
        })
    }
}

/// The name cookie `name` is set and read under (see [`Ctx::cookie_name`]).
pub(super) fn cookie_name(secure: bool, name: &str) -> String {
    if secure {
        format!("__Host-{name}")
    } else {
        name.to_owned()
    }
}

/// Whether the browser marks the request as coming from elsewhere: `Sec-Fetch-Site` other
/// than `same-origin` or `none` (a typed address, a bookmark), or, from browsers that do not
/// send it (plain HTTP to a non-local address), an `Origin` whose host is neither the `Host`
/// asked for nor one of the instance's `hosts` (a proxy may rewrite `Host`); `null` included.
/// Clients that send neither (scripts, older browsers) are judged by the token alone.
fn cross_site(headers: &axum::http::HeaderMap, hosts: &[String]) -> bool {
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    if let Some(site) = header("sec-fetch-site") {
        return !matches!(site, "same-origin" | "none");
    }
    let Some(origin) = header("origin") else {
        return false;
    };
    let host_of = |authority: &str| -> String {
        let authority = authority.rsplit('@').next().unwrap_or_default();
        match authority.strip_prefix('[') {
            Some(v6) => v6
                .split(']')
                .next()
                .unwrap_or_default()
                .to_ascii_lowercase(),
            None => authority
                .split(':')
                .next()
                .unwrap_or_default()
                .to_ascii_lowercase(),
        }
    };
    let Some(origin_host) = origin.split_once("://").map(|(_, rest)| host_of(rest)) else {
        return true;
    };
    let asked = header("host").map(host_of);
    asked.as_deref() != Some(origin_host.as_str())
        && !hosts.iter().any(|h| h.eq_ignore_ascii_case(&origin_host))
}

/// The client address of a request (see [`Ctx::client_addr`]). `unknown` when the server was
/// not started with connect info (a router driven in-process), so such clients share a counter.
fn client_addr(parts: &Parts, trust_proxy: bool) -> String {
    let forwarded = trust_proxy
        .then(|| parts.headers.get("x-forwarded-for"))
        .flatten()
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.rsplit(',').next())
        .and_then(|hop| hop.trim().parse::<std::net::IpAddr>().ok());
    let peer = || {
        parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|info| info.0.ip())
    };
    forwarded
        .or_else(peer)
        .map_or_else(|| "unknown".to_owned(), address_key)
}

/// The key an address is counted under: an IPv4 address as it is (also when it arrives
/// IPv4-mapped on a dual-stack socket), an IPv6 address by its /64 network, since one home or
/// one server is handed a whole /64 and could otherwise take a fresh address for every guess.
fn address_key(ip: std::net::IpAddr) -> String {
    match ip.to_canonical() {
        std::net::IpAddr::V4(v4) => v4.to_string(),
        std::net::IpAddr::V6(v6) => {
            let s = v6.segments();
            format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{address_key, cross_site};

    #[test]
    fn requests_marked_as_coming_from_another_site_or_subdomain_are_cross_site() {
        let judge = |pairs: &[(&'static str, &'static str)]| {
            let mut headers = axum::http::HeaderMap::new();
            headers.insert("host", "comune.example.it:8443".parse().expect("value"));
            for (name, value) in pairs {
                headers.insert(*name, value.parse().expect("value"));
            }
            cross_site(
                &headers,
                &[
                    "comune.example.it".to_owned(),
                    "www.comune.example.it".to_owned(),
                ],
            )
        };
        assert!(!judge(&[]), "a script sending neither header");
        assert!(!judge(&[("sec-fetch-site", "same-origin")]));
        assert!(!judge(&[("sec-fetch-site", "none")]));
        assert!(
            judge(&[("sec-fetch-site", "same-site")]),
            "a sibling subdomain"
        );
        assert!(judge(&[("sec-fetch-site", "cross-site")]));
        assert!(
            !judge(&[("origin", "https://COMUNE.example.it")]),
            "ports and case aside"
        );
        assert!(judge(&[("origin", "https://evil.example")]));
        assert!(judge(&[("origin", "https://altro.example.it")]));
        assert!(judge(&[("origin", "null")]));
        // A proxy that rewrote Host: an Origin naming one of the instance's hosts is its own.
        assert!(!judge(&[("origin", "http://www.comune.example.it")]));
        // Sec-Fetch-Site, when sent, is what counts.
        assert!(!judge(&[
            ("sec-fetch-site", "same-origin"),
            ("origin", "https://comune.example.it")
        ]));
    }

    #[test]
    fn addresses_of_one_ipv6_network_share_a_key_and_mapped_ipv4_is_plain() {
        let key = |text: &str| address_key(text.parse().expect("an address"));
        assert_eq!(key("2001:db8:1:2::1"), key("2001:db8:1:2:ffff::9"));
        assert_ne!(key("2001:db8:1:2::1"), key("2001:db8:1:3::1"));
        assert_eq!(key("::ffff:192.0.2.7"), "192.0.2.7");
        assert_eq!(key("192.0.2.7"), "192.0.2.7");
    }
}
