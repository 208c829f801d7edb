//! Every applicant with an account is told the outcome of their application once, in the
//! kernel's outbox (inbox and e-mail): funded with the voucher codes and amounts, refused with
//! the reasons, not funded for lack of budget at the closing.

use crate::common;

use common::{
    ANNA, BRUNO, CARLA, DARIO, ELENA, application, apply, close_after_the_closing_day, codes_of,
    id_of, only_message, opened, winter_campaign,
};
use serde_json::json;

#[test]
fn applicants_hear_their_outcome_once_with_codes_reasons_and_the_budget() {
    let (host, operator, _, path) = opened(winter_campaign());
    let [anna, bruno, carla, dario] =
        host.accounts(["anna", "bruno", "carla", "dario"], &["citizen"]);

    // Anna is eligible (385.50 €): nothing to tell yet.
    let anna_id = id_of(&host.post(Some(&anna), &path, apply(ANNA, 3, 1, "9000", true, false)));
    assert!(host.notifications().is_empty());
    // Bruno's ISEE is above the threshold: he is told at once, with the reason.
    let bruno_app = host.post(
        Some(&bruno),
        &path,
        apply(BRUNO, 2, 0, "18000", true, false),
    );
    assert_eq!(bruno_app.body["status"], "ineligible");
    let to_bruno = only_message(
        &host,
        &bruno,
        "Domanda non ammissibile: Buoni spesa inverno",
    );
    assert!(
        to_bruno
            .body
            .contains("- ISEE 18.000,00 € sopra la soglia di 15.000,00 €"),
        "{}",
        to_bruno.body
    );
    // Carla goes to review and is rejected, with the operator's reason.
    let carla_id = id_of(&host.post(Some(&carla), &path, apply(CARLA, 2, 1, "5000", true, true)));
    let rejected = host.post(
        Some(&operator),
        &format!("/api/applications/{carla_id}/reject"),
        json!({"reason": "La perdita di reddito non è documentata."}),
    );
    assert_eq!(rejected.body["status"], "rejected", "{}", rejected.body);
    let to_carla = only_message(&host, &carla, "Domanda respinta: Buoni spesa inverno");
    assert!(
        to_carla
            .body
            .contains("Motivo: La perdita di reddito non è documentata."),
        "{}",
        to_carla.body
    );
    // Dario is eligible for 400 €, ranked after Anna: 785.50 € do not fit in 700.
    let dario_id = id_of(&host.post(
        Some(&dario),
        &path,
        apply(DARIO, 4, 0, "12000", true, false),
    ));
    // Elena has no account: nobody to write to.
    let elena = json!({"on_behalf": true, "full_name": "Elena Pellegrini", "tax_code": ELENA, "household_size": 1, "minors": 0, "isee": "20000", "resident": "sì", "income_loss": "no"});
    assert_eq!(host.post(Some(&operator), &path, elena).status, 201);

    // The closing job runs after the closing date.
    close_after_the_closing_day(&host);
    let anna_app = application(&host, &anna, &anna_id);
    assert_eq!(anna_app.body["status"], "beneficiary", "{}", anna_app.body);
    let dario_app = application(&host, &dario, &dario_id);
    assert_eq!(dario_app.body["status"], "not_funded", "{}", dario_app.body);

    let notices = host.notifications();
    let to_anna = only_message(&host, &anna, "Domanda finanziata: Buoni spesa inverno");
    let body = &to_anna.body;
    assert!(body.contains("finanziata con 385,50 €"), "{body}");
    // Every code as printed, with its amount in Italian.
    for code in codes_of(&anna_app.body) {
        let printed = format!("BS-{}-{}-{}", &code[..4], &code[4..8], &code[8..]);
        assert!(body.contains(&printed), "{printed} in {body}");
    }
    assert!(
        body.contains(": 50,00 €") && body.contains(": 0,50 €"),
        "{body}"
    );
    let to_dario = only_message(&host, &dario, "Domanda non finanziata: Buoni spesa inverno");
    assert!(
        to_dario.body.contains("il budget del bando non bastava"),
        "{}",
        to_dario.body
    );
    assert!(
        to_dario.body.contains("Posizione in graduatoria: 2."),
        "{}",
        to_dario.body
    );
    // One message each, nobody else: Bruno and Carla are not told again at the closing.
    assert_eq!(notices.len(), 4, "{notices:?}");
    assert_eq!(host.notifications_to(&bruno).len(), 1);
    assert_eq!(host.notifications_to(&carla).len(), 1);

    // The job running again (or a replayed group) does not write twice.
    host.run_job("close-campaigns").expect("again");
    assert_eq!(host.notifications().len(), 4);
}
