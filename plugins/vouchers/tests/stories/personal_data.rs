//! "Download my data" and erasure (`/api/personal-data`, called by the kernel as the person):
//! a person's export holds their applications, vouchers and shop and nobody else's; an erasure
//! deletes what no rule keeps, keeps funded applications, vouchers and the shop without the
//! person, leaves every amount, count and balance as it was, and a second one does nothing.

use crate::common;

use common::{
    ANNA, CARLA, ELENA, amounts, application, applications, apply, claimed_shop, close, codes_of,
    create, csv, id_of, opened, winter_campaign,
};
use serde_json::{Value as Json, json};

const DATA: &str = "/api/personal-data";

#[test]
fn a_person_downloads_their_records_and_an_erasure_keeps_only_what_the_accounts_need() {
    // Winter: Anna and Carla are funded, Elena (filed by the operator) is not.
    let (host, operator, winter, path) = opened(winter_campaign());
    let [anna, carla] = host.accounts(["anna", "carla"], &["citizen"]);
    let shopkeeper = host.account("bottega", &["merchant"]);
    let anna_app = host.post(Some(&anna), &path, apply(ANNA, 3, 1, "9000", true, false));
    assert_eq!(anna_app.body["status"], "eligible", "{}", anna_app.body);
    let anna_id = id_of(&anna_app);
    let carla_id = id_of(&host.post(Some(&carla), &path, apply(CARLA, 2, 1, "5000", true, false)));
    let elena = json!({"on_behalf": true, "full_name": "Elena Pellegrini", "tax_code": ELENA, "household_size": 1, "minors": 0, "isee": "12000", "resident": "sì", "income_loss": "no"});
    assert_eq!(host.post(Some(&operator), &path, elena).status, 201);
    let closed = close(&host, &operator, &winter);
    assert_eq!(closed.body["close"]["funded"], 2, "{}", closed.body);

    // Spring is open: the operator files for Anna, who is found by her tax code.
    let mut spring = winter_campaign();
    spring["title"] = json!("Buoni spesa primavera");
    let spring = create(&host, &operator, spring);
    let for_anna = json!({"on_behalf": true, "full_name": "Anna Rossi", "tax_code": ANNA, "household_size": 1, "minors": 0, "isee": "8000", "resident": "sì", "income_loss": "no"});
    host.post(Some(&operator), &applications(&spring), for_anna)
        .assert_status(201);

    // A shop, claimed by its shopkeeper, takes 20 € of one of Anna's vouchers.
    let shop_id = id_of(&claimed_shop(&host, &operator, &shopkeeper));
    let anna_view = application(&host, &anna, &anna_id);
    let anna_codes = codes_of(&anna_view.body);
    host.post(
        Some(&shopkeeper),
        "/api/redeem",
        json!({"code": anna_codes[0], "amount": "20", "request_id": "req-0000000001"}),
    )
    .assert_status(201);

    // Without a certified fiscal number the office's application for Anna is not hers to
    // download: a tax code she typed proves nothing.
    let typed_only = host.get(Some(&anna), DATA);
    assert_eq!(
        typed_only.body["applications"].as_array().map(Vec::len),
        Some(1),
        "{}",
        typed_only.body
    );
    // Logged in with SPID: Anna's download has both applications, her eleven vouchers with
    // what is left; nobody else.
    host.bind_fiscal_number(&anna, ANNA);
    let export = host.get(Some(&anna), DATA).assert_status(200);
    let ids: Vec<&str> = export.body["applications"]
        .as_array()
        .expect("applications")
        .iter()
        .filter_map(|a| a["id"].as_str())
        .collect();
    assert_eq!(ids.len(), 2, "{}", export.body);
    assert!(ids.contains(&anna_id.as_str()), "{}", export.body);
    let vouchers = export.body["vouchers"].as_array().expect("vouchers");
    assert_eq!(vouchers.len(), 11);
    let first = vouchers
        .iter()
        .find(|v| v["code"] == anna_codes[0])
        .expect("the voucher she spent");
    assert_eq!(first["balance_cents"], 3_000);
    let text = export.body.to_string();
    assert!(!text.contains(CARLA) && !text.contains(ELENA), "{text}");
    assert_eq!(export.body["merchants"], json!([]));
    // The shopkeeper's: the shop and the redemption they registered, no applications.
    let shop_export = host.get(Some(&shopkeeper), DATA);
    assert_eq!(shop_export.body["applications"], json!([]));
    assert_eq!(shop_export.body["merchants"][0]["id"], shop_id.as_str());
    assert_eq!(
        shop_export.body["redemptions"].as_array().map(Vec::len),
        Some(1)
    );
    // Only the person asks for their own: without an account there is nothing to ask.
    assert_eq!(host.get(None, DATA).status, 401);

    let before = host.get(Some(&operator), "/api/dashboard").body;

    // Anna is erased: the funded application and its 11 vouchers pseudonymised, the pending
    // one deleted.
    let erased = host.delete(Some(&anna), DATA).assert_status(200);
    assert_eq!(erased.body["erased"], 13, "{}", erased.body);
    let kept: Vec<&str> = erased.body["kept"]
        .as_array()
        .expect("kept")
        .iter()
        .filter_map(|k| k["what"].as_str())
        .collect();
    assert_eq!(
        kept,
        ["domande finanziate", "buoni emessi"],
        "{}",
        erased.body
    );
    assert!(
        erased.body["kept"][0]["why"]
            .as_str()
            .is_some_and(|why| why.contains("10 anni")),
        "{}",
        erased.body
    );

    // What is kept has no name, tax code or account, and the same amounts, rank and vouchers.
    let kept_app = application(&host, &operator, &anna_id).assert_status(200);
    assert_eq!(kept_app.body["full_name"], "cancellato");
    assert_eq!(kept_app.body["tax_code"], "cancellato");
    assert_eq!(kept_app.body["status"], "beneficiary");
    assert_eq!(kept_app.body["rank"], 2);
    assert_eq!(kept_app.body["amount_cents"], 38_550);
    assert_eq!(codes_of(&kept_app.body), anna_codes);
    assert_eq!(amounts(&kept_app.body), amounts(&anna_view.body));
    let balance = |code: &str| {
        host.get(Some(&shopkeeper), &format!("/api/vouchers/{code}"))
            .body["balance_cents"]
            .clone()
    };
    assert_eq!(balance(&anna_codes[0]), 3_000);
    assert_eq!(balance(&anna_codes[1]), 5_000);
    // The pending application is gone, and so is its count; the money did not move.
    let spring_list = host.get(Some(&operator), &applications(&spring));
    assert_eq!(spring_list.body, json!([]));
    let after = host.get(Some(&operator), "/api/dashboard").body;
    let campaign = |board: &Json, id: &str| {
        board["campaigns"]
            .as_array()
            .and_then(|list| list.iter().find(|c| c["id"] == id).cloned())
            .unwrap_or_else(|| panic!("campaign {id} in {board}"))
    };
    for field in ["budget", "issued", "spent", "outstanding", "remaining"] {
        assert_eq!(
            campaign(&after, &winter)[field],
            campaign(&before, &winter)[field],
            "{field}"
        );
    }
    assert_eq!(campaign(&after, &winter)["applications"], 3);
    assert_eq!(campaign(&before, &spring)["applications"], 1);
    assert_eq!(campaign(&after, &spring)["applications"], 0);
    // The beneficiaries' export still lists her amount, without her.
    let sheet = csv(&host.get(
        Some(&operator),
        &format!("/campaigns/{winter}/beneficiaries.csv"),
    ));
    assert!(
        sheet.contains("\n2;cancellato;cancellato;385,50;11;BS-"),
        "{sheet}"
    );
    // Nobody else changed.
    let carla_app = application(&host, &carla, &carla_id);
    assert_eq!(
        (&carla_app.body["full_name"], &carla_app.body["tax_code"]),
        (&json!("carla"), &json!(CARLA))
    );
    assert!(sheet.contains(CARLA), "{sheet}");
    let elena_left = host.get(
        Some(&operator),
        &format!("/api/campaigns/{winter}/applications?status=not_funded"),
    );
    assert_eq!(elena_left.body[0]["full_name"], "Elena Pellegrini");

    // Her download is now empty, and a second erasure finds nothing.
    let export = host.get(Some(&anna), DATA);
    assert_eq!(export.body["applications"], json!([]));
    assert_eq!(export.body["vouchers"], json!([]));
    let again = host.delete(Some(&anna), DATA).assert_status(200);
    assert_eq!(again.body["erased"], 0, "{}", again.body);

    // The shopkeeper is erased: the shop stays, unlinked, with what it is owed; the
    // redemption stays without their username.
    let owed_before = host.get(Some(&operator), "/api/merchants").body;
    let erased = host.delete(Some(&shopkeeper), DATA);
    assert_eq!(erased.body["erased"], 2, "{}", erased.body);
    assert_eq!(
        erased.body["kept"][0]["what"],
        "esercente «Alimentari Bottega»"
    );
    let owed_after = host.get(Some(&operator), "/api/merchants").body;
    assert_eq!(owed_after[0]["owed_cents"], owed_before[0]["owed_cents"]);
    assert_eq!(owed_after[0]["linked"], false, "{owed_after}");
    assert_eq!(
        host.get(Some(&shopkeeper), DATA).body["merchants"],
        json!([])
    );
    assert_eq!(host.delete(Some(&shopkeeper), DATA).body["erased"], 0);
}

#[test]
fn an_erasure_waits_while_a_campaign_of_the_person_is_being_closed() {
    let (host, _, id, path) = opened(winter_campaign());
    let anna = host.account("anna", &["citizen"]);
    assert_eq!(
        host.post(Some(&anna), &path, apply(ANNA, 3, 1, "9000", true, false))
            .status,
        201
    );
    // The closing has started but not ranked yet (as between two job runs).
    host.call(None, || {
        vouchers::close::start(&id, "job", 0)?;
        Ok(())
    })
    .expect("started");
    let refused = host.delete(Some(&anna), DATA).assert_status(409);
    assert!(
        refused.message().contains("in chiusura"),
        "{}",
        refused.body
    );
    assert_eq!(
        host.get(Some(&anna), DATA).body["applications"]
            .as_array()
            .map(Vec::len),
        Some(1)
    );
}
