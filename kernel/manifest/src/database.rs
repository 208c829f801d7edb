//! Database URLs: SQLite paths made absolute, PostgreSQL passed through.
//!
//! A manifest says `sqlite://data/trama.db` relative to its own folder so that an instance
//! folder can be moved or copied whole; the kernel, whatever its working directory, needs the
//! absolute path.

use std::path::{Path, PathBuf};

use crate::paths::absolute;

/// The URL to connect with and, for SQLite files, the file.
pub(crate) struct ResolvedUrl {
    pub(crate) url: String,
    pub(crate) sqlite_file: Option<PathBuf>,
}

/// Resolves `url` from the manifest of the instance in `dir`; the error is a plain sentence.
pub(crate) fn resolve(url: &str, dir: &Path) -> Result<ResolvedUrl, String> {
    if let Some(rest) = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))
    {
        return resolve_sqlite(rest, dir);
    }
    let postgres = ["postgres://", "postgresql://"]
        .iter()
        .find_map(|scheme| url.strip_prefix(scheme));
    match postgres {
        Some(rest) if !rest.is_empty() => Ok(ResolvedUrl {
            url: url.to_owned(),
            sqlite_file: None,
        }),
        _ => Err(format!(
            "{:?} is not a supported database URL: use sqlite://FILE (relative to the instance folder) or postgres://USER@HOST/DATABASE",
            redact(url)
        )),
    }
}

fn resolve_sqlite(rest: &str, dir: &Path) -> Result<ResolvedUrl, String> {
    let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
    if path.is_empty() {
        return Err(
            "the SQLite URL names no file: write it like sqlite://data/trama.db".to_owned(),
        );
    }
    if path == ":memory:" {
        return Ok(ResolvedUrl {
            url: format!("sqlite::memory:{}", query_suffix(query)),
            sqlite_file: None,
        });
    }
    let file = absolute(dir, Path::new(path));
    let Some(text) = file.to_str() else {
        return Err(format!(
            "the SQLite file {} is not a valid UTF-8 path",
            file.display()
        ));
    };
    let mut query = query.to_owned();
    if !query.split('&').any(|pair| pair.starts_with("mode=")) {
        if !query.is_empty() {
            query.push('&');
        }
        // Create the file on first start, as the manifest promises.
        query.push_str("mode=rwc");
    }
    Ok(ResolvedUrl {
        url: format!("sqlite://{}?{query}", encode_path(text)),
        sqlite_file: Some(file),
    })
}

fn query_suffix(query: &str) -> String {
    if query.is_empty() {
        String::new()
    } else {
        format!("?{query}")
    }
}

/// The SQLite driver percent-decodes the path, so the characters that would change its
/// meaning are encoded: the path in the manifest is taken literally.
fn encode_path(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for c in path.chars() {
        match c {
            '%' => out.push_str("%25"),
            '?' => out.push_str("%3F"),
            '#' => out.push_str("%23"),
            c => out.push(c),
        }
    }
    out
}

/// The URL with any password hidden, for messages.
pub fn redact(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let authority_end = rest.find('/').unwrap_or(rest.len());
    match rest[..authority_end].rfind('@') {
        Some(at) => match rest[..at].split_once(':') {
            Some((user, _)) => format!("{scheme}://{user}:***{}", &rest[at..]),
            None => url.to_owned(),
        },
        None => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_sqlite_paths_become_absolute_and_writable() {
        let resolved =
            resolve("sqlite://data/trama.db", Path::new("/srv/instances/demo")).expect("valid URL");
        assert_eq!(
            resolved.url,
            "sqlite:///srv/instances/demo/data/trama.db?mode=rwc"
        );
        assert_eq!(
            resolved.sqlite_file.as_deref(),
            Some(Path::new("/srv/instances/demo/data/trama.db"))
        );
    }

    #[test]
    fn absolute_paths_and_explicit_modes_are_kept() {
        let resolved =
            resolve("sqlite:///var/lib/trama/x.db?mode=ro", Path::new("/srv")).expect("valid URL");
        assert_eq!(resolved.url, "sqlite:///var/lib/trama/x.db?mode=ro");
    }

    #[test]
    fn characters_the_driver_decodes_are_encoded() {
        let resolved = resolve("sqlite://a%b#c.db", Path::new("/srv")).expect("valid URL");
        assert_eq!(resolved.url, "sqlite:///srv/a%25b%23c.db?mode=rwc");
    }

    #[test]
    fn postgres_passes_through_and_other_schemes_are_refused_without_leaking_passwords() {
        let url = "postgres://trama:segreto@db.example/trama";
        assert_eq!(
            resolve(url, Path::new("/srv")).map(|r| r.url),
            Ok(url.to_owned())
        );
        let err = resolve("mysql://trama:segreto@db.example/trama", Path::new("/srv"))
            .err()
            .unwrap_or_default();
        assert!(err.contains("mysql://trama:***@db.example/trama"), "{err}");
        assert!(!err.contains("segreto"), "{err}");
    }
}
