//! The languages an instance speaks, found on disk rather than listed in code.
//!
//! A language exists when a theme ships its catalogue: `themes/default/locales/de.toml` makes
//! German available to every instance, `themes/<theme>/locales/de.toml` to the instances of
//! that theme. So a territory adds a language by adding catalogues (the kernel's strings in the
//! theme, each plugin's in its `locales/`), without touching the kernel or a plugin's code.

use std::path::Path;

/// The source language: every catalogue falls back to it, key by key, so a partial
/// translation shows Italian where it has gaps rather than failing a page.
pub const SOURCE_LOCALE: &str = "it";

/// The theme every instance builds on; its catalogues are the kernel's own strings.
pub const DEFAULT_THEME: &str = "default";

/// Whether `code` looks like a language code the kernel accepts: `de`, `lld`, `de-AT`.
pub fn is_locale_code(code: &str) -> bool {
    let (language, region) = match code.split_once('-') {
        Some((language, region)) => (language, Some(region)),
        None => (code, None),
    };
    (2..=3).contains(&language.len())
        && language.bytes().all(|b| b.is_ascii_lowercase())
        && region.is_none_or(|r| r.len() == 2 && r.bytes().all(|b| b.is_ascii_uppercase()))
}

/// The languages with a catalogue in the default theme or in `theme`: Italian first (the
/// territory's language and the fallback), then the others by code. Italian is always there,
/// even when no catalogue is found, so an instance can always be served.
pub fn available(themes: &Path, theme: &str) -> Vec<String> {
    let mut found = vec![SOURCE_LOCALE.to_owned()];
    for dir in [DEFAULT_THEME, theme] {
        let Ok(entries) = std::fs::read_dir(themes.join(dir).join("locales")) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            // `de.toml`, or a catalogue split by area in `de/`.
            if !path.is_dir() && path.extension().and_then(|e| e.to_str()) != Some("toml") {
                continue;
            }
            let name = if path.is_dir() {
                path.file_name()
            } else {
                path.file_stem()
            };
            if let Some(code) = name.and_then(|s| s.to_str())
                && is_locale_code(code)
                && !found.iter().any(|f| f == code)
            {
                found.push(code.to_owned());
            }
        }
    }
    found[1..].sort();
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn language_codes_are_iso_shaped() {
        for good in ["it", "de", "lld", "de-AT"] {
            assert!(is_locale_code(good), "{good}");
        }
        for bad in ["", "i", "IT", "deutsch", "de-at", "de_AT", "../x"] {
            assert!(!is_locale_code(bad), "{bad}");
        }
    }

    #[test]
    fn a_catalogue_in_either_theme_adds_its_language_after_italian() {
        let dir = tempfile::tempdir().expect("temp dir");
        let write = |theme: &str, file: &str| {
            let locales = dir.path().join(theme).join("locales");
            std::fs::create_dir_all(&locales).expect("mkdir");
            std::fs::write(locales.join(file), "").expect("write");
        };
        write("default", "it.toml");
        write("default", "en.toml");
        write("default", "notes.txt");
        write("alto-adige", "de.toml");
        std::fs::create_dir_all(dir.path().join("alto-adige/locales/fr")).expect("mkdir");
        write("alto-adige", "en.toml");
        assert_eq!(
            available(dir.path(), "alto-adige"),
            ["it", "de", "en", "fr"]
        );
        assert_eq!(available(dir.path(), "default"), ["it", "en"]);
        assert_eq!(available(dir.path(), "missing"), ["it", "en"]);
    }
}
