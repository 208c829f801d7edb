//! Tests of what an edit reads: a campaign written back as its form's fields reads as the same
//! campaign, so fields sent again unchanged are never taken for a change of the rules.

use trama_sdk::input::Input;

use super::edit::current_values;
use crate::campaign::validate;

fn form() -> Input {
    Input::from_strs(&[
        ("title", "Buoni spesa 2025"),
        ("measure", "food"),
        ("opens_on", "2025-01-01"),
        ("closes_on", "2025-01-31"),
        ("budget", "10.000,50"),
        ("fields", "household_size"),
        ("fields", "minors"),
        ("fields", "isee"),
        ("fields", "resident"),
        ("isee_max", "15.000"),
        ("residence_required", "on"),
        ("household_min", "2"),
        ("base_amounts", "150; 250,25; 350"),
        ("per_minor", "35,50"),
        ("max_amount", "500"),
        ("denominations", "50; 20; 5"),
        ("ranking", "isee_asc"),
        ("ranking", "minors_desc"),
        ("review_rules", "isee < 3000\nminors > 2"),
        ("valid_until", "2025-12-31"),
        ("instalments", "2"),
        ("instalment_days", "60"),
        ("description", "Per le famiglie in difficoltà."),
    ])
}

#[test]
fn a_campaign_written_back_as_its_fields_reads_the_same() {
    let campaign = validate(&form(), &[])
        .expect("a valid form")
        .into_campaign(0, "op".to_owned());
    let again = validate(&Input::from_pairs(&current_values(&campaign)), &[])
        .expect("its own fields are valid")
        .into_campaign(0, "op".to_owned());
    assert_eq!(again, campaign);
}

#[test]
fn a_rulebook_campaign_written_back_reads_the_same() {
    let mut pairs: Vec<(String, String)> = [
        ("title", "Bonus nido"),
        ("measure", "bills"),
        ("opens_on", "2025-01-01"),
        ("closes_on", "2025-01-31"),
        ("budget", "5000"),
        ("template", "bonus-nido"),
    ]
    .iter()
    .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
    .collect();
    let campaign = validate(&Input::from_pairs(&pairs), &[])
        .expect("a valid template")
        .into_campaign(0, "op".to_owned());
    assert!(campaign.rulebook.is_some());
    pairs = current_values(&campaign);
    let again = validate(&Input::from_pairs(&pairs), &[])
        .expect("its own fields are valid")
        .into_campaign(0, "op".to_owned());
    assert_eq!(again, campaign);
}
