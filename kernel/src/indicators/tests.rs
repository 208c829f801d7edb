use std::collections::BTreeMap;

use serde_json::json;
use trama_manifest::{Aggregate, Indicator, IndicatorKind, Unit};

use super::*;

fn indicator(aggregate: Aggregate, group_by: Option<&str>, unit: Unit) -> Indicator {
    Indicator {
        id: "x".into(),
        title: BTreeMap::from([("it".to_owned(), "X".to_owned())]),
        kind: IndicatorKind::Output,
        event: "vouchers.voucher_issued".into(),
        aggregate,
        group_by: group_by.map(str::to_owned),
        unit,
        target: 10,
    }
}

/// 2026-11-30T23:30:00Z: already 1 December in Rome.
const LATE_NOVEMBER_UTC: i64 = 1_796_081_400_000;
const MID_NOVEMBER: i64 = LATE_NOVEMBER_UTC - 15 * 86_400_000;

#[test]
fn months_are_rome_s_and_run_to_the_current_one_with_empty_months_shown() {
    assert_eq!(month_of(LATE_NOVEMBER_UTC), "2026-12");
    assert_eq!(month_of(MID_NOVEMBER), "2026-11");
    let events = vec![(MID_NOVEMBER, json!({})), (LATE_NOVEMBER_UTC, json!({}))];
    let now = LATE_NOVEMBER_UTC + 62 * 86_400_000; // February 2027
    let series = compute(
        &indicator(Aggregate::Count, None, Unit::Households),
        &events,
        now,
    );
    assert_eq!(series.months, ["2026-11", "2026-12", "2027-01", "2027-02"]);
    assert_eq!(series.total("2026-11").value, 1);
    assert_eq!(series.total("2026-12").value, 1);
    assert_eq!(series.total("2027-01"), Cell::default());
    assert_eq!(months_between("2020-01", "2026-12").len(), MAX_MONTHS);
}

#[test]
fn sums_by_group_match_the_payloads_to_the_cent() {
    let events = vec![
        (
            MID_NOVEMBER,
            json!({ "amount_cents": 15_000, "isee_band": "0-7500" }),
        ),
        (
            MID_NOVEMBER,
            json!({ "amount_cents": 22_100, "isee_band": "0-7500" }),
        ),
        (
            MID_NOVEMBER,
            json!({ "amount_cents": 30_000, "isee_band": "7500-15000" }),
        ),
        (MID_NOVEMBER, json!({ "amount_cents": 5_000 })),
    ];
    let sum = Aggregate::Sum {
        field: "amount_cents".into(),
    };
    let series = compute(
        &indicator(sum, Some("isee_band"), Unit::Euro),
        &events,
        MID_NOVEMBER,
    );
    assert_eq!(series.groups, ["", "0-7500", "7500-15000"]);
    assert_eq!(
        series.cell("2026-11", "0-7500"),
        Cell {
            value: 37_100,
            subjects: 2
        }
    );
    assert_eq!(
        series.cell("2026-11", "").value,
        5_000,
        "no band: its own group"
    );
    assert_eq!(series.total("2026-11").value, 72_100);
    assert!(series.cell("2026-11", "0-7500").small());
}

#[test]
fn distinct_counts_read_each_item_of_an_array_once() {
    let events = vec![
        (MID_NOVEMBER, json!({ "present": ["a", "b"] })),
        (MID_NOVEMBER, json!({ "present": ["b", "c"] })),
        (MID_NOVEMBER, json!({ "present": [] })),
    ];
    let distinct = Aggregate::CountDistinct {
        field: "present".into(),
    };
    let series = compute(
        &indicator(distinct, None, Unit::People),
        &events,
        MID_NOVEMBER,
    );
    assert_eq!(series.total("2026-11").value, 3);
}

#[test]
fn improved_counts_those_whose_after_is_above_their_before_out_of_those_with_both() {
    let events = vec![
        (MID_NOVEMBER, json!({ "before": 5, "after": 7 })),
        (MID_NOVEMBER, json!({ "before": 6, "after": 6 })),
        (MID_NOVEMBER, json!({ "before": 8, "after": 6 })),
        (MID_NOVEMBER, json!({ "before": 4 })),
    ];
    let improved = Aggregate::Improved {
        before: "before".into(),
        after: "after".into(),
    };
    let series = compute(
        &indicator(improved, None, Unit::People),
        &events,
        MID_NOVEMBER,
    );
    assert_eq!(
        series.total("2026-11"),
        Cell {
            value: 1,
            subjects: 3
        }
    );
}

#[test]
fn at_least_counts_those_reaching_the_threshold_out_of_those_with_the_field() {
    let events = vec![
        (MID_NOVEMBER, json!({ "score": 5, "service": "tutoring" })),
        (MID_NOVEMBER, json!({ "score": 4, "service": "tutoring" })),
        (MID_NOVEMBER, json!({ "score": 3, "service": "tutoring" })),
        (MID_NOVEMBER, json!({ "score": 1, "service": "services" })),
        (MID_NOVEMBER, json!({ "service": "services" })),
    ];
    let satisfied = Aggregate::AtLeast {
        field: "score".into(),
        min: 4,
    };
    let series = compute(
        &indicator(satisfied, Some("service"), Unit::People),
        &events,
        MID_NOVEMBER,
    );
    assert_eq!(
        series.cell("2026-11", "tutoring"),
        Cell {
            value: 2,
            subjects: 3
        }
    );
    assert_eq!(
        series.total("2026-11"),
        Cell {
            value: 2,
            subjects: 4
        },
        "an answer without a score is no subject"
    );
}

#[test]
fn a_cell_is_small_with_one_to_four_subjects_only() {
    let cell = |subjects| Cell {
        value: 100,
        subjects,
    };
    assert!(!cell(0).small());
    assert!(cell(1).small());
    assert!(cell(4).small());
    assert!(!cell(5).small());
}

#[tokio::test]
async fn stored_events_are_read_by_instance_and_name() {
    let db = Db::memory().await.expect("db");
    let write = db.begin_owned_write().await.expect("write");
    let subscribers = crate::event_store::Subscribers::default();
    for (instance, name, cents) in [
        ("a", "vouchers.voucher_issued", 100),
        ("a", "vouchers.voucher_issued", 250),
        ("a", "vouchers.voucher_redeemed", 999),
        ("b", "vouchers.voucher_issued", 777),
    ] {
        crate::event_store::record_in(
            write.txn(),
            instance,
            "vouchers",
            None,
            &subscribers,
            vec![crate::event_store::PublishedEvent {
                name: name.into(),
                payload: json!({ "amount_cents": cents }).to_string(),
            }],
        )
        .await
        .expect("record");
    }
    write.commit().await.expect("commit");
    let sum = Aggregate::Sum {
        field: "amount_cents".into(),
    };
    let series = series(&db, "a", &indicator(sum, None, Unit::Euro))
        .await
        .expect("series");
    let month = month_of(crate::clock::now_ms());
    assert_eq!(
        series.total(&month),
        Cell {
            value: 350,
            subjects: 2
        }
    );
}
