//! `TRAMA_*` variables layered over `instance.toml`.

use crate::support::{INSTANCE, Territory, faults};

#[test]
fn variables_override_the_file() {
    let territory = Territory::with_manifest(&format!(
        "{INSTANCE}[database]\nurl = \"sqlite://data/trama.db\"\n\n[plugins.hello]\nversion = \"^1.0\"\n"
    ));
    let manifest = territory
        .load_env(&[
            (
                "TRAMA_DATABASE__URL",
                "postgres://trama:segreto@db.example/trama",
            ),
            ("TRAMA_INSTANCE__NAME", "Comune di Prova"),
            ("TRAMA_PLUGINS__HELLO__VERSION", "1.0"),
            ("TRAMA_PLUGINS__HELLO__ENABLED", "false"),
            ("TRAMA_LIMITS__MEMORY_MIB", "128"),
            ("TRAMA_INSTANCE__HOSTS", "welfare.example, localhost"),
        ])
        .expect("the overrides are valid");
    assert_eq!(
        manifest.database_url(),
        "postgres://trama:segreto@db.example/trama"
    );
    assert_eq!(manifest.sqlite_file(), None);
    assert_eq!(manifest.instance.name, "Comune di Prova");
    assert_eq!(manifest.instance.hosts, ["welfare.example", "localhost"]);
    assert_eq!(manifest.limits.memory_mib, 128);
    let hello = &manifest.plugins["hello"];
    assert_eq!(
        hello.version,
        semver::VersionReq::parse("1.0").expect("valid requirement")
    );
    assert!(!hello.enabled);
}

#[test]
fn an_invalid_value_names_the_variable_instead_of_a_line() {
    let territory = Territory::with_manifest(INSTANCE);
    let faults = faults(territory.load_env(&[("TRAMA_INSTANCE__LOCALE", "fr")]));
    assert_eq!(faults.len(), 1, "{faults:#?}");
    let fault = &faults[0];
    assert_eq!(fault.key, "instance.locale");
    assert_eq!(fault.line, None);
    assert_eq!(fault.variable.as_deref(), Some("TRAMA_INSTANCE__LOCALE"));
    let expected = format!(
        "{} (from TRAMA_INSTANCE__LOCALE): instance.locale: \"fr\" is not an available language",
        territory.instance_dir().join("instance.toml").display()
    );
    assert!(fault.to_string().starts_with(&expected), "{fault}");
}

#[test]
fn a_value_of_the_wrong_type_names_the_variable() {
    let territory = Territory::with_manifest(&format!("{INSTANCE}[limits]\nmemory_mib = 64\n"));
    let faults = faults(territory.load_env(&[("TRAMA_LIMITS__MEMORY_MIB", "lots")]));
    assert_eq!(faults.len(), 1, "{faults:#?}");
    assert_eq!(faults[0].key, "limits.memory_mib");
    assert_eq!(
        faults[0].variable.as_deref(),
        Some("TRAMA_LIMITS__MEMORY_MIB")
    );
    assert!(
        faults[0]
            .message
            .starts_with("expected a whole number (0 or more), found \"lots\""),
        "{}",
        faults[0]
    );
}

#[test]
fn an_unknown_key_set_from_the_environment_names_the_variable() {
    let territory = Territory::with_manifest(INSTANCE);
    let faults = faults(territory.load_env(&[("TRAMA_DATABASE__URI", "postgres://db/trama")]));
    assert_eq!(faults.len(), 1, "{faults:#?}");
    assert_eq!(faults[0].key, "database.uri");
    assert_eq!(faults[0].variable.as_deref(), Some("TRAMA_DATABASE__URI"));
    assert!(
        faults[0].message.contains("did you mean `url`?"),
        "{}",
        faults[0]
    );
}

#[test]
fn variables_outside_the_manifest_sections_are_ignored() {
    let territory = Territory::with_manifest(INSTANCE);
    let manifest = territory
        .load_env(&[
            ("TRAMA_LOG", "debug"),
            ("TRAMA_TEST_PG_URL", "postgres://localhost/test"),
            ("TRAMA_LISTEN", "0.0.0.0:80"),
            ("DATABASE__URL", "postgres://elsewhere/x"),
        ])
        .expect("unrelated variables do not matter");
    assert!(manifest.database_url().starts_with("sqlite://"));
}

#[test]
fn a_plugin_can_be_added_from_the_environment_alone() {
    let territory = Territory::with_manifest(INSTANCE);
    let faults = faults(territory.load_env(&[("TRAMA_PLUGINS__HELLO__ENABLED", "true")]));
    assert_eq!(faults.len(), 1, "{faults:#?}");
    assert_eq!(faults[0].key, "plugins.hello.version");
    assert_eq!(
        faults[0].variable.as_deref(),
        Some("TRAMA_PLUGINS__HELLO__ENABLED")
    );
    assert_eq!(faults[0].message, "the required key `version` is missing");
}
