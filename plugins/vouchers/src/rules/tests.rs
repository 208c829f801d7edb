//! Tests of the rules a municipality publishes: fields, eligibility, amounts, splits and review
//! rules.

use super::*;
use trama_sdk::i18n::set_locale;

fn answers() -> Answers {
    Answers {
        household_size: Some(3),
        minors: Some(1),
        isee_cents: Some(1_800_000),
        resident: Some(true),
        income_loss: Some(false),
        rent_cents: None,
        arrears_cents: None,
    }
}

#[test]
fn reasons_are_plain_words_with_the_figures() {
    let rules = Eligibility {
        isee_max_cents: Some(1_500_000),
        residence_required: true,
        household_min: Some(4),
        excluded_campaigns: vec![],
    };
    let mut a = answers();
    a.resident = Some(false);
    let reasons = rules.check(&a);
    let it: Vec<String> = reasons.iter().map(|r| r.describe(Lang::It)).collect();
    assert_eq!(
        it,
        vec![
            "ISEE 18.000,00 € sopra la soglia di 15.000,00 €",
            "la residenza nel Comune è richiesta",
            "nucleo di 3 componenti sotto il minimo di 4",
        ]
    );
    assert_eq!(
        Reason::HouseholdTooSmall { size: 1, min: 2 }.describe(Lang::It),
        "nucleo di 1 componente sotto il minimo di 2"
    );
    // The words come from the caller's catalogue (locales/en), the figures follow `lang`.
    set_locale("en");
    assert_eq!(
        reasons[0].describe(Lang::En),
        "ISEE €18,000.00 above the threshold of €15,000.00"
    );
    assert_eq!(
        reasons[2].describe(Lang::En),
        "household of 3 below the minimum of 4"
    );
    set_locale("it");
}

#[test]
fn an_application_within_every_rule_has_no_reasons() {
    let rules = Eligibility {
        isee_max_cents: Some(1_800_000),
        residence_required: true,
        household_min: Some(3),
        excluded_campaigns: vec![],
    };
    assert_eq!(
        rules.check(&answers()),
        vec![],
        "the threshold is inclusive"
    );
}

#[test]
fn amounts_follow_household_size_and_minors_with_a_cap() {
    let rule = AmountRule {
        base_cents: vec![15_000, 25_000, 35_000, 40_000],
        per_minor_cents: 5_000,
        max_cents: Some(50_000),
    };
    assert_eq!(rule.amount(Some(1), Some(0)), 15_000);
    assert_eq!(rule.amount(Some(3), Some(1)), 40_000);
    assert_eq!(rule.amount(Some(4), Some(1)), 45_000);
    assert_eq!(
        rule.amount(Some(9), Some(0)),
        40_000,
        "4+ uses the last base"
    );
    assert_eq!(rule.amount(Some(6), Some(4)), 50_000, "capped");
    assert_eq!(rule.amount(None, None), 15_000);
}

#[test]
fn amounts_are_split_greedily_with_the_remainder_as_a_smaller_voucher() {
    let notes = [5_000, 2_000, 1_000, 500];
    assert_eq!(
        split(38_500, &notes),
        vec![5_000; 7]
            .into_iter()
            .chain([2_000, 1_000, 500])
            .collect::<Vec<_>>()
    );
    assert_eq!(split(15_000, &notes), vec![5_000, 5_000, 5_000]);
    assert_eq!(split(1_250, &notes), vec![1_000, 250]);
    assert_eq!(split(300, &notes), vec![300]);
    assert_eq!(split(40_000, &[]), vec![40_000]);
    assert_eq!(split(0, &notes), Vec::<i64>::new());
    // Order and duplicates of the denominations do not matter.
    assert_eq!(
        split(7_000, &[500, 5_000, 5_000, 2_000]),
        vec![5_000, 2_000]
    );
    let total: i64 = split(123_456, &notes).iter().sum();
    assert_eq!(total, 123_456);
}

#[test]
fn review_rules_read_in_many_spellings_and_round_trip() {
    let rule = ReviewRule::parse("income_loss = yes").unwrap();
    assert_eq!(rule.to_string(), "income_loss = yes");
    assert_eq!(ReviewRule::parse("income_loss==sì"), Ok(rule));
    let rule = ReviewRule::parse("arrears > 5.000,00").unwrap();
    assert_eq!(rule.value, 500_000);
    assert_eq!(rule.to_string(), "arrears > 5000.00");
    assert_eq!(ReviewRule::parse(&rule.to_string()), Ok(rule));
    assert_eq!(
        rule.describe(Lang::It),
        "Morosità accumulata (euro) > 5.000,00 €"
    );
    let minors = ReviewRule::parse("minors>=3").unwrap();
    assert!(!minors.applies(&answers()));
    let mut big = answers();
    big.minors = Some(3);
    assert!(minors.applies(&big));
    let json = serde_json::to_string(&minors).unwrap();
    assert_eq!(json, r#""minors >= 3""#);
}

#[test]
fn bad_review_rules_say_what_is_wrong() {
    set_locale("en");
    let err = ReviewRule::parse("income = yes").unwrap_err();
    assert!(
        err.contains("`income` is not an application field"),
        "{err}"
    );
    let err = ReviewRule::parse("isee").unwrap_err();
    assert!(err.contains("comparison"), "{err}");
    let err = ReviewRule::parse("resident > yes").unwrap_err();
    assert!(err.contains("only with = or !="), "{err}");
    set_locale("it");
    let err = ReviewRule::parse("minors = many").unwrap_err();
    assert!(err.contains("numero intero"), "{err}");
    let err = ReviewRule::parse("rent > tanto").unwrap_err();
    assert_eq!(
        err,
        "«rent > tanto»: «tanto» non è un importo in euro: scrivilo ad esempio come 1.234,50"
    );
}

#[test]
fn a_rule_on_an_unanswered_field_never_applies() {
    let rule = ReviewRule::parse("rent > 800").unwrap();
    assert!(!rule.applies(&answers()));
}

#[test]
fn answers_are_read_with_a_message_per_field() {
    let asked = [
        Field::HouseholdSize,
        Field::Minors,
        Field::Isee,
        Field::Resident,
    ];
    let input = Input::from_pairs(&[
        ("household_size".into(), "2".into()),
        ("minors".into(), "2".into()),
        ("isee".into(), "12.000,50".into()),
        ("resident".into(), "forse".into()),
    ]);
    let mut problems = Problems::default();
    let answers = Answers::read(&asked, &input, &mut problems);
    assert_eq!(answers.isee_cents, Some(1_200_050));
    let fields: Vec<&str> = problems.0.iter().map(|p| p.field.as_str()).collect();
    assert_eq!(fields, vec!["resident", "minors"]);
    assert_eq!(
        problems.for_field("minors"),
        Some("i minori (2) devono essere meno dei componenti del nucleo (2)")
    );

    set_locale("en");
    let mut problems = Problems::default();
    Answers::read(&asked, &Input::default(), &mut problems);
    assert_eq!(problems.0.len(), 4);
    assert_eq!(problems.for_field("isee"), Some("an answer is required"));
    set_locale("it");
}
