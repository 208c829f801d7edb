//! Binding the manifest's plugins to packages: versions, host API, dependencies,
//! capabilities and settings.

use std::collections::BTreeSet;

use serde_json::json;
use trama_manifest::{Capability, HOST_API_VERSION, Registry, resolve};

use crate::support::{INSTANCE, SETTINGS, Territory, assert_fault, faults, plugin_toml};

/// `hello` 1.0.0, 1.2.0 and 2.0.0, all with the settings schema above.
fn territory_with_hello(manifest_plugins: &str) -> Territory {
    let territory = Territory::with_manifest(&format!("{INSTANCE}{manifest_plugins}"));
    for version in ["1.0.0", "1.2.0", "2.0.0"] {
        territory.plugin(
            &format!("hello-{version}"),
            &plugin_toml("hello", version, SETTINGS),
        );
    }
    territory
}

#[test]
fn the_highest_matching_version_is_chosen_with_defaults_filled_in() {
    let territory = territory_with_hello(
        r#"[plugins.hello]
version = "^1.0"
capabilities = ["store", "settings", "identity"]
[plugins.hello.settings]
region = "Lazio"
max_message_length = 500
"#,
    );
    let checked = territory.check().expect("the manifest resolves");
    let [hello] = checked.plugins.as_slice() else {
        panic!("one plugin expected: {:#?}", checked.plugins);
    };
    assert_eq!(hello.name, "hello");
    assert_eq!(
        hello.package.meta.plugin.version,
        semver::Version::new(1, 2, 0)
    );
    assert!(hello.package.dir.ends_with("hello-1.2.0"));
    assert!(hello.enabled);
    assert_eq!(
        hello.settings,
        json!({ "greeting": "Ciao", "max_message_length": 500, "region": "Lazio" })
    );
    // Declared store, settings, log; granted store, settings, identity: identity is not
    // declared, so it is not linked; log, clock, i18n and notice are ambient.
    let expected: BTreeSet<Capability> = [
        Capability::Store,
        Capability::Settings,
        Capability::Log,
        Capability::Clock,
        Capability::I18n,
        Capability::Notice,
    ]
    .into();
    assert_eq!(hello.capabilities, expected);
}

#[test]
fn an_unknown_plugin_lists_the_available_ones() {
    let territory = territory_with_hello("[plugins.helo]\nversion = \"^1.0\"\n");
    let faults = faults(territory.check());
    let fault = assert_fault(
        &faults,
        "instance.toml",
        6,
        "plugins.helo",
        "there is no plugin named `helo` in the plugin folders (did you mean `hello`?)",
    );
    assert!(
        fault.message.ends_with("the plugins available are hello"),
        "{fault}"
    );
}

#[test]
fn no_matching_version_lists_the_available_versions() {
    let territory = territory_with_hello("[plugins.hello]\nversion = \"^7.0\"\n");
    let faults = faults(territory.check());
    assert_fault(
        &faults,
        "instance.toml",
        7,
        "plugins.hello.version",
        "no version of plugin `hello` matches \"^7.0\"; the versions available are 1.0.0, 1.2.0, 2.0.0",
    );
}

#[test]
fn a_plugin_built_for_another_host_api_is_refused_with_a_way_out() {
    let territory =
        Territory::with_manifest(&format!("{INSTANCE}[plugins.hello]\nversion = \"^1.0\"\n"));
    territory
        .plugin("hello-1.0.0", &plugin_toml("hello", "1.0.0", ""))
        .plugin(
            "hello-1.5.0",
            &plugin_toml("hello", "1.5.0", "").replace("api = \"^1.0\"", "api = \"^1.99\""),
        );
    let faults = faults(territory.check());
    let fault = assert_fault(
        &faults,
        "instance.toml",
        7,
        "plugins.hello.version",
        "plugin `hello` 1.5.0 needs host API \"^1.99\"",
    );
    assert!(
        fault
            .message
            .contains(&format!("but this kernel provides {HOST_API_VERSION}")),
        "{fault}"
    );
    assert!(
        fault
            .message
            .ends_with("version 1.0.0 would work: pin it with version = \"=1.0.0\""),
        "{fault}"
    );
}

#[test]
fn a_missing_dependency_is_named_at_the_dependent_plugin() {
    let territory = Territory::with_manifest(&format!(
        "{INSTANCE}[plugins.vouchers]\nversion = \"^1.0\"\ncapabilities = [\"store\", \"settings\"]\n"
    ));
    territory.plugin(
        "vouchers",
        &plugin_toml(
            "vouchers",
            "1.0.0",
            "[dependencies]\nadmissions = \"^1.0\"\n",
        ),
    );
    let faults = faults(territory.check());
    assert_fault(
        &faults,
        "instance.toml",
        6,
        "plugins.vouchers",
        "plugin `vouchers` needs plugin `admissions` \"^1.0\", which is not enabled on this instance: add [plugins.admissions]",
    );
}

#[test]
fn a_dependency_at_the_wrong_version_is_named() {
    let territory = Territory::with_manifest(&format!(
        r#"{INSTANCE}[plugins.vouchers]
version = "^1.0"
capabilities = ["store", "settings"]

[plugins.admissions]
version = "^2.0"
capabilities = ["store", "settings"]
"#
    ));
    territory
        .plugin(
            "vouchers",
            &plugin_toml(
                "vouchers",
                "1.0.0",
                "[dependencies]\nadmissions = \"^1.0\"\n",
            ),
        )
        .plugin("admissions", &plugin_toml("admissions", "2.0.0", ""));
    let faults = faults(territory.check());
    assert_fault(
        &faults,
        "instance.toml",
        6,
        "plugins.vouchers",
        "plugin `vouchers` needs `admissions` \"^1.0\", but the instance uses `admissions` 2.0.0",
    );
}

#[test]
fn a_disabled_plugin_does_not_need_its_dependencies() {
    let territory = Territory::with_manifest(&format!(
        "{INSTANCE}[plugins.vouchers]\nversion = \"^1.0\"\nenabled = false\ncapabilities = [\"store\", \"settings\"]\n"
    ));
    territory.plugin(
        "vouchers",
        &plugin_toml(
            "vouchers",
            "1.0.0",
            "[dependencies]\nadmissions = \"^1.0\"\n",
        ),
    );
    let checked = territory
        .check()
        .expect("a disabled plugin's dependencies are not checked");
    assert!(!checked.plugins[0].enabled);
}

#[test]
fn an_ungranted_capability_says_how_to_grant_it() {
    let territory = territory_with_hello(
        r#"[plugins.hello]
version = "^1.0"
capabilities = ["store"]
[plugins.hello.settings]
region = "Lazio"
"#,
    );
    let faults = faults(territory.check());
    let shown = territory.instance_dir().join("instance.toml");
    assert_fault(
        &faults,
        "instance.toml",
        8,
        "plugins.hello.capabilities",
        &format!(
            "plugin `hello` needs capability `settings`, which {} does not grant: add it to plugins.hello.capabilities",
            shown.display()
        ),
    );
}

#[test]
fn settings_faults_are_each_named_at_their_line() {
    let territory = territory_with_hello(
        r#"[plugins.hello]
version = "^1.0"
capabilities = ["store", "settings"]

[plugins.hello.settings]
greeting = 42
max_message_length = 5000
mood = "triste"
colour = "rosso"
"#,
    );
    let faults = faults(territory.check());
    let at = "instance.toml";
    assert_fault(
        &faults,
        at,
        11,
        "plugins.hello.settings.greeting",
        "expected text in quotes, found 42",
    );
    assert_fault(
        &faults,
        at,
        12,
        "plugins.hello.settings.max_message_length",
        "5000 is above the maximum of 2000",
    );
    assert_fault(
        &faults,
        at,
        13,
        "plugins.hello.settings.mood",
        "\"triste\" is not one of the choices \"allegro\", \"serio\"",
    );
    assert_fault(
        &faults,
        at,
        14,
        "plugins.hello.settings.colour",
        "`colour` is not a setting of this plugin",
    );
    assert_fault(
        &faults,
        at,
        10,
        "plugins.hello.settings.region",
        "the setting `region` is required and has no default",
    );
    assert_eq!(faults.len(), 5, "{faults:#?}");
}

#[test]
fn resolve_accepts_any_host_api_version() {
    let territory = Territory::with_manifest(&format!(
        "{INSTANCE}[plugins.hello]\nversion = \"*\"\ncapabilities = [\"store\", \"settings\"]\n"
    ));
    // A plugin that needs one minor more than this kernel provides: refused here,
    // accepted by the next kernel. Written against the constant so a new minor
    // does not turn this test into one about the previous release.
    let newer = semver::Version::new(HOST_API_VERSION.major, HOST_API_VERSION.minor + 1, 0);
    territory.plugin(
        "hello",
        &plugin_toml("hello", "1.0.0", "").replace(
            "api = \"^1.0\"",
            &format!("api = \"^{}.{}\"", newer.major, newer.minor),
        ),
    );
    let manifest = territory.load().expect("valid manifest");
    let registry = Registry::scan(&manifest.registry.plugins).expect("valid plugins");
    assert!(resolve(&manifest, &registry, &HOST_API_VERSION).is_err());
    let resolved = resolve(&manifest, &registry, &newer).expect("the next kernel runs it");
    assert_eq!(resolved[0].name, "hello");
}
