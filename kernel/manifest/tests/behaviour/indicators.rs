//! `[indicators]`: what a territory measures, each fault naming the indicator, its line and
//! its key, and the event checked against what the enabled plugins publish.

use crate::support::{INSTANCE, Territory, assert_fault, faults, plugin_toml};

/// A `shop` plugin publishing `shop.sold` with an integer `cents`, a text `band` and a
/// list `buyers`.
fn shop(indicators: &str) -> Territory {
    let territory = Territory::with_manifest(&format!(
        "{INSTANCE}[plugins.shop]\nversion = \"^1\"\ncapabilities = [\"store\", \"settings\"]\n\n{indicators}"
    ));
    territory.plugin(
        "shop",
        &plugin_toml(
            "shop",
            "1.0.0",
            r#"[events]
publishes = ["shop.sold"]

[events.schemas]
"shop.sold" = { type = "object", properties = { cents = { type = "integer" }, band = { type = ["string", "null"] }, buyers = { type = "array" } } }
"#,
        ),
    );
    territory
}

const SOLD: &str = r#"[indicators.venduto]
title = { it = "Venduto", en = "Sold" }
kind = "output"
event = "shop.sold"
aggregate = "sum"
field = "cents"
group_by = "band"
unit = "euro"
target = 500
period = "monthly"
"#;

#[test]
fn an_indicator_is_read_with_its_definition() {
    let checked = shop(SOLD).check().expect("valid");
    let sold = &checked.manifest.indicators.indicators["venduto"];
    assert_eq!(sold.title_in("en"), "Sold");
    assert_eq!(sold.title_in("de"), "Venduto", "Italian otherwise");
    assert_eq!(sold.unit, trama_manifest::Unit::Euro);
    assert_eq!(
        sold.aggregate,
        trama_manifest::Aggregate::Sum {
            field: "cents".into()
        }
    );
    assert_eq!(sold.group_by.as_deref(), Some("band"));
    // The definition the committee validates changes with any key.
    let mut changed = sold.clone();
    changed.target = 600;
    assert_ne!(sold.definition(), changed.definition());
}

#[test]
fn each_wrong_key_is_named_with_its_indicator_and_line() {
    let broken = r#"[indicators.rotto]
title = { en = "Broken" }
kind = "impact"
event = "shop.sold"
aggregate = "average"
unit = "kilos"
target = -1
period = "weekly"
"#;
    let found = faults(shop(broken).load());
    // `[indicators.rotto]` is on line 10 of the manifest.
    assert_fault(
        &found,
        "instance.toml",
        11,
        "indicators.rotto.title",
        "indicator `rotto` has no Italian title",
    );
    assert_fault(
        &found,
        "instance.toml",
        12,
        "indicators.rotto.kind",
        "\"impact\" is not a kind",
    );
    assert_fault(
        &found,
        "instance.toml",
        14,
        "indicators.rotto.aggregate",
        "\"average\" is not an aggregate",
    );
    assert_fault(
        &found,
        "instance.toml",
        15,
        "indicators.rotto.unit",
        "\"kilos\" is not a unit",
    );
    assert_fault(
        &found,
        "instance.toml",
        16,
        "indicators.rotto.target",
        "out of range",
    );
    assert_fault(
        &found,
        "instance.toml",
        17,
        "indicators.rotto.period",
        "write \"monthly\"",
    );
}

#[test]
fn a_sum_needs_its_field_and_euros_need_a_sum() {
    let found = faults(shop(&SOLD.replace("field = \"cents\"\n", "")).load());
    assert!(
        found
            .iter()
            .any(|f| f.key == "indicators.venduto.field" && f.message.contains("needs `field`")),
        "{found:#?}"
    );
    let counted = SOLD
        .replace("aggregate = \"sum\"", "aggregate = \"count\"")
        .replace("field = \"cents\"\n", "");
    let found = faults(shop(&counted).load());
    assert_fault(
        &found,
        "instance.toml",
        16,
        "indicators.venduto.unit",
        "write aggregate = \"sum\"",
    );
}

#[test]
fn the_event_and_its_fields_are_checked_against_the_enabled_plugins() {
    let unknown = SOLD.replace("event = \"shop.sold\"", "event = \"shop.returned\"");
    let found = faults(shop(&unknown).check());
    assert_fault(
        &found,
        "instance.toml",
        13,
        "indicators.venduto.event",
        "no enabled plugin publishes `shop.returned`",
    );

    let missing = SOLD.replace("field = \"cents\"", "field = \"euros\"");
    let found = faults(shop(&missing).check());
    assert_fault(
        &found,
        "instance.toml",
        15,
        "indicators.venduto.field",
        "`shop.sold` has no field `euros`",
    );

    let not_a_number = SOLD.replace("field = \"cents\"", "field = \"band\"");
    let found = faults(shop(&not_a_number).check());
    assert_fault(
        &found,
        "instance.toml",
        15,
        "indicators.venduto.field",
        "is not a whole number",
    );

    let people = r#"[indicators.acquirenti]
title = { it = "Acquirenti" }
kind = "output"
event = "shop.sold"
aggregate = "count_distinct"
field = "buyers"
unit = "people"
target = 10
period = "monthly"
"#;
    shop(people)
        .check()
        .expect("a distinct count of a list is fine");

    let disabled = Territory::with_manifest(&format!(
        "{INSTANCE}[plugins.shop]\nversion = \"^1\"\nenabled = false\ncapabilities = [\"store\", \"settings\"]\n\n{SOLD}"
    ));
    disabled.plugin("shop", &plugin_toml("shop", "1.0.0", "[events]\npublishes = [\"shop.sold\"]\n\n[events.schemas]\n\"shop.sold\" = { type = \"object\" }\n"));
    let found = faults(disabled.check());
    assert!(
        found.iter().any(|f| f.key == "indicators.venduto.event"),
        "a disabled plugin publishes nothing: {found:#?}"
    );
}

const SATISFIED: &str = r#"[indicators.soddisfatti]
title = { it = "Acquirenti soddisfatti" }
kind = "outcome"
event = "shop.sold"
aggregate = "at_least"
field = "cents"
min = 4
unit = "people"
target = 20
period = "monthly"
"#;

#[test]
fn at_least_reads_an_integer_field_and_its_threshold() {
    let checked = shop(SATISFIED).check().expect("valid");
    assert_eq!(
        checked.manifest.indicators.indicators["soddisfatti"].aggregate,
        trama_manifest::Aggregate::AtLeast {
            field: "cents".into(),
            min: 4
        }
    );
    // The threshold is part of the definition the committee validates.
    let stricter = shop(&SATISFIED.replace("min = 4", "min = 5"))
        .check()
        .expect("valid");
    assert_ne!(
        checked.manifest.indicators.indicators["soddisfatti"].definition(),
        stricter.manifest.indicators.indicators["soddisfatti"].definition()
    );

    // `[indicators.soddisfatti]` is on line 10 of the manifest.
    let found = faults(shop(&SATISFIED.replace("min = 4\n", "")).load());
    assert_fault(
        &found,
        "instance.toml",
        10,
        "indicators.soddisfatti.min",
        "needs `min`",
    );
    let found = faults(shop(&SATISFIED.replace("field = \"cents\"", "field = \"band\"")).check());
    assert_fault(
        &found,
        "instance.toml",
        15,
        "indicators.soddisfatti.field",
        "is not a whole number",
    );
    let summed = SATISFIED.replace("aggregate = \"at_least\"", "aggregate = \"sum\"");
    let found = faults(shop(&summed).load());
    assert_fault(
        &found,
        "instance.toml",
        16,
        "indicators.soddisfatti.min",
        "reads no `min`; remove it",
    );
}
