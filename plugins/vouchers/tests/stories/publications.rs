//! What vouchers tells casework (src/publish.rs): each version of a notice with its simple
//! rules, and each application filed and decided — refused at once or at review, funded or not
//! at the closing — naming the applicant by the person key of the tax code, never the code.

use crate::common;

use std::collections::HashMap;

use common::{
    ANNA, BRUNO, CARLA, DARIO, ELENA, apply, close_after_the_closing_day, id_of, opened,
    winter_campaign,
};
use serde_json::json;
use trama_contracts::person;

#[test]
fn notices_filings_and_decisions_are_published_with_a_key_never_the_tax_code() {
    let (host, operator, campaign, path) = opened(winter_campaign());
    let [anna, bruno, carla, dario] =
        host.accounts(["anna", "bruno", "carla", "dario"], &["citizen"]);
    let anna_id = id_of(&host.post(Some(&anna), &path, apply(ANNA, 3, 1, "9000", true, false)));
    let bruno_id = id_of(&host.post(
        Some(&bruno),
        &path,
        apply(BRUNO, 2, 0, "18000", true, false),
    ));
    let carla_id = id_of(&host.post(Some(&carla), &path, apply(CARLA, 2, 1, "5000", true, true)));
    host.post(
        Some(&operator),
        &format!("/api/applications/{carla_id}/reject"),
        json!({"reason": "La perdita di reddito non è documentata."}),
    )
    .assert_status(200);
    let dario_id = id_of(&host.post(
        Some(&dario),
        &path,
        apply(DARIO, 4, 0, "12000", true, false),
    ));
    let elena = json!({"on_behalf": true, "full_name": "Elena Pellegrini", "tax_code": ELENA, "household_size": 1, "minors": 0, "isee": "20000", "resident": "sì", "income_loss": "no"});
    let elena_id = id_of(&host.post(Some(&operator), &path, elena));
    close_after_the_closing_day(&host);
    host.run_job("close-campaigns").expect("again");

    let published = host.published();
    for event in &published {
        let text = event.payload.to_string();
        for code in [ANNA, BRUNO, CARLA, DARIO, ELENA] {
            assert!(
                !text.contains(code),
                "{} carries a tax code: {text}",
                event.name
            );
        }
    }
    let notice = published
        .iter()
        .find(|e| e.name == "vouchers.campaign_published")
        .expect("the notice");
    assert_eq!(notice.payload["campaign_id"], campaign);
    assert_eq!(notice.payload["notice_version"], 1);
    assert_eq!(notice.payload["title"], "Buoni spesa inverno");
    assert_eq!(notice.payload["isee_max_cents"], 1_500_000);
    assert_eq!(notice.payload["residence_required"], true);
    assert_eq!(notice.payload["withdrawn"], false);

    let filed: Vec<(&str, &str)> = published
        .iter()
        .filter(|e| e.name == "vouchers.application_submitted")
        .map(|e| {
            (
                e.payload["application_id"].as_str().unwrap_or_default(),
                e.payload["person"].as_str().unwrap_or_default(),
            )
        })
        .collect();
    let expected_keys = [
        (anna_id.as_str(), ANNA),
        (bruno_id.as_str(), BRUNO),
        (carla_id.as_str(), CARLA),
        (dario_id.as_str(), DARIO),
        (elena_id.as_str(), ELENA),
    ];
    let keys: Vec<(&str, String)> = expected_keys
        .iter()
        .map(|(id, code)| (*id, person::key(code)))
        .collect();
    assert_eq!(
        filed,
        keys.iter()
            .map(|(id, k)| (*id, k.as_str()))
            .collect::<Vec<_>>()
    );

    // One decision each, at its time: refused at once (Bruno, Elena) or at review (Carla),
    // funded (Anna) or not (Dario) at the closing, which publishes nothing more when run again.
    let mut decided: HashMap<String, Vec<String>> = HashMap::new();
    for e in published
        .iter()
        .filter(|e| e.name == "vouchers.application_decided")
    {
        decided
            .entry(
                e.payload["application_id"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned(),
            )
            .or_default()
            .push(
                e.payload["decision"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned(),
            );
    }
    let expect = |id: &str, decision: &str| {
        assert_eq!(
            decided.get(id).cloned().unwrap_or_default(),
            [decision],
            "{id}: {decided:?}"
        );
    };
    expect(&anna_id, "granted");
    expect(&bruno_id, "refused");
    expect(&carla_id, "refused");
    expect(&dario_id, "not_funded");
    expect(&elena_id, "refused");
    assert_eq!(decided.len(), 5);
}
