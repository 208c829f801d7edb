//! Rules for the names that appear in manifests and `plugin.toml`, and help with misspellings.
//!
//! Names end up in URLs (`/p/{plugin}`), database rows and file paths, so they are kept to a
//! small alphabet that is safe everywhere.

use std::net::IpAddr;

/// Instance ids and plugin names: `[a-z0-9-]+`.
pub(crate) fn is_slug(name: &str) -> bool {
    !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

/// Role, collection and job names: `[a-z0-9_-]+`.
pub(crate) fn is_identifier(name: &str) -> bool {
    !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-')
}

/// Event names such as `admissions.provider_accredited`: identifiers joined by dots.
pub(crate) fn is_event_name(name: &str) -> bool {
    name.split('.').all(is_identifier)
}

/// Indexed document fields: ASCII letters, digits and `_`, with dots for nested fields.
pub(crate) fn is_field_path(name: &str) -> bool {
    name.split('.').all(|part| {
        !part.is_empty() && part.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
    })
}

/// A DNS host name or an IP address, without a port: what the kernel compares the `Host`
/// header with.
pub(crate) fn is_host(host: &str) -> bool {
    if host.parse::<IpAddr>().is_ok() {
        return true;
    }
    host.len() <= 253
        && host.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-')
        })
}

/// ` (did you mean `x`?)` when one of `candidates` is a likely intended spelling of `name`.
pub(crate) fn did_you_mean<'a>(
    name: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> String {
    candidates
        .into_iter()
        .map(|candidate| (edit_distance(name, candidate), candidate))
        .filter(|(distance, candidate)| *distance <= 2.max(candidate.len() / 4) && *distance > 0)
        .min_by_key(|(distance, _)| *distance)
        .map(|(_, candidate)| format!(" (did you mean `{candidate}`?)"))
        .unwrap_or_default()
}

/// Levenshtein distance, counted in characters.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut current = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            let substitution = previous[j] + usize::from(ca != *cb);
            current[j + 1] = substitution.min(previous[j + 1] + 1).min(current[j] + 1);
        }
        previous = current;
    }
    previous[b.len()]
}

/// `a, b, c` for messages, or `none` for an empty list.
pub(crate) fn list<I, S>(items: I) -> String
where
    I: IntoIterator<Item = S>,
    S: std::fmt::Display,
{
    let joined = items
        .into_iter()
        .map(|item| item.to_string())
        .collect::<Vec<_>>()
        .join(", ");
    if joined.is_empty() {
        "none".to_owned()
    } else {
        joined
    }
}

/// An `http(s)://host[:port][/path]` address of a site, without query or fragment: where
/// links to the instance point (`[instance] public_url`, `[mail] base_url`).
pub(crate) fn is_site_url(url: &str) -> bool {
    let Some(rest) = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))
    else {
        return false;
    };
    let (authority, path) = rest.split_once('/').unwrap_or((rest, ""));
    let host = match authority.rsplit_once(':') {
        Some((host, port)) if port.parse::<u16>().is_ok() => host,
        _ => authority,
    };
    crate::names::is_host(host)
        && !path.chars().any(|c| {
            c.is_whitespace() || c.is_control() || matches!(c, '?' | '#' | '"' | '<' | '>')
        })
}

/// The name of an environment variable holding a secret: `[A-Z_][A-Z0-9_]*`.
pub(crate) fn is_variable_name(name: &str) -> bool {
    name.bytes()
        .next()
        .is_some_and(|b| b.is_ascii_uppercase() || b == b'_')
        && name
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn site_urls_and_variables_are_recognised() {
        assert!(is_site_url("https://servizi.comune.example"));
        assert!(is_site_url("http://127.0.0.1:8080/trama"));
        assert!(!is_site_url("servizi.comune.example"));
        assert!(!is_site_url("https://x.example/?a=1"));
        assert!(is_variable_name("SMTP_PASSWORD"));
        assert!(!is_variable_name("smtp password"));
    }

    #[test]
    fn hosts_accept_names_and_addresses_but_not_ports_or_schemes() {
        for good in ["localhost", "127.0.0.1", "::1", "welfare.comune-esempio.it"] {
            assert!(is_host(good), "{good}");
        }
        for bad in [
            "",
            "localhost:8080",
            "http://x.it",
            "-x.it",
            "a..b",
            "spazio bianco.it",
        ] {
            assert!(!is_host(bad), "{bad}");
        }
    }

    #[test]
    fn misspellings_get_a_suggestion() {
        assert_eq!(
            did_you_mean("verison", ["version", "enabled"]),
            " (did you mean `version`?)"
        );
        assert_eq!(did_you_mean("zzz", ["version", "enabled"]), "");
    }
}
