//! `/p/{plugin}/…`: checks the CSRF token of unsafe requests, calls the plugin, and turns its
//! answer (JSON, redirect, page, download) into an HTTP response.

use axum::body::Bytes;
use axum::extract::Path;
use axum::extract::rejection::PathRejection;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use serde_json::{Value as Json, json};

use super::form::FormFields;
use super::{Ctx, WebError};
use crate::host::bindings::types::{HttpRequest, HttpResponse, PluginError};
use crate::instance::Handled;

/// Largest response body a plugin may produce.
pub const MAX_RESPONSE_BYTES: usize = 16 * 1024 * 1024;

pub async fn handle_root(
    ctx: Ctx,
    method: Method,
    path: Result<Path<String>, PathRejection>,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    match path {
        Ok(Path(plugin)) => dispatch(ctx, method, plugin, "/".to_owned(), uri, headers, body).await,
        Err(rejection) => bad_path(&ctx, rejection),
    }
}

pub async fn handle(
    ctx: Ctx,
    method: Method,
    path: Result<Path<(String, String)>, PathRejection>,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    match path {
        Ok(Path((plugin, rest))) => {
            dispatch(ctx, method, plugin, format!("/{rest}"), uri, headers, body).await
        }
        Err(rejection) => bad_path(&ctx, rejection),
    }
}

/// A path that does not decode (say `%ff`, not UTF-8) is refused by the kernel, in the same
/// envelope as every other refusal, before any plugin sees it.
fn bad_path(ctx: &Ctx, rejection: PathRejection) -> Response {
    WebError::BadRequest(format!(
        "the address is not valid: {}",
        rejection.body_text()
    ))
    .render(ctx)
}

/// The methods plugin routes take; anything else (TRACE, CONNECT, OPTIONS: the kernel does no
/// CORS) is refused before any plugin runs.
const PLUGIN_METHODS: [Method; 6] = [
    Method::GET,
    Method::HEAD,
    Method::POST,
    Method::PUT,
    Method::PATCH,
    Method::DELETE,
];

/// 405 in the envelope, with `Allow` listing [`PLUGIN_METHODS`].
fn method_not_allowed(ctx: &Ctx) -> Response {
    let mut response = WebError::Refused {
        status: axum::http::StatusCode::METHOD_NOT_ALLOWED,
        kind: "method_not_allowed",
        message: super::pages::msg(ctx, "method_not_allowed"),
    }
    .render(ctx);
    response.headers_mut().insert(
        header::ALLOW,
        axum::http::HeaderValue::from_static("GET, HEAD, POST, PUT, PATCH, DELETE"),
    );
    response
}

fn is_form(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"))
}

/// The refusal of a form with files the kernel would not take, in the visitor's language.
fn upload_refused(ctx: &Ctx, err: crate::files::MultipartError) -> WebError {
    use crate::files::MultipartError;
    let msg = |key| super::pages::msg(ctx, key);
    let (status, kind) = err.status_and_kind();
    let message = match err {
        MultipartError::Malformed(why) => {
            tracing::debug!(%why, "an unreadable multipart form");
            msg("upload_unreadable")
        }
        MultipartError::TooManyFields(limit) => {
            msg("too_many_fields").replace("{limit}", &limit.to_string())
        }
        MultipartError::TextTooLarge(limit) => {
            msg("payload_too_large").replace("{kib}", &(limit / 1024).to_string())
        }
        MultipartError::TooManyFiles => {
            msg("upload_too_many_files").replace("{limit}", &crate::files::MAX_FILES.to_string())
        }
        MultipartError::Unrecognised { name, .. } => {
            msg("upload_unrecognised").replace("{name}", &name)
        }
    };
    WebError::Refused {
        status: StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_REQUEST),
        kind,
        message,
    }
}

async fn dispatch(
    mut ctx: Ctx,
    method: Method,
    plugin_name: String,
    path: String,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if !PLUGIN_METHODS.contains(&method) {
        return method_not_allowed(&ctx);
    }
    let instance = ctx.instance.clone();
    let Some(plugin) = instance.plugins.get(&plugin_name).cloned() else {
        return WebError::NotFound.render(&ctx);
    };
    // The routes the kernel calls on its own (money the table allocated) are nobody else's.
    if trama_manifest::is_kernel_only(&path) {
        return WebError::NotFound.render(&ctx);
    }
    let unsafe_method = !matches!(method, Method::GET | Method::HEAD);
    // The write rate first: a form with files is worth decoding only within it.
    if unsafe_method {
        let who = match &ctx.user {
            Some(user) => format!("user:{}", user.id),
            None => format!("address:{}", ctx.client_addr),
        };
        if let Err(wait) = instance.rates.write(&who) {
            tracing::warn!(instance = %instance.id(), plugin = %plugin_name, %who, "plugin write refused: over the write rate");
            let message = super::pages::msg(&ctx, "rate_limited")
                .replace("{seconds}", &wait.retry_after_secs.to_string());
            return WebError::RateLimited {
                retry_after_secs: wait.retry_after_secs,
                message,
            }
            .render(&ctx);
        }
    }
    let mut uploads = Vec::new();
    let (form, body) = if is_form(&headers) {
        match FormFields::parse(&body) {
            Ok(form) => (form.into_pairs(), Vec::new()),
            Err(_) => return ctx.too_many_fields().render(&ctx),
        }
    } else if unsafe_method && crate::files::is_multipart(&headers) {
        let content_type = headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default();
        match crate::files::decode(content_type, body, super::UPLOAD_LIMITS).await {
            Ok(decoded) => {
                uploads = decoded.uploads;
                (decoded.form, Vec::new())
            }
            Err(err) => return upload_refused(&ctx, err).render(&ctx),
        }
    } else {
        (Vec::new(), body.to_vec())
    };
    let query = match FormFields::parse(uri.query().unwrap_or_default().as_bytes()) {
        Ok(query) => query.into_pairs(),
        Err(_) => return ctx.too_many_fields().render(&ctx),
    };
    if unsafe_method {
        let token = form
            .iter()
            .find(|(key, _)| key == "_csrf")
            .map(|(_, value)| value.as_str())
            .or(ctx.csrf_header.as_deref());
        if let Err(err) = ctx.check_csrf(token) {
            return err.render(&ctx);
        }
    }
    let request = HttpRequest {
        method: method.as_str().to_owned(),
        path,
        query,
        headers: headers
            .iter()
            .filter(|(name, _)| *name != header::COOKIE && *name != header::AUTHORIZATION)
            .filter_map(|(name, value)| {
                Some((name.as_str().to_owned(), value.to_str().ok()?.to_owned()))
            })
            .collect(),
        form: form.into_iter().filter(|(key, _)| key != "_csrf").collect(),
        body,
        locale: ctx.locale.clone(),
    };
    let caller = ctx.user.clone().map(Into::into);
    match instance.handle(&plugin, request, caller, uploads).await {
        Ok(Ok(Handled { response, notice })) => {
            // The message for the page the person is sent to (host API 1.8): only a redirect
            // that stays on the site leads to one.
            if let (HttpResponse::Redirect(location), Some(text)) = (&response, notice)
                && super::redirect::from_plugin(&plugin_name, location).is_some()
            {
                ctx.keep_notice(&text).await;
            }
            match respond(&ctx, &plugin_name, response) {
                Ok(response) => response,
                Err(refused) => {
                    audit_refused(&ctx, &plugin_name, &refused).await;
                    refused.render(&ctx)
                }
            }
        }
        Ok(Err(error)) => {
            let asked = uri.path_and_query().map_or("/", |p| p.as_str());
            plugin_error(&ctx, &plugin_name, asked, error)
        }
        Err(source) => WebError::PluginFailed {
            plugin: plugin_name,
            source,
        }
        .render(&ctx),
    }
}

fn status(code: u16) -> StatusCode {
    StatusCode::from_u16(code)
        .ok()
        .filter(|s| !s.is_informational())
        .unwrap_or(StatusCode::OK)
}

fn too_large(plugin: &str, bytes: usize) -> WebError {
    WebError::Plugin {
        status: StatusCode::BAD_GATEWAY,
        kind: "plugin_response_too_large",
        message: format!(
            "the service `{plugin}` produced a response of {bytes} bytes, more than the {MAX_RESPONSE_BYTES} allowed"
        ),
    }
}

/// Records in the audit log an answer refused because the plugin broke a rule of the kernel
/// (too large, off-site redirect, bad page): like a trap, it is the plugin misbehaving, and an
/// operator reading the log must see it, not only the visitor who got the error.
async fn audit_refused(ctx: &Ctx, plugin: &str, refused: &WebError) {
    let kind = match refused {
        WebError::Plugin { kind, .. } => *kind,
        _ => "plugin_failed",
    };
    let entry = crate::audit::Entry {
        instance: ctx.instance.id().to_owned(),
        actor: ctx.user.as_ref().map(|user| user.id.clone()),
        plugin: Some(plugin.to_owned()),
        action: "plugin.failed".into(),
        subject: plugin.to_owned(),
        detail: json!({ "error": refused.to_string(), "kind": kind }).to_string(),
    };
    if let Err(audit_err) = crate::audit::append(&ctx.instance.db, entry).await {
        tracing::error!(%audit_err, "could not audit a refused plugin answer");
    }
}

/// The HTTP response for what the plugin answered, or the refusal of an answer that breaks a
/// rule of the kernel (the caller audits it).
fn respond(ctx: &Ctx, plugin: &str, response: HttpResponse) -> Result<Response, WebError> {
    Ok(match response {
        HttpResponse::Json(reply) => {
            if reply.body.len() > MAX_RESPONSE_BYTES {
                return Err(too_large(plugin, reply.body.len()));
            }
            (
                status(reply.status),
                ctx.jar.clone(),
                [(header::CONTENT_TYPE, "application/json")],
                reply.body,
            )
                .into_response()
        }
        HttpResponse::Redirect(location) => match super::redirect::from_plugin(plugin, &location) {
            Some(target) => (ctx.jar.clone(), Redirect::to(&target)).into_response(),
            None => {
                return Err(WebError::Plugin {
                    status: StatusCode::BAD_GATEWAY,
                    kind: "plugin_bad_redirect",
                    message: format!("the service `{plugin}` tried to redirect off this site"),
                });
            }
        },
        HttpResponse::Render(page) => {
            let Ok(Json::Object(plugin_context)) = serde_json::from_str::<Json>(&page.context)
            else {
                return Err(WebError::Plugin {
                    status: StatusCode::BAD_GATEWAY,
                    kind: "plugin_bad_context",
                    message: format!(
                        "the service `{plugin}` sent a page context that is not a JSON object"
                    ),
                });
            };
            // Kernel keys win over the plugin's: a plugin cannot forge the user or the token.
            let mut context = Json::Object(plugin_context);
            if let (Json::Object(map), Json::Object(kernel)) = (&mut context, ctx.page_context()) {
                map.extend(kernel);
                map.insert("plugin".into(), json!(plugin));
                map.insert("base".into(), json!(format!("/p/{plugin}")));
            }
            let name = format!("{plugin}/{}", page.template);
            if !ctx.instance.theme.has_template(&name) {
                return Err(WebError::Plugin {
                    status: StatusCode::BAD_GATEWAY,
                    kind: "plugin_missing_template",
                    message: format!("the service `{plugin}` has no template `{}`", page.template),
                });
            }
            match ctx.instance.theme.render(&name, &ctx.locale, &context) {
                Ok(html) => (status(page.status), ctx.jar.clone(), Html(html)).into_response(),
                Err(err) => WebError::from(err).render(ctx),
            }
        }
        HttpResponse::File(download) => {
            if download.body.len() > MAX_RESPONSE_BYTES {
                return Err(too_large(plugin, download.body.len()));
            }
            let content_type = HeaderValue::from_str(&download.content_type)
                .unwrap_or(HeaderValue::from_static("application/octet-stream"));
            let disposition = HeaderValue::from_str(&disposition(&download.filename))
                .unwrap_or(HeaderValue::from_static("attachment"));
            (
                ctx.jar.clone(),
                [
                    (header::CONTENT_TYPE, content_type),
                    (header::CONTENT_DISPOSITION, disposition),
                ],
                download.body,
            )
                .into_response()
        }
    })
}

/// `asked` is the page the visitor wanted: after logging in they continue there.
fn plugin_error(ctx: &Ctx, plugin: &str, asked: &str, error: PluginError) -> Response {
    let (code, kind, message) = match error {
        PluginError::BadRequest(m) => (StatusCode::BAD_REQUEST, "bad_request", m),
        PluginError::Unauthenticated(m) => {
            if ctx.wants_html && ctx.user.is_none() {
                let next = asked;
                let target = format!(
                    "/login?next={}",
                    form_urlencoded::byte_serialize(next.as_bytes()).collect::<String>()
                );
                return (ctx.jar.clone(), Redirect::to(&target)).into_response();
            }
            (StatusCode::UNAUTHORIZED, "unauthenticated", m)
        }
        PluginError::Forbidden(m) => (StatusCode::FORBIDDEN, "forbidden", m),
        PluginError::NotFound(m) => (StatusCode::NOT_FOUND, "not_found", m),
        PluginError::Conflict(m) => (StatusCode::CONFLICT, "conflict", m),
        PluginError::Invalid(m) => (StatusCode::UNPROCESSABLE_ENTITY, "invalid", m),
        PluginError::Internal(m) => {
            tracing::error!(instance = %ctx.instance.id(), %plugin, message = %m, "plugin reported an internal error");
            (StatusCode::INTERNAL_SERVER_ERROR, "plugin_internal", m)
        }
    };
    WebError::Plugin {
        status: code,
        kind,
        message,
    }
    .render(ctx)
}

/// `Content-Disposition` for a download named `name`: an ASCII `filename` every browser reads,
/// and the name as it is (`Attestazione ISEE – 2026.pdf`) in RFC 6266's `filename*`, which
/// browsers prefer.
fn disposition(name: &str) -> String {
    let ascii: String = name
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || "._-".contains(*c))
        .collect();
    let mut encoded = String::with_capacity(name.len() * 3);
    for byte in name.bytes() {
        if byte.is_ascii_alphanumeric() || b"!#$&+-.^_`|~".contains(&byte) {
            encoded.push(char::from(byte));
        } else {
            encoded.push_str(&format!("%{byte:02X}"));
        }
    }
    format!("attachment; filename=\"{ascii}\"; filename*=UTF-8''{encoded}")
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_download_keeps_its_name_in_any_script() {
        assert_eq!(
            super::disposition("ISEE è.pdf"),
            "attachment; filename=\"ISEE.pdf\"; filename*=UTF-8''ISEE%20%C3%A8.pdf"
        );
        assert_eq!(
            super::disposition("a\"b.csv"),
            "attachment; filename=\"ab.csv\"; filename*=UTF-8''a%22b.csv"
        );
    }
}
