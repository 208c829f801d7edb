//! A campaign opens and citizens apply, through the real server: the wiring only. The
//! plugin's own rules — eligibility with its reasons, amounts, review, refusals by role — are
//! its native tests (`plugins/vouchers/tests/applications.rs`); here is what needs the kernel:
//! accounts signed up, the kernel's `/me` page gathering the plugin's items, two submissions
//! racing, and the pages rendered.

use serde_json::json;

use super::{ANNA, API, BRUNO, CARLA, DARIO, ELENA, apply};
use crate::support::VOUCHERS;
use crate::support::{Client, Server, TestInstance, add_user, login, sign_up, today_plus};

#[tokio::test(flavor = "multi_thread")]
async fn a_campaign_from_the_applications_to_the_reimbursement_of_a_merchant() {
    let applied = applications().await;
    super::redemptions::close_spend_and_reimburse(applied).await;
}

/// The campaign, once its applications are in: who the rest of the story needs.
pub(super) struct Applied {
    pub(super) instance: TestInstance,
    pub(super) server: Server,
    pub(super) operator: Client,
    pub(super) anna: Client,
    /// The campaign.
    pub(super) id: String,
    pub(super) anna_id: String,
}

/// The operator opens a campaign; Anna, Bruno, Carla, Elena and Dario apply.
async fn applications() -> Applied {
    let instance = TestInstance::new("vouchers", VOUCHERS);
    add_user(&instance, "operatrice", "operator");
    add_user(&instance, "bottega", "merchant");
    let server = Server::start(&[instance.path()]);
    let operator = login(&server, "operatrice").await;
    let anna = sign_up(&server, "anna", "Anna Rossi").await;

    let (status, campaign) = API
        .post(
            &operator,
            &server,
            "/api/campaigns",
            winter_campaign(json!({
            "title": "Buoni spesa inverno",
            "measure": "food",
            "opens_on": today_plus(-1),
            "closes_on": today_plus(10),
            "budget": "700,00",
            })),
        )
        .await;
    assert_eq!(status, 201, "{campaign}");
    let id = campaign["id"].as_str().expect("id").to_owned();

    let path = format!("/api/campaigns/{id}/applications");

    // Anna: eligible, 350 + 35.50 = 385.50 €.
    let (status, anna_app) = API
        .post(
            &anna,
            &server,
            &path,
            apply(ANNA, 3, 1, "9.000,00", true, false),
        )
        .await;
    assert_eq!(status, 201, "{anna_app}");
    assert_eq!(anna_app["status"], "eligible");
    assert_eq!(anna_app["amount_cents"], 38_550);

    // Bruno: ineligible, with the reason in plain words.
    let bruno = sign_up(&server, "bruno", "Bruno Verdi").await;
    let (status, bruno_app) = API
        .post(
            &bruno,
            &server,
            &path,
            apply(BRUNO, 2, 0, "18.000,00", true, false),
        )
        .await;
    assert_eq!(status, 201, "{bruno_app}");
    assert_eq!(bruno_app["status"], "ineligible");

    // Carla: lost her income, so her application goes to review: 250 + 35.50 = 285.50 €.
    let carla = sign_up(&server, "carla", "Carla Bianchi").await;
    let (status, carla_app) = API
        .post(
            &carla,
            &server,
            &path,
            apply(CARLA, 2, 1, "5000", true, true),
        )
        .await;
    assert_eq!(status, 201, "{carla_app}");
    assert_eq!(carla_app["status"], "needs_review");
    let carla_id = carla_app["id"].as_str().expect("id").to_owned();

    // The operator asks, Carla answers, the operator approves.
    let (status, asked) = API
        .post(
            &operator,
            &server,
            &format!("/api/applications/{carla_id}/request-info"),
            json!({"question": "Può allegare la lettera di licenziamento?"}),
        )
        .await;
    assert_eq!((status, &asked["status"]), (200, &json!("info_requested")));
    // The kernel's "my applications and bookings" page gathers it from the plugin.
    let (status, me) = carla.get_json(&server, "/me").await;
    assert_eq!(status, 200, "{me}");
    let vouchers_section = &me["services"][0];
    assert_eq!(vouchers_section["plugin"], "vouchers", "{me}");
    assert_eq!(
        vouchers_section["items"].as_array().map(Vec::len),
        Some(1),
        "{me}"
    );
    let item_href = vouchers_section["items"][0]["href"]
        .as_str()
        .unwrap_or_default();
    assert!(item_href.starts_with("/p/vouchers/applications/"), "{me}");
    // The page shows the services where she has something; someone with nothing anywhere is
    // told so once, not under an empty heading per service.
    let (status, page) = carla.page(&server, "/me").await;
    assert_eq!(status, 200, "{page}");
    assert!(
        page.contains("<h2 id=\"svc-vouchers\">") && page.contains(item_href),
        "{page}"
    );
    let (status, page) = operator.page(&server, "/me").await;
    assert_eq!(status, 200, "{page}");
    assert!(
        !page.contains("<h2 id=\"svc-") && page.contains("Non hai ancora domande né prenotazioni"),
        "{page}"
    );
    let (status, page) = carla.page(&server, "/me").await;
    assert_eq!(status, 200);
    assert!(
        page.contains("Le mie domande e prenotazioni") && page.contains(item_href),
        "{page}"
    );
    let (status, answered) = API
        .post(
            &carla,
            &server,
            &format!("/api/applications/{carla_id}/answer"),
            json!({"answer": "Sì, la porto in Comune domani."}),
        )
        .await;
    assert_eq!((status, &answered["status"]), (200, &json!("needs_review")));
    let (status, approved) = API
        .post(
            &operator,
            &server,
            &format!("/api/applications/{carla_id}/approve"),
            json!({}),
        )
        .await;
    assert_eq!((status, &approved["status"]), (200, &json!("eligible")));
    // Elena has no account: the operator files for her (150 €, eligible, ranked last).
    let (status, elena_app) = API.post(
        &operator,
        &server,
        &path,
        json!({"on_behalf": true, "full_name": "Elena Pellegrini", "tax_code": ELENA, "household_size": 1, "minors": 0, "isee": "12000", "resident": "sì", "income_loss": "no"}),
    )
    .await;
    assert_eq!(status, 201, "{elena_app}");
    assert_eq!(elena_app["on_behalf"], true);
    assert_eq!(elena_app["filed_by"], "operatrice");
    // Two simultaneous submissions for Dario: exactly one gets through.
    let dario = json!({"on_behalf": true, "full_name": "Dario Marino", "tax_code": DARIO, "household_size": 1, "minors": 0, "isee": "1000", "resident": "no", "income_loss": "no"});
    let (first, second) = tokio::join!(
        API.post(&operator, &server, &path, dario.clone()),
        API.post(&operator, &server, &path, dario.clone())
    );
    let mut statuses = [first.0, second.0];
    statuses.sort_unstable();
    assert_eq!(statuses, [201, 409], "{} / {}", first.1, second.1);

    // The application page renders for its citizen and not for others.
    let anna_id = anna_app["id"].as_str().expect("id").to_owned();
    let (status, page) = anna
        .page(&server, &format!("/p/vouchers/applications/{anna_id}"))
        .await;
    assert_eq!(status, 200);
    assert!(page.contains("Buoni spesa inverno"), "{page}");
    let (status, _) = bruno
        .page(&server, &format!("/p/vouchers/applications/{anna_id}"))
        .await;
    assert_eq!(status, 404);
    let (status, page) = operator
        .page(&server, &format!("/p/vouchers/campaigns/{id}"))
        .await;
    assert_eq!(status, 200);
    assert!(
        page.contains("Elena Pellegrini") && page.contains("Dario Marino"),
        "{page}"
    );
    Applied {
        instance,
        server,
        operator,
        anna,
        id,
        anna_id,
    }
}

/// The vouchers plugin's standard winter notice (its questions, amounts and rules, from the
/// plugin's own test fixture) with `head`: title, measure, dates and budget.
fn winter_campaign(mut head: serde_json::Value) -> serde_json::Value {
    let rules: serde_json::Map<String, serde_json::Value> = serde_json::from_str(include_str!(
        "../../../plugins/vouchers/tests/fixtures/winter-rules.json"
    ))
    .expect("winter-rules.json");
    head.as_object_mut().expect("a JSON object").extend(rules);
    head
}
