//! Faults in `instance.toml` itself, found by `load`.

use crate::support::{INSTANCE, Territory, assert_fault, faults};

#[test]
fn an_unknown_key_is_named_with_its_line_and_a_suggestion() {
    let territory = Territory::with_manifest(
        r#"[instance]
id = "demo"
name = "Demo"
hosts = ["localhost"]
lcoale = "it"
"#,
    );
    let faults = faults(territory.load());
    let fault = assert_fault(
        &faults,
        "instance.toml",
        5,
        "instance.lcoale",
        "unknown key `lcoale`",
    );
    assert!(fault.message.contains("did you mean `locale`?"), "{fault}");
}

#[test]
fn an_unknown_section_is_named() {
    let territory =
        Territory::with_manifest(&format!("{INSTANCE}[plugin.hello]\nversion = \"^1.0\"\n"));
    let faults = faults(territory.load());
    assert_fault(
        &faults,
        "instance.toml",
        6,
        "plugin",
        "unknown section `plugin` (did you mean `plugins`?)",
    );
}

#[test]
fn a_value_of_the_wrong_type_is_named() {
    let territory = Territory::with_manifest(
        r#"[instance]
id = "demo"
name = "Demo"
hosts = "localhost"
"#,
    );
    let faults = faults(territory.load());
    assert_fault(
        &faults,
        "instance.toml",
        4,
        "instance.hosts",
        "expected a list",
    );
    assert!(
        faults[0].message.contains("found \"localhost\""),
        "{}",
        faults[0]
    );
}

#[test]
fn a_missing_required_key_points_at_its_table() {
    let territory = Territory::with_manifest(
        r#"# The demo territory.

[instance]
id = "demo"
hosts = ["localhost"]
"#,
    );
    let faults = faults(territory.load());
    assert_fault(
        &faults,
        "instance.toml",
        3,
        "instance.name",
        "the required key `name` is missing",
    );
}

#[test]
fn a_missing_instance_section_is_reported_for_the_whole_file() {
    let territory = Territory::with_manifest("[database]\nurl = \"sqlite://x.db\"\n");
    let faults = faults(territory.load());
    assert_eq!(faults.len(), 1, "{faults:#?}");
    assert_eq!(faults[0].line, None);
    assert!(
        faults[0]
            .message
            .contains("the [instance] section is missing")
    );
}

#[test]
fn a_malformed_version_requirement_is_explained() {
    let territory =
        Territory::with_manifest(&format!("{INSTANCE}[plugins.hello]\nversion = \"abc\"\n"));
    let faults = faults(territory.load());
    let fault = assert_fault(
        &faults,
        "instance.toml",
        7,
        "plugins.hello.version",
        "\"abc\" is not a valid version requirement (",
    );
    assert!(fault.message.ends_with("write it like \"^1.0\""), "{fault}");
}

#[test]
fn an_unavailable_language_lists_those_the_themes_have_catalogues_for() {
    let territory = Territory::with_manifest(
        r#"[instance]
id = "demo"
name = "Demo"
hosts = ["localhost"]
locale = "fr"
"#,
    );
    let faults = faults(territory.load());
    assert_fault(
        &faults,
        "instance.toml",
        5,
        "instance.locale",
        "\"fr\" is not an available language: the themes have catalogues for \"it\", \"en\" (add `locales/fr.toml` to the theme to offer it)",
    );
}

#[test]
fn an_unknown_capability_lists_the_valid_ones_at_its_own_line() {
    let territory = Territory::with_manifest(&format!(
        r#"{INSTANCE}[plugins.hello]
version = "^1.0"
capabilities = [
    "store",
    "purse",
]
"#
    ));
    let faults = faults(territory.load());
    assert_fault(
        &faults,
        "instance.toml",
        10,
        "plugins.hello.capabilities[1]",
        "`purse` is not a capability; the capabilities are store, settings, identity, events, audit, log, clock, ledger",
    );
}

#[test]
fn every_fault_is_reported_in_one_pass() {
    let territory = Territory::with_manifest(
        r#"[instance]
id = "Demo Territory"
name = "Demo"
hosts = ["localhost", "localhost:8080"]
theme = "scuro"

[database]
url = "mysql://trama:segreto@db/trama"

[limits]
memory_mib = 0
http_deadline_ms = 90000

[plugins.good]
version = "^1.0"

[plugins.bad]
version = "one"
"#,
    );
    let faults = faults(territory.load());
    assert_fault(
        &faults,
        "instance.toml",
        2,
        "instance.id",
        "is not a valid instance id",
    );
    assert_fault(
        &faults,
        "instance.toml",
        4,
        "instance.hosts[1]",
        "\"localhost:8080\" is not a host name",
    );
    assert_fault(
        &faults,
        "instance.toml",
        5,
        "instance.theme",
        "there is no theme \"scuro\"",
    );
    let url = assert_fault(
        &faults,
        "instance.toml",
        8,
        "database.url",
        "is not a supported database URL",
    );
    assert!(
        !url.message.contains("segreto"),
        "passwords stay out of messages: {url}"
    );
    assert_fault(
        &faults,
        "instance.toml",
        11,
        "limits.memory_mib",
        "0 is out of range: it must be between 1 and 1024",
    );
    assert_fault(
        &faults,
        "instance.toml",
        12,
        "limits.http_deadline_ms",
        "between 1 and 60000",
    );
    assert_fault(
        &faults,
        "instance.toml",
        18,
        "plugins.bad.version",
        "\"one\" is not a valid version requirement",
    );
    assert_eq!(faults.len(), 7, "{faults:#?}");
    let lines: Vec<Option<usize>> = faults.iter().map(|f| f.line).collect();
    assert!(lines.is_sorted(), "faults read top to bottom: {lines:?}");
}

#[test]
fn a_syntax_error_gives_its_line() {
    let territory =
        Territory::with_manifest(&format!("{INSTANCE}[plugins.hello]\nversion = ^1.0\n"));
    let faults = faults(territory.load());
    assert_eq!(faults.len(), 1, "{faults:#?}");
    assert_eq!(faults[0].line, Some(7));
    assert!(
        faults[0].message.starts_with("this is not valid TOML"),
        "{}",
        faults[0]
    );
}

#[test]
fn a_missing_manifest_is_reported() {
    let territory = Territory::new();
    let faults = faults(territory.load());
    assert_eq!(faults.len(), 1);
    assert!(faults[0].file.ends_with("instances/demo/instance.toml"));
    assert_eq!(faults[0].message, "this file does not exist");
}

#[test]
fn the_message_reads_file_line_key_message() {
    let territory =
        Territory::with_manifest(&format!("{INSTANCE}[plugins.hello]\nversion = \"abc\"\n"));
    let faults = faults(territory.load());
    let shown = faults[0].to_string();
    let expected_start = format!(
        "{}:7: plugins.hello.version: \"abc\" is not a valid version requirement (",
        territory.instance_dir().join("instance.toml").display()
    );
    assert!(shown.starts_with(&expected_start), "{shown}");
}

#[test]
fn defaults_apply_and_paths_become_absolute() {
    let territory = Territory::with_manifest(INSTANCE);
    let manifest = territory.load().expect("a minimal manifest is valid");
    let root = territory.root().canonicalize().expect("canonical root");
    assert_eq!(manifest.instance.locale, "it");
    assert_eq!(manifest.instance.theme, "default");
    assert_eq!(manifest.registry.plugins, [root.join("plugins")]);
    assert_eq!(manifest.registry.themes, root.join("themes"));
    assert_eq!(
        manifest.database_url(),
        format!(
            "sqlite://{}?mode=rwc",
            root.join("instances/demo/data/trama.db").display()
        )
    );
    assert_eq!(manifest.limits, trama_manifest::Limits::default());
    assert_eq!(manifest.limits.memory_mib, 64);
    assert_eq!(manifest.file, root.join("instances/demo/instance.toml"));
}
