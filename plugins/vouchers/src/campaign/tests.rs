//! Tests of a campaign's validation and views.

use super::*;
use trama_sdk::i18n::set_locale;
use trama_sdk::input::Input;

fn good() -> Vec<(&'static str, &'static str)> {
    vec![
        ("title", "Buoni spesa 2025"),
        ("measure", "food"),
        ("opens_on", "2025-01-01"),
        ("closes_on", "2025-01-31"),
        ("budget", "10.000,00"),
        ("fields", "household_size"),
        ("fields", "minors"),
        ("fields", "isee"),
        ("fields", "resident"),
        ("fields", "income_loss"),
        ("isee_max", "15.000"),
        ("residence_required", "on"),
        ("base_amounts", "150; 250; 350; 400"),
        ("per_minor", "50"),
        ("max_amount", "500"),
        ("denominations", "50; 20; 10; 5"),
        ("ranking", "isee_asc"),
        ("ranking", "minors_desc"),
        ("ranking", ""),
        ("review_rules", "income_loss = yes"),
    ]
}

#[test]
fn a_complete_form_becomes_a_campaign_in_cents() {
    let draft = validate(&Input::from_strs(&good()), &[]).unwrap();
    assert_eq!(draft.budget_cents, 1_000_000);
    assert_eq!(draft.eligibility.isee_max_cents, Some(1_500_000));
    assert!(draft.eligibility.residence_required);
    assert_eq!(
        draft.amounts.base_cents,
        vec![15_000, 25_000, 35_000, 40_000]
    );
    assert_eq!(draft.amounts.per_minor_cents, 5_000);
    assert_eq!(draft.amounts.max_cents, Some(50_000));
    assert_eq!(draft.denominations_cents, vec![5_000, 2_000, 1_000, 500]);
    assert_eq!(
        draft.ranking,
        vec![Criterion::IseeAsc, Criterion::MinorsDesc]
    );
    assert_eq!(draft.review_rules.len(), 1);
    assert_eq!(draft.opens_on, "2025-01-01");
}

#[test]
fn every_broken_field_is_named() {
    let input = Input::from_strs(&[
        ("title", "x"),
        ("measure", "cake"),
        ("opens_on", "2025-02-01"),
        ("closes_on", "2025-01-31"),
        ("budget", "dieci"),
        ("fields", "isee"),
        ("fields", "shoe_size"),
        ("residence_required", "yes"),
        ("base_amounts", "150; 250"),
        ("ranking", "minors_desc"),
        ("review_rules", "income_loss = yes"),
    ]);
    set_locale("en");
    let problems = validate(&input, &[]).unwrap_err();
    set_locale("it");
    let fields: Vec<&str> = problems.0.iter().map(|p| p.field.as_str()).collect();
    for field in [
        "title",
        "measure",
        "closes_on",
        "budget",
        "fields",
        "residence_required",
        "base_amounts",
        "ranking",
        "review_rules",
    ] {
        assert!(fields.contains(&field), "{field} missing from {fields:?}");
    }
    assert_eq!(
        problems.for_field("residence_required"),
        Some("this rule uses `resident`, which the form does not ask: add it to the fields")
    );
    assert_eq!(
        problems.for_field("closes_on"),
        Some("the closing day (2025-01-31) comes before the opening (2025-02-01)")
    );
}

#[test]
fn default_review_rules_apply_only_when_none_are_given_and_fit_the_form() {
    let mut pairs = good();
    pairs.retain(|(k, _)| *k != "review_rules");
    let defaults = vec!["income_loss = yes".to_owned(), "arrears > 1000".to_owned()];
    let draft = validate(&Input::from_strs(&pairs), &defaults).unwrap();
    assert_eq!(
        draft
            .review_rules
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>(),
        vec!["income_loss = yes"]
    );
    pairs.push(("review_rules", ""));
    let draft = validate(&Input::from_strs(&pairs), &defaults).unwrap();
    assert!(
        draft.review_rules.is_empty(),
        "an emptied box means no rules"
    );
}

#[test]
fn the_phase_follows_the_dates_inclusively() {
    let draft = validate(&Input::from_strs(&good()), &[]).unwrap();
    let doc = draft.into_campaign(0, "op".into());
    let day = |s: &str| Date::parse(s).unwrap();
    assert_eq!(doc.phase(day("2024-12-31")), Phase::Upcoming);
    assert_eq!(doc.phase(day("2025-01-01")), Phase::Open);
    assert_eq!(doc.phase(day("2025-01-31")), Phase::Open);
    assert_eq!(doc.phase(day("2025-02-01")), Phase::Ended);
}
