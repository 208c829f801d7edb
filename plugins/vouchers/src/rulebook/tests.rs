//! The four shipped notices, with amounts worked out by hand from their texts, and the checks
//! a rulebook must pass before a campaign uses it.

use trama_sdk::clock::Date;
use trama_sdk::input::Input;

use super::expr::Engine;
use super::*;

const DAY: Date = Date {
    year: 2026,
    month: 9,
    day: 1,
};

fn book(name: &str) -> Rulebook {
    let Some((_, text)) = TEMPLATES.iter().find(|(key, _)| *key == name) else {
        panic!("no template {name}");
    };
    match Rulebook::from_toml(text) {
        Ok(book) => book,
        Err(problems) => panic!("{name}: {problems:?}"),
    }
}

/// Reads `pairs` as a form would send them, then applies the rules.
fn decide(book: &Rulebook, pairs: &[(&str, &str)]) -> Outcome {
    let input = Input::from_strs(pairs);
    let mut problems = Problems::default();
    let answers = answer::read_all(&book.questions, &input, &mut problems);
    assert!(problems.is_empty(), "{problems:?}");
    let engine = Engine::new(book).expect("compiles");
    engine.evaluate(book, &answers, DAY)
}

fn euros(outcome: &Outcome) -> (Decision, i64) {
    (outcome.decision, outcome.amount_cents)
}

#[test]
fn every_shipped_template_reads_and_checks() {
    for (name, _) in TEMPLATES {
        assert!(template(name).is_some(), "{name}");
    }
}

#[test]
fn bonus_nido_pays_per_child_under_three_by_isee_band() {
    let nido = book("bonus-nido");
    let household = |isee: &'static str| {
        vec![
            ("household_1_birth_date", "1990-04-02"),
            ("household_2_birth_date", "2025-01-15"),
            ("household_2_relation", "child"),
            ("household_3_birth_date", "2024-03-10"),
            ("household_3_relation", "child"),
            ("isee", isee),
        ]
    };
    // Two children under 3 (1 and 2 years old on 1 September 2026).
    assert_eq!(
        euros(&decide(&nido, &household("24000"))),
        (Decision::Eligible, 2 * 300_000)
    );
    assert_eq!(
        euros(&decide(&nido, &household("25000"))),
        (Decision::Eligible, 2 * 300_000),
        "25,000 € is still the first band"
    );
    assert_eq!(
        euros(&decide(&nido, &household("25000,01"))),
        (Decision::Eligible, 2 * 250_000)
    );
    assert_eq!(
        euros(&decide(&nido, &household("40000"))),
        (Decision::Eligible, 2 * 250_000)
    );
    assert_eq!(
        euros(&decide(&nido, &household("45000"))),
        (Decision::Eligible, 2 * 150_000)
    );
    // A child who turned 3 on 31 August 2026 no longer counts; the applicant never does.
    let older = decide(
        &nido,
        &[
            ("household_1_birth_date", "2023-08-31"),
            ("household_1_relation", "child"),
            ("household_2_birth_date", "1990-04-02"),
            ("household_2_relation", "applicant"),
            ("isee", "10000"),
        ],
    );
    assert_eq!(euros(&older), (Decision::Ineligible, 0));
    assert_eq!(
        older.failed[0].get(),
        "Nel nucleo c'è almeno un figlio sotto i 3 anni"
    );
}

#[test]
fn contributo_affitto_follows_bands_a_and_b_and_their_caps() {
    let affitto = book("contributo-affitto");
    let apply = |book: &Rulebook, isee: &'static str, ise: &'static str, rent: &'static str| {
        decide(
            book,
            &[
                ("household_1_birth_date", "1980-01-01"),
                ("isee", isee),
                ("ise", ise),
                ("rent_yearly", rent),
                ("registered_lease", "sì"),
                ("landlord_iban", "IT60 X054 2811 1010 0000 0123 456"),
            ],
        )
    };
    // Band A (ISEE 12,000 ≤ 2 × 7,844.20): 6,000 − 14% of 20,000 = 3,200, capped at 3,100.
    assert_eq!(
        euros(&apply(&affitto, "12000", "20000", "6000")),
        (Decision::Eligible, 310_000)
    );
    // Band A, under the cap: 5,000 − 14% of 30,000 (4,200) = 800.
    assert_eq!(
        euros(&apply(&affitto, "14000", "30000", "5000")),
        (Decision::Eligible, 80_000)
    );
    // With a minimum pension of 6,524.57 € the band A ceiling is 13,049.14 €, so an ISEE of
    // 14,000 € is band B: 7,000 − 24% of 20,000 (4,800) = 2,200; 8,000 − 4,800 = 3,200,
    // capped at 2,325.
    let mut lower = affitto.clone();
    lower.settings[0].value = 6524.57;
    assert_eq!(
        euros(&apply(&lower, "14000", "20000", "7000")),
        (Decision::Eligible, 220_000)
    );
    assert_eq!(
        euros(&apply(&lower, "14000", "20000", "8000")),
        (Decision::Eligible, 232_500)
    );
    // Rent below 24% of the ISE in band B: not eligible, and no amount shown.
    let refused = apply(&lower, "14000", "20000", "4000");
    assert_eq!(euros(&refused), (Decision::Ineligible, 0));
    // Percentages are rounded to the cent: 14% of 10,000.07 € is 1,400.0098 → 1,400.01 €.
    let exact = apply(&affitto, "5000", "10000,07", "2000");
    assert_eq!(euros(&exact), (Decision::Eligible, 200_000 - 140_001));
}

#[test]
fn contributo_affitto_puts_elderly_or_disabled_households_first() {
    let affitto = book("contributo-affitto");
    let with = |born: &'static str, disabled: &'static str| {
        decide(
            &affitto,
            &[
                ("household_1_birth_date", born),
                ("household_1_disabled", disabled),
                ("isee", "12000"),
                ("ise", "20000"),
                ("rent_yearly", "6000"),
                ("registered_lease", "yes"),
                ("landlord_iban", "IT60X0542811101000000123456"),
            ],
        )
        .priority
    };
    assert_eq!(with("1961-09-01", "no"), vec![1], "65 on the day");
    assert_eq!(with("1961-09-02", "no"), vec![0], "65 the day after");
    assert_eq!(with("1990-01-01", "yes"), vec![1], "disabled");
}

#[test]
fn libri_di_testo_pays_per_pupil_by_school_up_to_the_isee_ceiling() {
    let libri = book("libri-di-testo");
    let apply =
        |isee: &'static str, primary: &'static str, lower: &'static str, upper: &'static str| {
            decide(
                &libri,
                &[
                    ("isee", isee),
                    ("pupils_primary", primary),
                    ("pupils_lower_secondary", lower),
                    ("pupils_upper_secondary", upper),
                ],
            )
        };
    // 150 + 2 × 200 = 550 €, at exactly the ceiling.
    assert_eq!(
        euros(&apply("15493,71", "1", "1", "2")),
        (Decision::Eligible, 55_000)
    );
    assert_eq!(
        euros(&apply("15493,72", "1", "1", "2")),
        (Decision::Ineligible, 0)
    );
    // Only primary-school children: nothing to pay, so not eligible, and the reason says why.
    let primary = apply("9000", "2", "0", "0");
    assert_eq!(euros(&primary), (Decision::Ineligible, 0));
    assert!(primary.failed[0].get().contains("secondaria"));
}

#[test]
fn fondo_emergenza_takes_either_ceiling_and_caps_the_amount() {
    let fondo = book("fondo-emergenza");
    let apply = |members: usize, isee: &'static str, loss: &'static str| {
        let births: Vec<(String, &str)> = (1..=members)
            .map(|n| (format!("household_{n}_birth_date"), "1985-05-05"))
            .collect();
        let mut pairs: Vec<(&str, &str)> = births.iter().map(|(k, v)| (k.as_str(), *v)).collect();
        pairs.push(("isee", isee));
        pairs.push(("income_loss", loss));
        decide(&fondo, &pairs)
    };
    // 150 + 50 per member: 200 € alone, 350 € for four, 500 € for seven, capped after.
    assert_eq!(euros(&apply(1, "5000", "no")), (Decision::Eligible, 20_000));
    assert_eq!(euros(&apply(4, "6000", "no")), (Decision::Eligible, 35_000));
    assert_eq!(euros(&apply(7, "1000", "no")), (Decision::Eligible, 50_000));
    assert_eq!(euros(&apply(9, "1000", "no")), (Decision::Eligible, 50_000));
    // The second ceiling holds only with a loss of income, which an operator then checks.
    assert_eq!(euros(&apply(2, "8000", "no")), (Decision::Ineligible, 0));
    let loss = apply(2, "8000", "sì");
    assert_eq!(euros(&loss), (Decision::Review, 25_000));
    assert_eq!(
        loss.review[0].get(),
        "La perdita di reddito va verificata dall'ufficio"
    );
    assert_eq!(
        euros(&apply(2, "12000,01", "sì")),
        (Decision::Ineligible, 0)
    );
}

#[test]
fn a_disabled_adult_living_alone_is_a_household() {
    let fondo = book("fondo-emergenza");
    let alone = decide(
        &fondo,
        &[
            ("household_1_birth_date", "1970-02-02"),
            ("household_1_disabled", "yes"),
            ("isee", "4000"),
            ("income_loss", "no"),
        ],
    );
    assert_eq!(euros(&alone), (Decision::Eligible, 20_000));
}

#[test]
fn a_broken_rulebook_says_what_and_where() {
    let mut broken = book("fondo-emergenza");
    broken.eligibility[0].expr = "isee <= ".to_owned();
    broken.amount.expr = "min(eur(150), bonus)".to_owned();
    broken.priority.push(Rule {
        label: broken.priority[0].label.clone(),
        expr: "shell('rm')".to_owned(),
    });
    let problems = broken.check().expect_err("refused");
    let said: Vec<(&str, &str)> = problems
        .0
        .iter()
        .map(|p| (p.field.as_str(), p.message.as_str()))
        .collect();
    assert!(
        said.iter()
            .any(|(at, m)| *at == "eligibility[1]" && m.contains("isee <=")),
        "{said:?}"
    );
    assert!(
        said.iter()
            .any(|(at, m)| *at == "amount" && m.contains("bonus")),
        "{said:?}"
    );
    assert!(
        said.iter()
            .any(|(at, m)| *at == "priority[2]" && m.contains("shell")),
        "{said:?}"
    );

    // A name that looks like an operator is still a function that does not exist; a value
    // may use only the values before it.
    let mut odd = book("libri-di-testo");
    odd.amount.expr = "lookup_table('per_pupil', 'primary')".to_owned();
    let problems = odd.check().expect_err("no such function");
    assert!(
        problems.0[0].message.contains("lookup_table"),
        "{problems:?}"
    );
    let mut order = book("contributo-affitto");
    order.values[0].expr = "share_b / 2".to_owned();
    let problems = order.check().expect_err("a later value");
    assert_eq!(problems.0[0].field, "values[1]", "{problems:?}");
    let mut reserved = book("libri-di-testo");
    reserved.questions[0].key = "tax_code".to_owned();
    assert!(reserved.check().is_err(), "a field of the application");
    for word in ["lookup", "contains", "null"] {
        let mut reserved = book("libri-di-testo");
        reserved.questions[0].key = word.to_owned();
        assert!(
            reserved.check().is_err(),
            "{word}: a function or a word of CEL"
        );
    }

    let mut names = book("bonus-nido");
    names.questions[1].key = "household".to_owned();
    let problems = names.check().expect_err("a repeated name");
    assert_eq!(problems.0[0].field, "questions[2]");
    assert!(Rulebook::from_toml("title = 3").is_err());
    let mut italian = book("bonus-nido");
    italian.eligibility[0].label.0.remove("it");
    assert_eq!(
        italian.check().expect_err("Italian first").0[0].field,
        "eligibility[1]"
    );
}

#[test]
fn a_rule_that_cannot_be_computed_sends_the_application_to_review() {
    let mut book = book("libri-di-testo");
    book.amount.expr = "pupils_upper_secondary * lookup('per_pupil', 'university')".to_owned();
    let outcome = decide(
        &book,
        &[
            ("isee", "1000"),
            ("pupils_primary", "0"),
            ("pupils_lower_secondary", "0"),
            ("pupils_upper_secondary", "1"),
        ],
    );
    assert_eq!(outcome.decision, Decision::Review);
    assert!(
        outcome.review[0].get().contains("university"),
        "{outcome:?}"
    );
    // Overflow is an error, never a wrapped number.
    book.amount.expr = "9223372036854775807 + isee".to_owned();
    let outcome = decide(
        &book,
        &[
            ("isee", "1000"),
            ("pupils_primary", "0"),
            ("pupils_lower_secondary", "1"),
            ("pupils_upper_secondary", "0"),
        ],
    );
    assert_eq!(
        (outcome.decision, outcome.amount_cents),
        (Decision::Review, 0)
    );
}

#[test]
fn answers_are_checked_with_sentences_not_keys() {
    let affitto = book("contributo-affitto");
    let input = Input::from_strs(&[
        ("household_1_birth_date", "31/02/1980"),
        ("household_2_relation", "cousin"),
        ("household_2_birth_date", "2001-01-01"),
        ("isee", "dodicimila"),
        ("rent_yearly", "6000"),
        ("registered_lease", "forse"),
        ("landlord_iban", "IT60X0542811101000000123457"),
    ]);
    let mut problems = Problems::default();
    answer::read_all(&affitto.questions, &input, &mut problems);
    let fields: Vec<&str> = problems.0.iter().map(|p| p.field.as_str()).collect();
    assert_eq!(
        fields,
        vec![
            "household_1_birth_date",
            "household_2_relation",
            "isee",
            "ise",
            "registered_lease",
            "landlord_iban"
        ]
    );
    for problem in &problems.0 {
        assert!(!problem.message.contains("landlord_iban"), "{problem:?}");
        assert!(!problem.message.contains("rent_yearly"), "{problem:?}");
    }
}

#[test]
fn a_household_has_one_applicant() {
    let fondo = book("fondo-emergenza");
    let input = Input::from_strs(&[
        ("household_1_birth_date", "1980-01-01"),
        ("household_2_birth_date", "1981-01-01"),
        ("household_2_relation", "applicant"),
        ("isee", "1000"),
        ("income_loss", "no"),
    ]);
    let mut problems = Problems::default();
    answer::read_all(&fondo.questions, &input, &mut problems);
    assert_eq!(problems.0[0].field, "household_2_relation", "{problems:?}");
}

#[test]
fn ibans_are_checked_with_their_check_digits() {
    assert_eq!(
        answer::iban("it60 x054 2811 1010 0000 0123 456").as_deref(),
        Some("IT60X0542811101000000123456")
    );
    assert_eq!(answer::iban("IT60X0542811101000000123457"), None);
    assert_eq!(answer::iban("IT60X054281110100000012345"), None, "short");
    assert_eq!(
        answer::iban("DE89 3704 0044 0532 0130 00").as_deref(),
        Some("DE89370400440532013000")
    );
}

#[test]
fn a_rulebook_round_trips_through_toml() {
    let original = book("contributo-affitto");
    let again = Rulebook::from_toml(&original.to_toml()).expect("reads back");
    assert_eq!(again, original);
}

#[test]
fn documents_a_form_asks_for_must_fit_in_one_sending() {
    let question = |key: &str, files: u32, kb: u32| answer::Question {
        key: key.to_owned(),
        label: Text(std::collections::BTreeMap::from([(
            "it".to_owned(),
            key.to_owned(),
        )])),
        help: Text::default(),
        required: false,
        kind: answer::Kind::Attachment {
            accept: vec![trama_sdk::files::Kind::Pdf],
            max_kb: kb,
            max_files: files,
        },
    };
    let mut fits = book("fondo-emergenza");
    fits.questions.push(question("isee_doc", 1, 5 * 1024));
    fits.questions.push(question("pages", 5, 1024));
    assert!(fits.check().is_ok(), "{:?}", fits.check());
    // Two documents of 6 MiB are more than one request carries.
    let mut heavy = book("fondo-emergenza");
    heavy.questions.push(question("a", 1, 6 * 1024));
    heavy.questions.push(question("b", 1, 6 * 1024));
    let problems = heavy.check().expect_err("too heavy together");
    assert_eq!(problems.0[0].field, "questions", "{problems:?}");
    assert!(problems.0[0].message.contains("11 MB"), "{problems:?}");
    // Eleven files in all are more than the kernel takes; no type accepted is said too.
    let mut many = book("fondo-emergenza");
    for key in ["a", "b", "c"] {
        many.questions.push(question(key, 4, 100));
    }
    assert!(many.check().is_err());
    let mut none = book("fondo-emergenza");
    let mut q = question("a", 1, 100);
    if let answer::Kind::Attachment { accept, .. } = &mut q.kind {
        accept.clear();
    }
    none.questions.push(q);
    let problems = none.check().expect_err("no type");
    assert!(problems.0[0].message.contains("pdf, jpeg"), "{problems:?}");
}
