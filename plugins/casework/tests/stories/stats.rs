//! The statistics narrowed to a period of Rome's months and to a care team: cases by the month
//! they were opened, referrals by the month they were made, each narrowed count still shown
//! `< 5` from 1 to 4; a period or team that is not one is refused saying what is wrong.

use serde_json::{Value as Json, json};

use crate::common;

use common::{brief_intake, host, open};

/// Valid codici fiscali, one a person.
fn code(n: u8) -> String {
    const CHECK: &str = "UZBDHJLNPWVACEI";
    let check = CHECK.chars().nth(usize::from(n - 1)).unwrap_or('U');
    format!("RSSMRA80A{n:02}H501{check}")
}

fn count(stats: &Json, table: &str, label: &str) -> Json {
    stats[table]
        .as_array()
        .and_then(|rows| rows.iter().find(|r| r["label"] == label))
        .map(|r| r["count"].clone())
        .unwrap_or(Json::Null)
}

#[test]
fn statistics_by_period_and_team_count_rome_months_and_still_hide_small_counts() {
    let host = host();
    let carla = host.account("carla", &["care_manager"]);
    let nora = host.account("nora", &["supervisor"]);
    let mut n = 0;
    let mut next = || {
        n += 1;
        code(n)
    };
    // November: five cases of Nord, each referred to an outside body; the last is opened at
    // 23:30 on 30 November in Rome (22:30 UTC), still November.
    host.set_time("2026-11-10T10:00:00+01:00");
    let mut november = Vec::new();
    for i in 0..5 {
        if i == 4 {
            host.set_time("2026-11-30T23:30:00+01:00");
        }
        november.push(open(&host, &carla, brief_intake(&next(), "Nord")));
    }
    for case in &november {
        host.post(
            Some(&carla),
            &format!("/api/cases/{case}/referrals"),
            json!({ "service": "outside", "name": "Caritas", "reason": "Vestiti" }),
        )
        .assert_status(201);
    }
    // December in Rome from 00:30 on the 1st (23:30 UTC on 30 November): six of Sud, two of
    // Nord.
    host.set_time("2026-12-01T00:30:00+01:00");
    for _ in 0..6 {
        open(&host, &carla, brief_intake(&next(), "Sud"));
    }
    for _ in 0..2 {
        open(&host, &carla, brief_intake(&next(), "Nord"));
    }

    let stats = |query: &str| {
        host.get(Some(&nora), &format!("/api/stats{query}"))
            .assert_status(200)
            .body
    };
    let all = stats("");
    assert_eq!(all["open"], "13");
    assert_eq!(
        all["scope"],
        json!({ "from": null, "to": null, "team": null })
    );
    assert_eq!(stats("?team=Sud")["open"], "6");
    assert_eq!(stats("?to=2026-11")["open"], "5");
    assert_eq!(stats("?from=2026-12&to=2026-12")["open"], "8");
    assert_eq!(count(&stats("?from=2026-12"), "by_need", "Casa"), "8");
    // Narrowed to two cases: shown as `< 5`, never as 2.
    let few = stats("?from=2026-12&team=Nord");
    assert_eq!(few["open"], "< 5");
    assert_eq!(count(&few, "by_need", "Casa"), "< 5");
    assert_eq!(stats("?from=2027-01")["open"], "0");
    // Empty values are "any", as the form sends them.
    assert_eq!(stats("?from=&to=&team=")["open"], "13");

    // Referrals: five made in November for Nord, none in December, none for Sud.
    let outside_referred = |stats: &Json| {
        let services = stats["services"]["services"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        let column = services
            .iter()
            .position(|s| s == "Ente esterno")
            .unwrap_or(0);
        stats["services"]["referrals"]
            .as_array()
            .and_then(|rows| rows.iter().find(|r| r["label"] == "inviata"))
            .map(|r| r["counts"][column].clone())
            .unwrap_or(Json::Null)
    };
    assert_eq!(outside_referred(&all), "5");
    assert_eq!(outside_referred(&stats("?to=2026-11&team=Nord")), "5");
    assert_eq!(outside_referred(&stats("?from=2026-12")), "0");
    assert_eq!(outside_referred(&stats("?team=Sud")), "0");

    // The page shows the filter with what was asked.
    let page = host
        .page(Some(&nora), "/stats?from=2026-12&team=Sud")
        .assert_status(200);
    assert_eq!(
        page.body["filter"],
        json!({ "from": "2026-12", "to": "", "team": "Sud" })
    );
    assert_eq!(page.body["stats"]["open"], "6");
    assert_eq!(page.body["teams"], json!(["Nord", "Sud"]));
}

#[test]
fn a_period_or_team_that_is_not_one_is_refused_saying_what_is_wrong() {
    let host = host();
    let nora = host.account("nora", &["supervisor"]);
    let refused = |query: &str| {
        let answer = host.get(Some(&nora), &format!("/api/stats{query}"));
        assert_eq!(answer.status, 422, "{query}: {}", answer.body);
        answer.body["error"]["message"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    };
    assert_eq!(
        refused("?from=2026-13"),
        "Dal mese: «2026-13» non è un mese; scrivilo come AAAA-MM, per esempio 2026-03"
    );
    assert!(refused("?to=dicembre").starts_with("Al mese: «dicembre»"));
    assert_eq!(
        refused("?from=2026-12&to=2026-01"),
        "il mese iniziale viene dopo quello finale: scambiali"
    );
    assert_eq!(
        refused("?team=Est"),
        "«Est» non è una delle équipe: scegline una dall'elenco"
    );
    // Only supervisors and administrators see statistics at all.
    let carla = host.account("carla", &["care_manager"]);
    assert_eq!(host.get(Some(&carla), "/api/stats?team=Nord").status, 403);
}
