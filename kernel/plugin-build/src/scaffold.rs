//! `trama plugin new`: a new plugin folder that builds as it is, added to the plugins
//! workspace.

use std::path::{Path, PathBuf};

use toml_edit::{Array, DocumentMut, Item, Value};

use crate::BuildError;

const CARGO_TOML: &str = include_str!("../templates/Cargo.toml.tmpl");
const PLUGIN_TOML: &str = include_str!("../templates/plugin.toml.tmpl");
/// The WIT the SDK's bindings are generated from: a new plugin needs the host API it declares.
const WIT: &str = include_str!("../../../wit/plugin.wit");
const LIB_RS: &str = include_str!("../templates/lib.rs.tmpl");
const INDEX_HTML: &str = include_str!("../templates/index.html.tmpl");
const README: &str = include_str!("../templates/README.md.tmpl");
const LOCALE_IT: &str = include_str!("../templates/it.toml.tmpl");
const LOCALE_EN: &str = include_str!("../templates/en.toml.tmpl");

const MAX_NAME_LEN: usize = 40;

/// Names cargo refuses for a package, or that would shadow a crate every plugin uses.
const RESERVED: &[&str] = &[
    "abstract",
    "alloc",
    "as",
    "async",
    "await",
    "become",
    "box",
    "break",
    "const",
    "continue",
    "core",
    "crate",
    "do",
    "dyn",
    "else",
    "enum",
    "extern",
    "false",
    "final",
    "fn",
    "for",
    "gen",
    "if",
    "impl",
    "in",
    "let",
    "loop",
    "macro",
    "match",
    "mod",
    "move",
    "mut",
    "override",
    "priv",
    "proc_macro",
    "pub",
    "ref",
    "return",
    "self",
    "serde",
    "serde_json",
    "static",
    "std",
    "struct",
    "super",
    "test",
    "trait",
    "trama",
    "trama_sdk",
    "true",
    "try",
    "type",
    "typeof",
    "unsafe",
    "unsized",
    "use",
    "virtual",
    "where",
    "while",
    "yield",
];

/// Scaffolds `plugins_dir/NAME/` and adds it to the members of `plugins_dir/Cargo.toml`.
///
/// A name is lower-case ASCII letters, digits and `-`, starting with a letter and not ending
/// with `-`, at most 40 characters: the kernel's rule for plugin names (they appear in URLs,
/// `/p/NAME`, and in file paths), narrowed to what cargo also accepts as a package name.
pub fn new_plugin(plugins_dir: &Path, name: &str) -> Result<PathBuf, BuildError> {
    check_name(name)?;
    let workspace_manifest = plugins_dir.join("Cargo.toml");
    let text = std::fs::read_to_string(&workspace_manifest)
        .map_err(BuildError::io("read", &workspace_manifest))?;
    let mut workspace: DocumentMut = text.parse().map_err(|err| BuildError::Workspace {
        path: workspace_manifest.clone(),
        message: format!("not valid TOML: {err}"),
    })?;
    add_member(&mut workspace, name, &workspace_manifest)?;

    let dir = plugins_dir.join(name);
    if dir.exists() {
        return Err(BuildError::Exists { path: dir });
    }
    let files = [
        ("Cargo.toml", CARGO_TOML),
        ("plugin.toml", PLUGIN_TOML),
        ("src/lib.rs", LIB_RS),
        ("templates/index.html", INDEX_HTML),
        ("locales/it.toml", LOCALE_IT),
        ("locales/en.toml", LOCALE_EN),
        ("README.md", README),
    ];
    for (relative, template) in files {
        let path = dir.join(relative);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(BuildError::io("create", parent))?;
        }
        std::fs::write(&path, fill(template, name)).map_err(BuildError::io("write", &path))?;
    }
    std::fs::write(&workspace_manifest, workspace.to_string())
        .map_err(BuildError::io("write", &workspace_manifest))?;
    Ok(dir)
}

fn check_name(name: &str) -> Result<(), BuildError> {
    let refuse = |reason: &str| {
        Err(BuildError::BadName {
            name: name.to_owned(),
            reason: reason.to_owned(),
        })
    };
    if name.is_empty() {
        return refuse("it is empty");
    }
    if name.len() > MAX_NAME_LEN {
        return refuse(&format!("it is longer than {MAX_NAME_LEN} characters"));
    }
    if !name.starts_with(|c: char| c.is_ascii_lowercase()) {
        return refuse("it must start with a lower-case letter (a-z)");
    }
    if let Some(c) = name
        .chars()
        .find(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '-'))
    {
        return refuse(&format!(
            "`{c}` is not allowed; use lower-case letters, digits and `-`"
        ));
    }
    if name.ends_with('-') {
        return refuse("it must not end with `-`");
    }
    if RESERVED.contains(&name) {
        return refuse("it is a Rust keyword or the name of a crate plugins depend on");
    }
    Ok(())
}

/// Adds `name` to `[workspace] members`, keeping the file's layout and comments.
fn add_member(workspace: &mut DocumentMut, name: &str, path: &Path) -> Result<(), BuildError> {
    let invalid = |message: &str| BuildError::Workspace {
        path: path.to_owned(),
        message: message.to_owned(),
    };
    let table = workspace
        .get_mut("workspace")
        .and_then(Item::as_table_like_mut)
        .ok_or_else(|| invalid("there is no [workspace] table: is this the plugins folder?"))?;
    let has_sdk = table
        .get("dependencies")
        .and_then(Item::as_table_like)
        .is_some_and(|deps| deps.contains_key("trama-sdk"));
    if !has_sdk {
        return Err(invalid(
            "[workspace.dependencies] has no `trama-sdk` entry, which new plugins use \
             (e.g. trama-sdk = { path = \"../sdk\" })",
        ));
    }
    let members = table
        .entry("members")
        .or_insert_with(|| Item::Value(Value::Array(Array::new())))
        .as_array_mut()
        .ok_or_else(|| invalid("`workspace.members` is not an array"))?;
    if members.iter().any(|m| m.as_str() == Some(name)) {
        return Err(invalid(&format!(
            "`{name}` is already a member of the workspace"
        )));
    }
    members.push(name);
    Ok(())
}

fn fill(template: &str, name: &str) -> String {
    template
        .replace("__NAME__", name)
        .replace("__NS__", &name.replace('-', "_"))
        .replace("__TITLE__", &title(name))
        .replace("__API__", &host_api())
        .replace("__TYPE__", &type_name(name))
}

/// `social-housing` → `Social housing`.
fn title(name: &str) -> String {
    let spaced = name.replace('-', " ");
    let mut chars = spaced.chars();
    match chars.next() {
        Some(first) => first.to_ascii_uppercase().to_string() + chars.as_str(),
        None => spaced,
    }
}

/// `social-housing` → `SocialHousing`.
fn type_name(name: &str) -> String {
    name.split('-')
        .filter(|part| !part.is_empty())
        .map(|part| {
            let mut chars = part.chars();
            chars
                .next()
                .map(|first| first.to_ascii_uppercase().to_string() + chars.as_str())
                .unwrap_or_default()
        })
        .collect()
}

/// `MAJOR.MINOR` of the host API in `wit/plugin.wit` (`package trama:plugin@1.4.0;`), which a
/// plugin built with this SDK imports and so requires.
fn host_api() -> String {
    WIT.lines()
        .find_map(|line| line.trim().strip_prefix("package trama:plugin@"))
        .and_then(|version| version.trim_end_matches(';').rsplit_once('.'))
        .map_or_else(
            || "1.0".to_owned(),
            |(major_minor, _)| major_minor.to_owned(),
        )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_turn_into_titles_and_type_names() {
        assert_eq!(title("social-housing"), "Social housing");
        assert_eq!(type_name("social-housing"), "SocialHousing");
        assert_eq!(type_name("p2"), "P2");
        assert_eq!(type_name("a--b"), "AB");
    }

    #[test]
    fn templates_leave_no_placeholder_behind() {
        for template in [CARGO_TOML, PLUGIN_TOML, LIB_RS, INDEX_HTML, README] {
            let filled = fill(template, "food-bank");
            assert!(!filled.contains("__"), "{filled}");
        }
    }

    #[test]
    fn a_new_plugin_requires_the_host_api_of_the_wit_it_is_built_against() {
        let filled = fill(PLUGIN_TOML, "food-bank");
        let package = WIT
            .lines()
            .find(|line| line.starts_with("package trama:plugin@"))
            .expect("the package line");
        let version = package
            .trim_start_matches("package trama:plugin@")
            .trim_end_matches(';');
        let major_minor = &version[..version.rfind('.').expect("major.minor.patch")];
        assert!(
            filled.contains(&format!("api = \"^{major_minor}\"")),
            "{filled}"
        );
    }

    #[test]
    fn members_are_added_without_losing_comments() {
        let mut doc: DocumentMut = "# plugins\n[workspace]\nmembers = [\"hello\"] # ours\n\
                                    [workspace.dependencies]\ntrama-sdk = { path = \"../sdk\" }\n"
            .parse()
            .unwrap();
        add_member(&mut doc, "food_bank", Path::new("Cargo.toml")).unwrap();
        let text = doc.to_string();
        assert!(text.contains("# plugins"), "{text}");
        assert!(
            text.contains(r#"members = ["hello", "food_bank"]"#),
            "{text}"
        );
        let again = add_member(&mut doc, "food_bank", Path::new("Cargo.toml")).unwrap_err();
        assert!(again.to_string().contains("already a member"), "{again}");
    }
}
