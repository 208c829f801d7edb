//! Property tests of the manifest loader: whatever a cooperative (or a broken editor, or a
//! stray environment variable) puts in `instance.toml` and `plugin.toml`, checking never
//! panics, and every fault it reports says where it is.
//!
//! Two generators: arbitrary text (catches crashes in parsing and line lookup) and manifests
//! assembled from the real keys with values of every TOML type, in range and out of it
//! (catches crashes and silent acceptance in validation and version resolution).

use std::collections::BTreeSet;

use proptest::prelude::*;
use trama_manifest::{Checked, Diagnostics};

use crate::support::{INSTANCE, SETTINGS, Territory, plugin_toml};

/// Every fault names its file (one the territory holds) and, when it names a line, a line
/// that exists; and its message is a sentence, not an empty string.
fn assert_located(territory: &Territory, texts: &[(&str, &str)], faults: &Diagnostics) {
    assert!(!faults.is_empty(), "an error with no fault in it");
    for fault in faults.iter() {
        assert!(!fault.message.trim().is_empty(), "empty message: {fault:?}");
        assert!(
            fault.file.starts_with(territory.root()) || fault.variable.is_some(),
            "fault outside the territory: {fault}"
        );
        if let Some(line) = fault.line {
            let (_, text) = texts
                .iter()
                .find(|(name, _)| fault.file.ends_with(name))
                .unwrap_or_else(|| panic!("a line in a file that was not written: {fault}"));
            let lines = text.lines().count().max(1);
            assert!(
                (1..=lines + 1).contains(&line),
                "line {line} of a {lines}-line file: {fault}"
            );
        }
    }
}

/// A TOML value of any type, sometimes sensible for the key it lands on, often not.
fn toml_value() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<i64>().prop_map(|n| n.to_string()),
        (0_u64..70_000).prop_map(|n| n.to_string()),
        any::<bool>().prop_map(|b| b.to_string()),
        "[a-zA-Z0-9 ._^~<>=*,:/-]{0,24}".prop_map(|s| format!("{s:?}")),
        Just("\"^1.0\"".to_owned()),
        Just("\"=2.0.0\"".to_owned()),
        Just("\"sqlite://data/x.db\"".to_owned()),
        Just("\"postgres://u@127.0.0.1/db\"".to_owned()),
        Just("[]".to_owned()),
        Just("[\"store\", \"ledger\", \"teleport\"]".to_owned()),
        Just("{ it = \"Ciao\", en = \"Hi\" }".to_owned()),
        Just("1.5".to_owned()),
        Just("1979-05-27T07:32:00Z".to_owned()),
    ]
}

/// `key = value` lines for one table, keys drawn from the ones the table really has plus an
/// unknown one.
fn table(name: &'static str, keys: &'static [&'static str]) -> impl Strategy<Value = String> {
    proptest::collection::vec((proptest::sample::select(keys), toml_value()), 0..5).prop_map(
        move |pairs| {
            let mut seen = BTreeSet::new();
            let mut text = format!("[{name}]\n");
            for (key, value) in pairs {
                // A key twice is a TOML syntax error: covered by the text generator.
                if seen.insert(key) {
                    text.push_str(&format!("{key} = {value}\n"));
                }
            }
            text
        },
    )
}

/// A manifest built from real sections with random contents.
fn manifest() -> impl Strategy<Value = String> {
    let sections = (
        table(
            "limits",
            &[
                "memory_mib",
                "http_deadline_ms",
                "event_deadline_ms",
                "job_deadline_ms",
                "signups_per_hour_per_address",
                "writes_per_minute_per_account",
                "fuel",
            ],
        ),
        table("database", &["url", "pool", "max_connections"]),
        table(
            "governance",
            &["quorum_percent", "majority", "voting_window", "chair"],
        ),
        table(
            "plugins.hello",
            &["version", "capabilities", "enabled", "colour"],
        ),
        table(
            "plugins.hello.settings",
            &["greeting", "max_message_length", "mood", "region"],
        ),
        table("plugins.ghost", &["version", "capabilities"]),
    );
    (
        proptest::sample::subsequence(vec![0, 1, 2, 3, 4, 5], 0..=6),
        sections,
    )
        .prop_map(
            |(chosen, (limits, database, governance, hello, settings, ghost))| {
                let all = [limits, database, governance, hello, settings, ghost];
                let mut text = INSTANCE.to_owned();
                for index in chosen {
                    text.push_str(&all[index]);
                    text.push('\n');
                }
                text
            },
        )
}

fn check(territory: &Territory, env: &[(String, String)]) -> Result<Checked, Diagnostics> {
    trama_manifest::check_with_env(
        territory.instance_dir(),
        env.iter().map(|(k, v)| (k.as_str(), v.as_str())),
    )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    /// Any text at all in `instance.toml`: a located fault or a manifest, never a crash.
    #[test]
    fn any_text_as_a_manifest_is_checked_without_crashing(text in "(?s).{0,400}") {
        let territory = Territory::with_manifest(&text);
        if let Err(faults) = territory.check() {
            assert_located(&territory, &[("instance.toml", &text)], &faults);
        }
    }

    /// Text that is almost a manifest: a valid one with a slice cut out or a line repeated.
    #[test]
    fn a_damaged_manifest_is_checked_without_crashing(
        cut in 0_usize..200,
        length in 0_usize..40,
        repeat in any::<bool>(),
    ) {
        let valid = format!("{INSTANCE}[plugins.hello]\nversion = \"^1.0\"\ncapabilities = [\"store\", \"settings\", \"log\"]\n\n[plugins.hello.settings]\ngreeting = \"Salve\"\nregion = \"Lazio\"\n");
        let start = cut.min(valid.len());
        let end = (start + length).min(valid.len());
        let mut text = valid.clone();
        if valid.is_char_boundary(start) && valid.is_char_boundary(end) {
            if repeat {
                text.insert_str(end, &valid[start..end]);
            } else {
                text.replace_range(start..end, "");
            }
        }
        let territory = Territory::with_manifest(&text);
        territory.plugin("hello", &plugin_toml("hello", "1.0.0", SETTINGS));
        match territory.check() {
            Ok(_) => {}
            Err(faults) => {
                prop_assert!(text != valid, "the undamaged manifest is valid: {faults}");
                assert_located(&territory, &[("instance.toml", &text)], &faults);
            }
        }
    }

    /// Real sections with values of every type, plus environment overrides: either checked
    /// (and then what runs is within the documented limits and versions) or refused with
    /// located faults.
    #[test]
    fn manifests_with_wild_values_are_accepted_only_when_valid(
        text in manifest(),
        env in proptest::collection::vec(
            (
                proptest::sample::select(vec![
                    "TRAMA_LIMITS__MEMORY_MIB",
                    "TRAMA_PLUGINS__HELLO__VERSION",
                    "TRAMA_DATABASE__URL",
                    "TRAMA_GOVERNANCE__QUORUM_PERCENT",
                    "TRAMA_INSTANCE__LOCALE",
                ]),
                "[a-z0-9^.=:/ -]{0,12}",
            ),
            0..2,
        ),
    ) {
        let territory = Territory::with_manifest(&text);
        territory.plugin("hello-1", &plugin_toml("hello", "1.0.0", SETTINGS));
        territory.plugin("hello-2", &plugin_toml("hello", "2.0.0", SETTINGS));
        let env: Vec<(String, String)> =
            env.into_iter().map(|(k, v)| (k.to_owned(), v)).collect();
        match check(&territory, &env) {
            Ok(checked) => {
                let limits = &checked.manifest.limits;
                prop_assert!((1..=1024).contains(&limits.memory_mib), "{limits:?}");
                prop_assert!((1..=60_000).contains(&limits.http_deadline_ms), "{limits:?}");
                prop_assert!((1..=600_000).contains(&limits.event_deadline_ms), "{limits:?}");
                prop_assert!((1..=3_600_000).contains(&limits.job_deadline_ms), "{limits:?}");
                prop_assert!((1..=100_000).contains(&limits.signups_per_hour_per_address));
                prop_assert!((1..=100_000).contains(&limits.writes_per_minute_per_account));
                prop_assert!(checked.manifest.governance.quorum_percent <= 100);
                for plugin in checked.plugins.iter().filter(|p| p.enabled) {
                    let wanted = &checked.manifest.plugins[&plugin.name].version;
                    prop_assert!(
                        wanted.matches(&plugin.package.meta.plugin.version),
                        "{} {} does not match {wanted}",
                        plugin.name,
                        plugin.package.meta.plugin.version
                    );
                }
                prop_assert!(
                    !checked.plugins.iter().any(|p| p.name == "ghost"),
                    "a plugin with no package was accepted"
                );
            }
            Err(faults) => assert_located(&territory, &[("instance.toml", &text)], &faults),
        }
    }

    /// Any text as a plugin's `plugin.toml`: a fault located in that file, never a crash.
    #[test]
    fn any_text_as_a_plugin_toml_is_checked_without_crashing(
        text in prop_oneof![
            "(?s).{0,300}",
            ("[a-z0-9.^-]{0,8}", "[a-z=^<>.0-9, ]{0,8}", "[a-z,\" ]{0,30}").prop_map(
                |(version, api, capabilities)| format!(
                    "[plugin]\nname = \"hello\"\nversion = \"{version}\"\napi = \"{api}\"\ntitle = {{ it = \"T\", en = \"T\" }}\ncapabilities = [{capabilities}]\n"
                )
            ),
        ],
    ) {
        let manifest = format!("{INSTANCE}[plugins.hello]\nversion = \"*\"\n");
        let territory = Territory::with_manifest(&manifest);
        territory.plugin("hello", &text);
        if let Err(faults) = territory.check() {
            assert_located(
                &territory,
                &[("instance.toml", &manifest), ("plugin.toml", &text)],
                &faults,
            );
        }
    }
}
