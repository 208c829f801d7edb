//! Redirect targets: only paths on this site, never another origin.

use crate::links::is_same_site_path;

/// The path to continue to after login (`/` when `next` is absent or unsafe).
pub fn after_login(next: Option<&str>) -> String {
    match next {
        Some(path) if is_same_site_path(path) => path.to_owned(),
        _ => "/".to_owned(),
    }
}

/// The answer to a visitor who must log in first: browsers go to the login page and come back
/// to `next` afterwards; API clients get 401 with the error envelope, since a redirect to an
/// HTML form means nothing to a program.
pub fn login_required(ctx: &super::Ctx, next: &str) -> axum::response::Response {
    use axum::response::IntoResponse;
    if ctx.wants_html {
        let target = format!(
            "/login?next={}",
            form_urlencoded::byte_serialize(after_login(Some(next)).as_bytes()).collect::<String>()
        );
        return (ctx.jar.clone(), axum::response::Redirect::to(&target)).into_response();
    }
    super::WebError::Refused {
        status: axum::http::StatusCode::UNAUTHORIZED,
        kind: "unauthenticated",
        message: "log in first / accedi prima".to_owned(),
    }
    .render(ctx)
}

/// Resolves a plugin's redirect: absolute paths stay on this site, relative ones are taken from
/// the plugin's mount point; anything with a scheme, a host or a dangerous character is refused.
pub fn from_plugin(plugin: &str, location: &str) -> Option<String> {
    let target = if location.starts_with('/') {
        location.to_owned()
    } else if location
        .split(['/', '?', '#'])
        .next()
        .is_some_and(|first| first.contains(':'))
    {
        // `https:…`, `javascript:…`, `data:…`: a colon in the first segment is a scheme
        // (RFC 3986 §4.2); later, as in `lessons?at=10:00`, it is only text.
        return None;
    } else {
        format!("/p/{plugin}/{location}")
    };
    is_same_site_path(&target).then_some(target)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plugin_redirects_never_leave_the_site() {
        assert_eq!(
            from_plugin("hello", "/p/hello/").as_deref(),
            Some("/p/hello/")
        );
        assert_eq!(
            from_plugin("hello", "done").as_deref(),
            Some("/p/hello/done")
        );
        assert_eq!(
            from_plugin("hello", "slots?at=10:00").as_deref(),
            Some("/p/hello/slots?at=10:00")
        );
        for evil in [
            "https://evil.example/",
            "//evil.example/",
            "/\\evil.example",
            "/\t/evil.example",
            "/\n/evil.example",
            "javascript:alert(1)",
            "\t//evil.example",
        ] {
            assert_eq!(from_plugin("hello", evil), None, "{evil:?}");
        }
    }

    #[test]
    fn login_continues_only_to_local_paths() {
        assert_eq!(after_login(Some("/p/hello/?x=1")), "/p/hello/?x=1");
        assert_eq!(after_login(Some("/\t/evil.example")), "/");
        assert_eq!(after_login(Some("//evil.example")), "/");
        assert_eq!(after_login(Some("https://evil.example")), "/");
        assert_eq!(after_login(None), "/");
    }
}
