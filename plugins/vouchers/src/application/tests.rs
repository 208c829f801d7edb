//! Tests of applications: reading a submission, the automatic checks and the review steps.

use super::*;
use crate::campaign::{self, Draft};
use trama_sdk::i18n::Lang;
use trama_sdk::input::Input;

fn campaign() -> Campaign {
    let pairs = [
        ("title", "Buoni spesa"),
        ("measure", "food"),
        ("opens_on", "2025-01-01"),
        ("closes_on", "2025-01-31"),
        ("budget", "1000"),
        ("fields", "household_size"),
        ("fields", "minors"),
        ("fields", "isee"),
        ("fields", "income_loss"),
        ("isee_max", "15000"),
        ("base_amounts", "150; 250; 350; 400"),
        ("per_minor", "50"),
        ("review_rules", "income_loss = yes"),
    ];
    let draft: Draft = campaign::validate(&Input::from_strs(&pairs), &[]).unwrap();
    draft.into_campaign(0, "op".into())
}

fn answers(isee_euros: i64, income_loss: bool) -> Answers {
    Answers {
        household_size: Some(3),
        minors: Some(1),
        isee_cents: Some(isee_euros * 100),
        income_loss: Some(income_loss),
        ..Answers::default()
    }
}

#[test]
fn automatic_checks_decide_eligible_ineligible_or_review() {
    let c = campaign();
    assert_eq!(
        assess(&c, &answers(9_000, false), &[]).status,
        Status::Eligible
    );
    let review = assess(&c, &answers(9_000, true), &[]);
    assert_eq!(review.status, Status::NeedsReview);
    assert_eq!(review.review_rules.len(), 1);
    let out = assess(&c, &answers(18_000, true), &[]);
    assert_eq!(
        out.status,
        Status::Ineligible,
        "a broken rule wins over review"
    );
    assert_eq!(
        out.reasons[0].describe(Lang::It),
        "ISEE 18.000,00 € sopra la soglia di 15.000,00 €"
    );
    let twice = assess(
        &c,
        &answers(9_000, false),
        &[("c1".into(), "Affitti".into())],
    );
    assert_eq!(twice.status, Status::Ineligible);
    assert_eq!(
        twice.reasons[0].describe(Lang::It),
        "già beneficiario della misura «Affitti»"
    );
}

fn application(status: Status) -> Application {
    Application {
        answers: answers(9_000, true),
        ..Application::example(status)
    }
}

#[test]
fn the_review_moves_through_its_states_and_keeps_a_history() {
    let app = application(Status::NeedsReview);
    let asked = apply(
        &app,
        &Action::RequestInfo("ISEE aggiornato?".into()),
        "op",
        5,
    )
    .unwrap();
    assert_eq!(asked.status, Status::InfoRequested);
    assert_eq!(asked.question.as_deref(), Some("ISEE aggiornato?"));
    let answered = apply(&asked, &Action::Answer("Allegato".into()), "mario", 6).unwrap();
    assert_eq!(answered.status, Status::NeedsReview);
    let approved = apply(&answered, &Action::Approve, "op", 7).unwrap();
    assert_eq!(approved.status, Status::Eligible);
    let steps: Vec<&str> = approved.history.iter().map(|s| s.action.as_str()).collect();
    assert_eq!(steps, vec!["info_requested", "answered", "approved"]);
    let rejected = apply(&app, &Action::Reject("Documenti falsi".into()), "op", 8).unwrap();
    assert_eq!(rejected.rejection.as_deref(), Some("Documenti falsi"));
}

#[test]
fn steps_out_of_order_are_refused() {
    let eligible = application(Status::Eligible);
    assert_eq!(
        apply(&eligible, &Action::Approve, "op", 1)
            .unwrap_err()
            .status(),
        409
    );
    assert!(apply(&eligible, &Action::Answer("x".into()), "u", 1).is_err());
    let funded = application(Status::Beneficiary);
    assert!(apply(&funded, &Action::Reject("x".into()), "op", 1).is_err());
}

#[test]
fn texts_must_not_be_empty_or_huge() {
    assert_eq!(check_text("reason", Some("  ok "),), Ok("ok".into()));
    assert!(check_text("reason", Some("   ")).is_err());
    assert!(check_text("reason", None).is_err());
    let long = check_text("reason", Some(&"x".repeat(MAX_TEXT + 1))).unwrap_err();
    assert_eq!(
        long.for_field("reason"),
        Some("scrivi un testo da 1 a 2000 caratteri (ne ha 2001)")
    );
}

#[test]
fn the_outcome_is_written_in_the_recipients_language_with_its_formatting() {
    use crate::application::IssuedVoucher;
    use trama_sdk::i18n;

    let mut funded = application(Status::Beneficiary);
    funded.vouchers = vec![
        IssuedVoucher {
            code: "K3JX7PQ2MZ4A".into(),
            amount_cents: 123_450,
            valid: Default::default(),
        },
        IssuedVoucher {
            code: "B8C9D0E1F2G3".into(),
            amount_cents: 50,
            valid: Default::default(),
        },
    ];
    i18n::set_locale("en");
    let (subject, body) =
        crate::notice::outcome_message(&funded, "Winter food", "BS").expect("an outcome");
    assert_eq!(subject, "Application funded: Winter food");
    assert!(body.contains("funded with €1,235.00"), "{body}");
    assert!(body.contains("- BS-K3JX-7PQ2-MZ4A: €1,234.50"), "{body}");
    i18n::set_locale("de");
    let (subject, body) =
        crate::notice::outcome_message(&funded, "Winter", "").expect("an outcome");
    assert_eq!(subject, "Antrag bewilligt: Winter");
    assert!(body.contains("1.235,00 €"), "{body}");
    // Nothing to tell while the application waits.
    assert!(crate::notice::outcome_message(&application(Status::NeedsReview), "x", "").is_none());
    i18n::set_locale("it");
    let mut rejected = application(Status::Rejected);
    rejected.rejection = Some("Documenti mancanti".into());
    let (_, body) = crate::notice::outcome_message(&rejected, "Affitti", "").expect("an outcome");
    assert!(body.contains("Motivo: Documenti mancanti"), "{body}");
}
