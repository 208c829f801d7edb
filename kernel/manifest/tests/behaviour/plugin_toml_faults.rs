//! Faults in `plugin.toml` files, found when the plugin folders are scanned.

use trama_manifest::Registry;

use crate::support::{Territory, assert_fault, faults, plugin_toml};

fn scan(territory: &Territory) -> Result<Registry, trama_manifest::Diagnostics> {
    Registry::scan([territory.root().join("plugins")])
}

#[test]
fn an_unknown_key_names_the_plugin_toml_and_its_line() {
    let territory = Territory::new();
    territory.plugin(
        "hello",
        &plugin_toml(
            "hello",
            "1.0.0",
            "[events]\npublishes = [\"hello.greeted\"]\nsubscribe = []\n",
        ),
    );
    let faults = faults(scan(&territory));
    let fault = assert_fault(
        &faults,
        "hello/plugin.toml",
        10,
        "events.subscribe",
        "unknown key `subscribe`",
    );
    assert!(
        fault.message.contains("did you mean `subscribes`?"),
        "{fault}"
    );
}

#[test]
fn a_malformed_job_interval_is_explained() {
    let territory = Territory::new();
    territory.plugin(
        "hello",
        &plugin_toml(
            "hello",
            "1.0.0",
            "[[jobs]]\nname = \"tidy\"\nevery = \"hourly\"\n",
        ),
    );
    let faults = faults(scan(&territory));
    assert_fault(
        &faults,
        "plugin.toml",
        10,
        "jobs[0].every",
        "\"hourly\" is not an interval: write a whole number followed by s, m, h or d",
    );
}

#[test]
fn an_inconsistent_settings_schema_is_refused() {
    let territory = Territory::new();
    territory.plugin(
        "hello",
        &plugin_toml(
            "hello",
            "1.0.0",
            r#"[settings.max_length]
type = "integer"
default = 5000
min = 1
max = 2000

[settings.mood]
type = "choice"
"#,
        ),
    );
    let faults = faults(scan(&territory));
    assert_fault(
        &faults,
        "plugin.toml",
        10,
        "settings.max_length.default",
        "the default does not fit the setting: 5000 is above the maximum of 2000",
    );
    assert_fault(
        &faults,
        "plugin.toml",
        14,
        "settings.mood.choices",
        "a choice setting needs `choices",
    );
}

#[test]
fn an_unknown_setting_type_is_named() {
    let territory = Territory::new();
    territory.plugin(
        "hello",
        &plugin_toml("hello", "1.0.0", "[settings.greeting]\ntype = \"str\"\n"),
    );
    let faults = faults(scan(&territory));
    assert_fault(
        &faults,
        "plugin.toml",
        9,
        "settings.greeting.type",
        "\"str\" is not one of string, text, integer, number, boolean, choice, list",
    );
}

#[test]
fn the_same_version_in_two_folders_is_refused_but_different_versions_coexist() {
    let territory = Territory::new();
    territory
        .plugin("hello", &plugin_toml("hello", "1.0.0", ""))
        .plugin("hello-1.1", &plugin_toml("hello", "1.1.0", ""))
        .plugin("hello-copy", &plugin_toml("hello", "1.0.0", ""));
    let faults = faults(scan(&territory));
    let fault = assert_fault(
        &faults,
        "hello-copy/plugin.toml",
        3,
        "plugin.version",
        "plugin `hello` 1.0.0 is also in",
    );
    assert!(fault.message.contains("keep only one copy"), "{fault}");
    assert_eq!(faults.len(), 1);

    std::fs::remove_dir_all(territory.root().join("plugins/hello-copy")).expect("remove the copy");
    let registry = scan(&territory).expect("two versions side by side are fine");
    let versions: Vec<String> = registry
        .versions("hello")
        .map(|p| p.version().to_string())
        .collect();
    assert_eq!(versions, ["1.0.0", "1.1.0"]);
}

#[test]
fn every_broken_plugin_is_reported_and_folders_without_plugin_toml_are_skipped() {
    let territory = Territory::new();
    territory
        .plugin("one", &plugin_toml("One", "1.0.0", ""))
        .plugin("two", "[plugin]\nname = \"two\"\n");
    territory.write("plugins/target/CACHEDIR.TAG", "not a plugin");
    let faults = faults(scan(&territory));
    assert_fault(
        &faults,
        "one/plugin.toml",
        2,
        "plugin.name",
        "\"One\" is not a valid plugin name",
    );
    assert_fault(
        &faults,
        "two/plugin.toml",
        1,
        "plugin.version",
        "the required key `version` is missing",
    );
    assert_eq!(faults.len(), 2, "{faults:#?}");
}

#[test]
fn the_component_path_is_beside_plugin_toml_and_may_be_missing() {
    let territory = Territory::new();
    territory.plugin("hello", &plugin_toml("hello", "1.0.0", ""));
    let registry = scan(&territory).expect("valid plugin");
    let package = &registry.packages()[0];
    assert_eq!(package.component_path(), package.dir.join("plugin.wasm"));
    assert!(!package.has_component());
    territory.write("plugins/hello/plugin.wasm", "\0asm");
    assert!(package.has_component());
}

#[test]
fn a_complete_plugin_toml_reads_into_typed_values() {
    let territory = Territory::new();
    territory.plugin(
        "hello",
        r#"[plugin]
name = "hello"
version = "1.2.3"
api = "^1.0"
title = { it = "Saluti", en = "Greetings" }
description = { it = "Un saluto" }
capabilities = ["store", "events"]
roles = ["operator"]

[dependencies]
admissions = "^2.1"

[collections.greetings]
indexes = ["name", "created_at"]

[events]
publishes = ["hello.greeted"]

[events.schemas]
"hello.greeted" = "events/hello.greeted.json"

[[jobs]]
name = "tidy"
every = "30m"
"#,
    );
    territory.write(
        "plugins/hello/events/hello.greeted.json",
        r#"{"type": "object", "required": ["name"]}"#,
    );
    let registry = scan(&territory).expect("valid plugin");
    let meta = &registry.packages()[0].meta;
    assert_eq!(meta.plugin.version, semver::Version::new(1, 2, 3));
    assert_eq!(meta.plugin.roles, ["operator"]);
    assert_eq!(meta.plugin.description["it"], "Un saluto");
    assert!(meta.dependencies["admissions"].matches(&semver::Version::new(2, 3, 0)));
    assert_eq!(
        meta.collections["greetings"].indexes,
        ["name", "created_at"]
    );
    assert_eq!(meta.events.publishes, ["hello.greeted"]);
    assert!(meta.events.subscribes.is_empty());
    let schema = meta.event_schemas.get("hello.greeted").expect("compiled");
    assert_eq!(schema.file, "events/hello.greeted.json");
    assert!(schema.check(&serde_json::json!({"name": "Anna"})).is_ok());
    assert_eq!(meta.jobs[0].every, std::time::Duration::from_secs(1800));
}

#[test]
fn a_landing_page_names_one_of_the_plugin_s_roles_and_one_of_its_routes() {
    let territory = Territory::new();
    territory.plugin(
        "hello",
        r#"[plugin]
name = "hello"
version = "1.0.0"
api = "^1.0"
title = { it = "Prova", en = "Test" }
roles = ["operator", "merchant", "tutor"]
landing = { operator = "/dashboard", shop = "/shop", merchant = "https://altrove.example/x", tutor = "/dash board" }
"#,
    );
    let faults = faults(scan(&territory));
    assert_eq!(faults.len(), 3, "{faults:#?}");
    assert_fault(
        &faults,
        "hello/plugin.toml",
        7,
        "plugin.landing.tutor",
        "is not a route of the plugin",
    );
    assert_fault(
        &faults,
        "hello/plugin.toml",
        7,
        "plugin.landing.shop",
        "\"shop\" is not one of the plugin's roles",
    );
    assert_fault(
        &faults,
        "hello/plugin.toml",
        7,
        "plugin.landing.merchant",
        "is not a route of the plugin",
    );
}

#[test]
fn listed_says_whether_the_coordination_table_may_offer_a_plugin() {
    let head = |name: &str| {
        format!(
            "[plugin]\nname = \"{name}\"\nversion = \"1.0.0\"\napi = \"^1.0\"\ntitle = {{ it = \"Prova\" }}\n"
        )
    };
    let territory = Territory::new();
    territory.plugin("fixture", &format!("{}listed = false\n", head("fixture")));
    territory.plugin("service", &head("service"));
    let registry = scan(&territory).expect("valid plugins");
    let listed: Vec<(&str, bool)> = registry
        .packages()
        .iter()
        .map(|p| (p.name(), p.meta.plugin.listed))
        .collect();
    assert_eq!(listed, [("fixture", false), ("service", true)]);

    let broken = Territory::new();
    broken.plugin("fixture", &format!("{}listed = \"no\"\n", head("fixture")));
    let faults = faults(scan(&broken));
    let fault = faults
        .iter()
        .find(|d| d.key == "plugin.listed")
        .unwrap_or_else(|| panic!("a fault at plugin.listed: {faults:#?}"));
    assert!(
        fault.file.ends_with("fixture/plugin.toml") && fault.line == Some(6),
        "{fault}"
    );
}

#[test]
fn sealed_files_need_the_files_capability() {
    let territory = Territory::new();
    territory.plugin(
        "hello",
        &plugin_toml("hello", "1.0.0", "[files]\nsealed = true\n"),
    );
    let faults = faults(scan(&territory));
    assert_fault(
        &faults,
        "hello/plugin.toml",
        9,
        "files.sealed",
        "add \"files\" to [plugin] capabilities",
    );
    let territory = Territory::new();
    territory.plugin(
        "hello",
        &plugin_toml("hello", "1.0.0", "[files]\nsealed = true\n")
            .replace("\"log\"]", "\"log\", \"files\"]"),
    );
    let registry = scan(&territory).expect("a plugin that keeps files may seal them");
    let found = registry
        .versions("hello")
        .next()
        .map(|package| package.meta.files.sealed);
    assert_eq!(found, Some(true));
}

#[test]
fn a_plugin_cannot_publish_the_wallets_events_as_if_it_were_the_kernel() {
    let territory = Territory::new();
    territory.plugin(
        "hello",
        &plugin_toml(
            "hello",
            "1.0.0",
            "[events]\npublishes = [\"wallet.drawn\"]\nsubscribes = [\"wallet.repaid\"]\n\n[events.schemas]\n\"wallet.drawn\" = \"events/wallet.drawn.json\"\n",
        ),
    );
    let faults = faults(scan(&territory));
    assert_fault(
        &faults,
        "hello/plugin.toml",
        9,
        "events.publishes[0]",
        "event \"wallet.drawn\" belongs to the kernel (`wallet.…`): a plugin may subscribe to it, not publish it",
    );
    assert!(
        !faults.iter().any(|f| f.message.contains("wallet.repaid")),
        "subscribing is allowed: {faults:?}"
    );
}
