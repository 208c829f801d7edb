//! The JSON schemas of published events: every published event has one, in the plugin's
//! folder, and a schema that is missing, not JSON or not a schema stops the load, naming the
//! file, the line and the event.

use trama_manifest::Registry;

use crate::support::{Territory, assert_fault, faults, plugin_toml};

fn scan(territory: &Territory) -> Result<Registry, trama_manifest::Diagnostics> {
    Registry::scan([territory.root().join("plugins")])
}

/// A plugin `shop` publishing `shop.sold`, whose schema entry is `schema` (line 12).
fn shop(schema: &str) -> Territory {
    let territory = Territory::new();
    territory.plugin(
        "shop",
        &plugin_toml(
            "shop",
            "1.0.0",
            &format!("[events]\npublishes = [\"shop.sold\"]\n\n[events.schemas]\n{schema}\n"),
        ),
    );
    territory
}

#[test]
fn a_published_event_without_a_schema_is_refused_with_the_fix() {
    let territory = Territory::new();
    territory.plugin(
        "shop",
        &plugin_toml("shop", "1.0.0", "[events]\npublishes = [\"shop.sold\"]\n"),
    );
    let faults = faults(scan(&territory));
    let fault = assert_fault(
        &faults,
        "shop/plugin.toml",
        9,
        "events.publishes[0]",
        "event \"shop.sold\" has no schema",
    );
    assert!(
        fault
            .message
            .contains(r#""shop.sold" = "events/shop.sold.json""#),
        "{fault}"
    );
}

#[test]
fn a_missing_schema_file_names_the_plugin_toml_line_and_the_event() {
    let territory = shop(r#""shop.sold" = "events/shop.sold.json""#);
    let faults = faults(scan(&territory));
    let fault = assert_fault(
        &faults,
        "shop/plugin.toml",
        12,
        "events.schemas.shop.sold",
        "event `shop.sold`: its schema",
    );
    assert!(fault.message.contains("events/shop.sold.json"), "{fault}");
    assert!(fault.message.contains("cannot be read"), "{fault}");
}

#[test]
fn a_schema_file_that_is_not_json_is_located_in_that_file() {
    let territory = shop(r#""shop.sold" = "events/shop.sold.json""#);
    territory.write(
        "plugins/shop/events/shop.sold.json",
        "{\n  \"type\": \"object\",\n  \"required\": [\"id\",]\n}\n",
    );
    let faults = faults(scan(&territory));
    let [fault] = faults.as_slice() else {
        panic!("one fault: {faults:#?}");
    };
    assert!(
        fault.file.ends_with("shop/events/shop.sold.json"),
        "{fault}"
    );
    assert_eq!(fault.line, Some(3), "{fault}");
    assert!(fault.message.contains("event `shop.sold`"), "{fault}");
    assert!(fault.message.contains("plugin.toml:12"), "{fault}");
}

#[test]
fn a_file_that_is_not_a_schema_is_refused() {
    let territory = shop(r#""shop.sold" = "events/shop.sold.json""#);
    territory.write(
        "plugins/shop/events/shop.sold.json",
        r#"{"type": "object", "properties": {"id": {"type": "text"}}}"#,
    );
    let faults = faults(scan(&territory));
    assert_fault(
        &faults,
        "shop/plugin.toml",
        12,
        "events.schemas.shop.sold",
        "events/shop.sold.json is not a valid JSON schema for event `shop.sold`",
    );
}

#[test]
fn a_schema_outside_the_plugin_folder_is_refused() {
    let territory = shop(r#""shop.sold" = "../other/schema.json""#);
    territory.write("plugins/other/schema.json", r#"{"type": "object"}"#);
    let faults = faults(scan(&territory));
    assert_fault(
        &faults,
        "shop/plugin.toml",
        12,
        "events.schemas.shop.sold",
        "must be a path inside the plugin's folder",
    );
}

#[test]
fn a_schema_for_an_event_not_published_is_refused() {
    let territory = shop(
        "\"shop.sold\" = \"events/shop.sold.json\"\n\"shop.returned\" = \"events/shop.sold.json\"",
    );
    territory.write(
        "plugins/shop/events/shop.sold.json",
        r#"{"type": "object"}"#,
    );
    let faults = faults(scan(&territory));
    assert_fault(
        &faults,
        "shop/plugin.toml",
        13,
        "events.schemas.shop.returned",
        "\"shop.returned\" is not in [events] publishes",
    );
}

#[test]
fn a_schema_may_be_written_inline() {
    let territory = shop(
        "\"shop.sold\" = { type = \"object\", required = [\"id\"], properties = { id = { type = \"integer\" } } }",
    );
    let registry = scan(&territory).expect("valid plugin");
    let schema = registry.packages()[0]
        .meta
        .event_schemas
        .get("shop.sold")
        .expect("compiled");
    assert_eq!(schema.file, trama_manifest::INLINE);
    assert!(schema.check(&serde_json::json!({"id": 1})).is_ok());
    let wrong = schema.check(&serde_json::json!({"id": "1"})).unwrap_err();
    assert_eq!(wrong.pointer, "/id");
}
