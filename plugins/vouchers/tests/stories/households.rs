//! One household, one award: an application held after a collision takes its household's
//! claims when the office approves it, so a third application listing the same people is held
//! in turn and cannot be approved beside it.

use crate::common;

use common::{
    ANNA, ANNA_AND_BRUNO, BRUNO, BRUNO_AND_ANNA, ELENA, ELENA_AND_ANNA, application, id_of, opened,
    rent_campaign, rent_household,
};
use serde_json::{Value as Json, json};

#[test]
fn an_approved_held_application_holds_its_household_against_a_third() {
    let (host, operator, _, path) = opened(rent_campaign(json!({})));
    // An application to the rent grant under `tax` for the household `members`.
    let file = |who, tax: &str, members: &[(&str, &str, &str)]| {
        host.post(Some(who), &path, rent_household(tax, members))
    };
    let step = |app: &str, what: &str, body: Json| {
        host.post(
            Some(&operator),
            &format!("/api/applications/{app}/{what}"),
            body,
        )
    };

    // Anna applies with her husband Bruno; Bruno applies too, and is held.
    let anna = host.account("anna", &["citizen"]);
    let first = file(&anna, ANNA, ANNA_AND_BRUNO).assert_status(201);
    let bruno = host.account("bruno", &["citizen"]);
    let second = file(&bruno, BRUNO, BRUNO_AND_ANNA).assert_status(201);
    // The office settles Anna's (rejected: she moved) and approves Bruno's.
    step(
        &id_of(&first),
        "reject",
        json!({"reason": "Residenza trasferita"}),
    )
    .assert_status(200);
    step(&id_of(&second), "approve", json!({})).assert_status(200);

    // Elena lists Anna in her household: held against Bruno's, now the household's holder,
    // and the office cannot approve it beside his.
    let elena = host.account("elena", &["citizen"]);
    let third = file(&elena, ELENA, ELENA_AND_ANNA).assert_status(201);
    let seen = application(&host, &operator, &id_of(&third));
    assert_eq!(
        seen.body["contested_by"],
        json!(id_of(&second)),
        "{}",
        seen.body
    );
    let refused = step(&id_of(&third), "approve", json!({})).assert_status(409);
    assert!(
        refused.message().contains(&id_of(&second)),
        "{}",
        refused.body
    );
}
