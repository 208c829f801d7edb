//! Tests of redemptions: reading requests and recovering pending ones.

use super::*;
use trama_sdk::i18n::set_locale;
use trama_sdk::input::Input;

#[test]
fn a_request_reads_code_amount_and_request_id() {
    let input = Input::from_pairs(&[
        ("code".into(), "bs-abcd-efgh-jkmn".into()),
        ("amount".into(), "12,50".into()),
        ("request_id".into(), "0123456789abcdef".into()),
    ]);
    assert_eq!(
        read(&input),
        Ok(Request {
            code: "ABCDEFGHJKMN".into(),
            amount_cents: 1250,
            request_id: "0123456789abcdef".into(),
        })
    );
    set_locale("en");
    let problems = read(&Input::default()).unwrap_err();
    let fields: Vec<&str> = problems.0.iter().map(|p| p.field.as_str()).collect();
    assert_eq!(fields, vec!["code", "amount", "request_id"]);
    assert_eq!(problems.for_field("code"), Some("write the voucher's code"));
    set_locale("it");
}

fn pending(at: i64) -> Redemption {
    Redemption {
        code: "ABCDEFGHJKMN".into(),
        merchant: "m1".into(),
        campaign: "c1".into(),
        application: "c1-RSSMRA85T10A562S".into(),
        amount_cents: 1250,
        remaining_cents: 0,
        transfer_id: String::new(),
        request_id: "req-1".into(),
        at,
        by: "cassa".into(),
        status: RedemptionStatus::Pending,
        transfer_key: transfer_key("m1", "req-1"),
        attempted_at: at,
    }
}

fn transfer(id: &str, from: &str, cents: i64, key: &str) -> ledger::Transfer {
    ledger::Transfer {
        id: id.into(),
        from: from.into(),
        to: "merchant/m1/owed".into(),
        amount_cents: cents,
        memo: String::new(),
        idempotency_key: key.into(),
        at: 0,
    }
}

#[test]
fn documents_written_before_the_status_read_as_done_with_their_key() {
    let old = serde_json::json!({
        "code": "ABCDEFGHJKMN", "merchant": "m1", "campaign": "c1",
        "application": "a1", "amount_cents": 500, "remaining_cents": 4500,
        "transfer_id": "t1", "request_id": "req-9", "at": 10, "by": "cassa",
    });
    let doc: Redemption = serde_json::from_value(old).expect("an old document");
    assert_eq!(doc.status, RedemptionStatus::Done);
    assert_eq!(doc.key(), "redeem/m1/req-9");
    assert!(
        !doc.is_stale(i64::MAX, 0),
        "a done redemption is never recovered"
    );
}

#[test]
fn statuses_are_stored_lowercase_and_shown_in_both_languages() {
    let stored = serde_json::to_value(pending(0)).expect("JSON");
    assert_eq!(stored["status"], "pending");
    assert_eq!(stored["transfer_key"], "redeem/m1/req-1");
    assert_eq!(RedemptionStatus::Pending.label(), "in corso");
    assert_eq!(RedemptionStatus::Void.label(), "annullata");
    set_locale("en");
    assert_eq!(RedemptionStatus::Void.label(), "cancelled");
    set_locale("de");
    assert_eq!(RedemptionStatus::Void.label(), "storniert");
    set_locale("it");
    for status in [
        RedemptionStatus::Pending,
        RedemptionStatus::Done,
        RedemptionStatus::Void,
    ] {
        assert_eq!(serde_json::to_value(status).ok(), Some(status.key().into()));
    }
}

#[test]
fn a_pending_redemption_is_recovered_only_after_the_grace_period_since_its_last_attempt() {
    let mut doc = pending(1_000);
    assert!(!doc.is_stale(1_000 + 59_999, 60_000));
    assert!(doc.is_stale(1_000 + 60_000, 60_000));
    // A retry touched it: the grace period starts again.
    doc.attempted_at = 50_000;
    assert!(!doc.is_stale(61_000, 60_000));
    assert!(doc.is_stale(110_000, 60_000));
    doc.status = RedemptionStatus::Void;
    assert!(!doc.is_stale(i64::MAX, 60_000), "void is final");
}

#[test]
fn the_transfer_of_a_redemption_is_the_one_under_its_key_from_its_voucher() {
    let doc = pending(0);
    let history = [
        transfer(
            "issue",
            "campaign/c1/budget",
            5_000,
            "issue/c1/RSSMRA85T10A562S/0",
        ),
        transfer("other", "voucher/ABCDEFGHJKMN", 1250, "redeem/m1/req-2"),
        transfer("mine", "voucher/ABCDEFGHJKMN", 1250, "redeem/m1/req-1"),
    ];
    assert_eq!(
        doc.find_transfer(&history).map(|t| t.id.as_str()),
        Some("mine")
    );
    assert_eq!(doc.find_transfer(&history[..2]), None, "no transfer: void");
    // The key alone is not enough: another amount or voucher is another operation.
    let odd = [
        transfer("x", "voucher/ABCDEFGHJKMN", 999, "redeem/m1/req-1"),
        transfer("y", "voucher/OTHERCODE234", 1250, "redeem/m1/req-1"),
    ];
    assert_eq!(doc.find_transfer(&odd), None);
}

#[test]
fn completing_records_the_transfer_and_what_is_left() {
    let done = pending(0).completed("t-7", 1250, 3750);
    assert_eq!(done.status, RedemptionStatus::Done);
    assert_eq!(
        (
            done.transfer_id.as_str(),
            done.amount_cents,
            done.remaining_cents
        ),
        ("t-7", 1250, 3750)
    );
    let retry = Request {
        code: "ABCDEFGHJKMN".into(),
        amount_cents: 1250,
        request_id: "req-1".into(),
    };
    assert!(done.same_request(&retry));
    assert!(!done.same_request(&Request {
        amount_cents: 1300,
        ..retry
    }));
}
