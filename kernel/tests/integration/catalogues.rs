//! The repository's message catalogues are complete and every key the code asks for exists.
//!
//! A plugin's text lives in `locales/<lang>.toml` (see `sdk/src/i18n.rs`); a key that is
//! missing shows the key itself to a citizen (Rust) or fails the page (templates), and a
//! translation that drops a `{placeholder}` loses an amount or a date. These checks read the
//! files as they are in the repository, so a catalogue that drifts fails here, before any page.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("kernel/ has a parent")
        .to_path_buf()
}

/// Every message of a catalogue file, by dotted key.
fn messages(path: &Path) -> BTreeMap<String, String> {
    fn walk(path: &Path, prefix: &str, table: &toml::Table, out: &mut BTreeMap<String, String>) {
        for (key, value) in table {
            let key = if prefix.is_empty() {
                key.clone()
            } else {
                format!("{prefix}.{key}")
            };
            match value {
                toml::Value::Table(inner) => walk(path, &key, inner, out),
                toml::Value::String(text) => {
                    out.insert(key, text.clone());
                }
                other => panic!("{}: `{key}` is {other}, not a message", path.display()),
            }
        }
    }
    let text = std::fs::read_to_string(path)
        .unwrap_or_else(|err| panic!("reading {}: {err}", path.display()));
    let table: toml::Table =
        toml::from_str(&text).unwrap_or_else(|err| panic!("{}: {err}", path.display()));
    let mut out = BTreeMap::new();
    walk(path, "", &table, &mut out);
    out
}

/// Every message of one language in a `locales/` folder: `CODE.toml` and the files of
/// `CODE/` (a catalogue split by area), as the kernel merges them. A key defined twice is a
/// mistake the kernel would silently resolve by file order.
fn language(locales: &Path, code: &str) -> BTreeMap<String, String> {
    let mut files = Vec::new();
    let single = locales.join(format!("{code}.toml"));
    if single.is_file() {
        files.push(single);
    }
    files_under(&locales.join(code), "toml", &mut files);
    let mut all = BTreeMap::new();
    for file in files {
        for (key, text) in messages(&file) {
            assert!(
                all.insert(key.clone(), text).is_none(),
                "{}: `{key}` is defined twice in the `{code}` catalogue",
                file.display()
            );
        }
    }
    all
}

/// The languages of a `locales/` folder: `CODE.toml` files and `CODE/` folders.
fn languages(locales: &Path) -> BTreeSet<String> {
    std::fs::read_dir(locales)
        .expect("read locales")
        .flatten()
        .map(|e| e.path())
        .filter_map(|p| {
            if p.is_dir() {
                p.file_name()?.to_str().map(str::to_owned)
            } else if p.extension().is_some_and(|e| e == "toml") {
                p.file_stem()?.to_str().map(str::to_owned)
            } else {
                None
            }
        })
        .collect()
}

/// The `{name}` placeholders of a message (`{{` is a literal brace).
fn placeholders(message: &str) -> BTreeSet<String> {
    let unescaped = message.replace("{{", "").replace("}}", "");
    unescaped
        .split('{')
        .skip(1)
        .filter_map(|part| part.split_once('}').map(|(name, _)| name.to_owned()))
        .collect()
}

/// Folders that may hold `locales/`: every theme and every plugin.
fn catalogue_owners() -> Vec<PathBuf> {
    let mut owners = Vec::new();
    for parent in ["themes", "plugins"] {
        let entries = std::fs::read_dir(repo().join(parent)).expect("read folder");
        for entry in entries.flatten() {
            if entry.path().join("locales").is_dir() {
                owners.push(entry.path());
            }
        }
    }
    owners.sort();
    assert!(owners.len() >= 4, "found only {owners:?}");
    owners
}

#[test]
fn every_language_says_what_the_italian_catalogue_says_with_the_same_placeholders() {
    let mut problems = Vec::new();
    for owner in catalogue_owners() {
        let locales = owner.join("locales");
        let source = language(&locales, "it");
        for code in languages(&locales) {
            let other = language(&locales, &code);
            let name = format!("{} ({code})", locales.display());
            for key in source.keys().filter(|k| !other.contains_key(*k)) {
                problems.push(format!("{name}: `{key}` is missing"));
            }
            for (key, text) in &other {
                match source.get(key) {
                    None => problems.push(format!("{name}: `{key}` is not in it.toml")),
                    Some(original) if placeholders(original) != placeholders(text) => problems
                        .push(format!(
                            "{name}: `{key}` has placeholders {:?}, the Italian {:?}",
                            placeholders(text),
                            placeholders(original)
                        )),
                    Some(_) => {}
                }
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// Every string literal that opens `marker`'s parentheses in `text` (whitespace allowed
/// between), where `marker` starts a word (so `t!(` is not found inside `format!(`).
fn literals_after<'a>(text: &'a str, marker: &str) -> Vec<&'a str> {
    text.match_indices(marker)
        .filter(|(at, _)| {
            let before = text[..*at].chars().next_back();
            !before.is_some_and(|c| c.is_alphanumeric() || c == '_')
        })
        .filter_map(|(at, _)| {
            let rest = text[at + marker.len()..].trim_start().strip_prefix('"')?;
            rest.split_once('"').map(|(key, _)| key)
        })
        .collect()
}

/// Every literal `"NAMESPACE.a.b"` in `text`: a dotted key of that catalogue namespace.
fn keys_in<'a>(text: &'a str, namespace: &str) -> Vec<&'a str> {
    let opening = format!("\"{namespace}.");
    text.match_indices(&opening)
        .filter_map(|(at, _)| {
            let body = &text[at + 1..];
            let end = body.find('"')?;
            let key = &body[..end];
            key.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'.')
                .then_some(key)
        })
        .collect()
}

/// The top-level tables of a plugin's Italian catalogue: the namespaces its keys live in.
fn namespaces(plugin: &Path) -> Vec<String> {
    let locales = plugin.join("locales");
    if !locales.is_dir() {
        return Vec::new();
    }
    let keys = language(&locales, "it");
    let mut names: Vec<String> = keys
        .keys()
        .filter_map(|k| k.split_once('.').map(|(ns, _)| ns.to_owned()))
        .collect();
    names.dedup();
    names
}

/// Every template of the plugins and themes, with its text (build outputs left out).
fn templates() -> Vec<(PathBuf, String)> {
    let mut files = Vec::new();
    files_under(&repo().join("plugins"), "html", &mut files);
    files_under(&repo().join("themes"), "html", &mut files);
    files
        .into_iter()
        .filter(|f| !f.components().any(|c| c.as_os_str() == "target"))
        .map(|file| {
            let text = std::fs::read_to_string(&file).expect("read template");
            (file, text)
        })
        .collect()
}

/// Every `t.a.b.c` a template reads.
fn template_keys(text: &str) -> Vec<String> {
    let mut keys = Vec::new();
    for (at, _) in text.match_indices("t.") {
        let before = text[..at].chars().next_back();
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == '.') {
            continue;
        }
        let key: String = text[at + 2..]
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '.')
            .collect();
        let key = key.trim_end_matches('.').to_owned();
        if !key.is_empty() {
            keys.push(key);
        }
    }
    keys
}

fn files_under(dir: &Path, extension: &str, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            files_under(&path, extension, out);
        } else if path.extension().is_some_and(|e| e == extension) {
            out.push(path);
        }
    }
}

#[test]
fn every_key_a_plugin_or_template_reads_is_in_the_italian_catalogues() {
    // What a page can read: every theme's and every plugin's messages (a theme's own keys are
    // read only by its own templates, which is close enough to keep this check simple).
    let mut known = BTreeMap::new();
    for theme in std::fs::read_dir(repo().join("themes"))
        .expect("themes")
        .flatten()
    {
        let locales = theme.path().join("locales");
        if locales.is_dir() {
            known.extend(language(&locales, "it"));
        }
    }
    let plugins = std::fs::read_dir(repo().join("plugins")).expect("plugins");
    let plugin_dirs: Vec<PathBuf> = plugins.flatten().map(|e| e.path()).collect();
    for dir in &plugin_dirs {
        let locales = dir.join("locales");
        if locales.is_dir() {
            known.extend(language(&locales, "it"));
        }
    }
    let mut problems = Vec::new();
    let mut checked = 0;
    for dir in &plugin_dirs {
        let mut sources = Vec::new();
        files_under(&dir.join("src"), "rs", &mut sources);
        for file in sources {
            let text = std::fs::read_to_string(&file).expect("read source");
            // `t!("…")` (on one line or, as rustfmt splits it, several), and every literal that
            // names a key of the SDK or of a catalogue namespace the plugin owns: keys passed to
            // `text_in`/`text_for`, an audience's refusal, CSV columns kept in arrays.
            for key in literals_after(&text, "t!(") {
                checked += 1;
                if !known.contains_key(key) {
                    problems.push(format!(
                        "{}: t!(\"{key}\") is in no catalogue",
                        file.display()
                    ));
                }
            }
            // A literal naming a whole table is not a message but may be a file name that
            // looks like one (`"rides.csv"`): only literals that are neither are reported.
            for namespace in namespaces(dir).iter().map(String::as_str).chain(["sdk"]) {
                for key in keys_in(&text, namespace) {
                    checked += 1;
                    let table = format!("{key}.");
                    if !known.contains_key(key) && !known.keys().any(|k| k.starts_with(&table)) {
                        problems.push(format!("{}: \"{key}\" is in no catalogue", file.display()));
                    }
                }
            }
        }
    }
    for (file, text) in templates() {
        for key in template_keys(&text) {
            checked += 1;
            // A table read whole (`t.vouchers.months[...]`) is fine when it has messages.
            let prefix = format!("{key}.");
            if !known.contains_key(&key) && !known.keys().any(|k| k.starts_with(&prefix)) {
                problems.push(format!("{}: t.{key} is in no catalogue", file.display()));
            }
        }
    }
    assert!(
        checked > 100,
        "only {checked} keys found: is the scan still right?"
    );
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// Whether `text` holds an HTML tag (`<a`, `</code`), not just a `<` comparison.
fn has_tag(text: &str) -> bool {
    text.match_indices('<').any(|(at, _)| {
        text[at + 1..]
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '/')
    })
}

/// Markup in a message is shown unescaped only where a template says `| safe`: such messages
/// are named `…_html`, and no other message may contain a tag, so that what a translator
/// writes elsewhere is always escaped and a template never unescapes a plain message.
#[test]
fn only_messages_named_html_carry_markup_and_only_they_are_unescaped() {
    let mut problems = Vec::new();
    for owner in catalogue_owners() {
        let locales = owner.join("locales");
        for code in languages(&locales) {
            for (key, text) in language(&locales, &code) {
                if has_tag(&text) != key.ends_with("_html") {
                    problems.push(format!(
                        "{} ({code}): `{key}` {}",
                        locales.display(),
                        if key.ends_with("_html") {
                            "is named _html but has no markup"
                        } else {
                            "has markup: name it …_html, or keep the markup in the template"
                        }
                    ));
                }
            }
        }
    }
    for (file, text) in templates() {
        for line in text.lines().filter(|l| l.contains("| safe")) {
            for (at, _) in line.match_indices("t.") {
                let rest = &line[at..];
                let Some(end) = rest.find("| safe") else {
                    continue;
                };
                let key = rest[..end].trim();
                if !key.contains(' ') && !key.ends_with("_html") {
                    problems.push(format!(
                        "{}: `{key} | safe` unescapes a plain message",
                        file.display()
                    ));
                }
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn the_scans_find_what_they_look_for() {
    assert_eq!(
        literals_after(
            "let a = t!(\"x.y\", n = 1); t!(\n    \"z\"); format!(\"no\")",
            "t!("
        ),
        ["x.y", "z"]
    );
    assert_eq!(
        keys_in(
            r#"text_in("", "rides.a.b", &[]); ["rides.csv.x", "rides are {n}"]"#,
            "rides"
        ),
        ["rides.a.b", "rides.csv.x"]
    );
    assert_eq!(
        template_keys("{{ t.vouchers.index.title }} {{ at.x }} {{ t.login | upper }}"),
        ["vouchers.index.title", "login"]
    );
    assert!(has_tag("a <code>x</code>") && !has_tag("a < b, c <= d"));
    assert_eq!(
        placeholders("dal {from} al {to} {{literal}}"),
        BTreeSet::from(["from".to_owned(), "to".to_owned()])
    );
}
