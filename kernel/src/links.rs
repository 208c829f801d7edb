//! Links the kernel puts in front of people, in a redirect or in a notification: only paths on
//! this site, never another origin. Below every layer that writes such a link (the outbox and
//! the web pages), so both refuse the same ones.

/// Whether `path` is a path on this site that is safe to put in a `Location` header.
///
/// Browsers drop tabs and newlines from URLs and treat `\` like `/`, so `/\t/evil.example`
/// would become `//evil.example`: any whitespace, control character or backslash is refused.
pub fn is_same_site_path(path: &str) -> bool {
    path.starts_with('/')
        && !path.starts_with("//")
        && !path
            .chars()
            .any(|c| c == '\\' || c.is_whitespace() || c.is_control())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_plain_paths_on_this_site_pass() {
        for good in ["/", "/p/hello/", "/notifications?page=2"] {
            assert!(is_same_site_path(good), "{good:?}");
        }
        for evil in [
            "https://evil.example/",
            "//evil.example/",
            "/\\evil.example",
            "/\t/evil.example",
            "/\n/evil.example",
            "/ /evil.example",
            "javascript:alert(1)",
            "relative/path",
            "",
        ] {
            assert!(!is_same_site_path(evil), "{evil:?}");
        }
    }
}
