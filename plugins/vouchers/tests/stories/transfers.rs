//! A rent grant paid by bank transfer to the landlord's IBAN: the campaign names the rulebook
//! question holding it, the closing orders one transfer per instalment instead of vouchers,
//! the beneficiary is told with the IBAN's last four characters only, the operator exports the
//! orders as a SEPA `pain.001.001.09` file and marks it paid — natively against the kernel's
//! store, ledger and accounts.

use crate::common;

use common::{
    AFTER_CLOSING, ANNA, BRUNO, application, applications, close, create, created, id_of,
};
use quick_xml::events::Event;
use quick_xml::{Reader, XmlVersion};
use serde_json::{Value as Json, json};
use trama_testhost::{Account, Answer, TestHost};
use vouchers::Vouchers;

const TREASURY_IBAN: &str = "IT76L0100503200000000012345";
const ANNA_LANDLORD: &str = "IT60 X054 2811 1010 0000 0123 456";
const BRUNO_LANDLORD: &str = "DE89370400440532013000";

/// The instance with the treasury's IBAN set (or not).
fn host_with(treasury_iban: &str) -> TestHost<Vouchers> {
    let host = TestHost::with_settings(
        env!("CARGO_MANIFEST_DIR"),
        json!({"municipality_name": "Comune di Prova", "treasury_iban": treasury_iban}),
    )
    .expect("the manifest and settings");
    host.set_time("2026-01-12T10:00:00+01:00");
    host
}

/// The rent grant of the shipped template, paid in two instalments 30 days apart to the IBAN
/// its `landlord_iban` question asks.
fn rent_campaign(extra: Json) -> Json {
    let by_transfer = common::rent_campaign(json!({
        "payment_method": "transfer",
        "payee_iban_question": "landlord_iban",
        "instalments": 2,
        "instalment_days": 30,
    }));
    common::with(by_transfer, extra)
}

/// An application of a household of one: ISEE 12,000 €, the ISE and the yearly rent given.
fn rent_application(tax: &str, ise: &str, rent: &str, iban: &str) -> Json {
    json!({
        "tax_code": tax,
        "household": [{"birth_date": "1985-12-10", "relation": "applicant"}],
        "isee": "12000", "ise": ise, "rent_yearly": rent, "registered_lease": true,
        "landlord_iban": iban,
    })
}

/// Anna's application, band A: ISE 15,432.10 €, rent 4,800 € a year, to her landlord's IBAN.
fn anna_applies(host: &TestHost<Vouchers>, anna: &Account, path: &str) -> Answer {
    host.post(
        Some(anna),
        path,
        rent_application(ANNA, "15432,10", "4800", ANNA_LANDLORD),
    )
    .assert_status(201)
}

/// One element of a parsed XML document.
#[derive(Debug, Default)]
struct Node {
    name: String,
    attributes: Vec<(String, String)>,
    text: String,
    children: Vec<Node>,
}

impl Node {
    fn child(&self, name: &str) -> &Node {
        self.children
            .iter()
            .find(|c| c.name == name)
            .unwrap_or_else(|| panic!("<{}> has no <{name}>", self.name))
    }

    fn all(&self, name: &str) -> Vec<&Node> {
        self.children.iter().filter(|c| c.name == name).collect()
    }

    /// The text at `path`, e.g. `GrpHdr/NbOfTxs`.
    fn at(&self, path: &str) -> &str {
        path.split('/')
            .fold(self, |node, name| node.child(name))
            .text
            .as_str()
    }
}

/// Checks `xml` against the ISO 20022 schema of pain.001.001.09 — the file a treasury's bank
/// validates on import — with `xmlschema` and the schema the `sepaxml` package ships, which
/// `./dev setup` installs into `target/tools/sepa` (`TRAMA_SEPA_PYTHON` may name another
/// Python that has both).
fn valid_pain001(xml: &str) {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let python = std::env::var_os("TRAMA_SEPA_PYTHON")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| root.join("target/tools/sepa/bin/python"));
    assert!(
        python.exists(),
        "the SEPA schema check is not installed at {}: run ./dev setup (or set TRAMA_SEPA_PYTHON to a Python with xmlschema and sepaxml)",
        python.display()
    );
    let file = std::env::temp_dir().join(format!("pain001-{}.xml", std::process::id()));
    std::fs::write(&file, xml).expect("write the file to check");
    let check = "import sys, importlib.resources as r, xmlschema\n\
                 xsd = r.files('sepaxml') / 'schemas' / 'pain.001.001.09.xsd'\n\
                 xmlschema.XMLSchema(str(xsd)).validate(sys.argv[1])\n";
    let output = std::process::Command::new(&python)
        .args(["-c", check])
        .arg(&file)
        .output()
        .expect("run the schema check");
    std::fs::remove_file(&file).ok();
    assert!(
        output.status.success(),
        "the file breaks the pain.001.001.09 schema: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// Reads `xml` back into a tree, its texts unescaped.
fn parse(xml: &str) -> Node {
    let mut reader = Reader::from_str(xml);
    // Not trimmed: a text is cut at each escape, and the spaces next to one are the text's.
    // The indentation between elements is trimmed when an element ends.
    let mut stack = vec![Node::default()];
    loop {
        match reader.read_event().expect("well-formed XML") {
            Event::Start(start) => {
                let attributes = start
                    .attributes()
                    .map(|a| {
                        let a = a.expect("an attribute");
                        let value = a
                            .normalized_value(XmlVersion::Implicit1_0)
                            .expect("a value")
                            .into_owned();
                        (a.key.as_ref().to_owned(), value)
                    })
                    .collect();
                stack.push(Node {
                    name: start.name().as_ref().to_owned(),
                    attributes,
                    ..Node::default()
                });
            }
            // Escapes arrive apart from the text around them, as references.
            Event::Text(text) => {
                let plain = text.xml10_content();
                stack.last_mut().expect("an element").text.push_str(&plain);
            }
            Event::GeneralRef(reference) => {
                let resolved = match reference.resolve_char_ref().expect("a reference") {
                    Some(c) => c.to_string(),
                    None => {
                        quick_xml::escape::resolve_predefined_entity(&reference.xml10_content())
                            .expect("a predefined entity")
                            .to_owned()
                    }
                };
                stack
                    .last_mut()
                    .expect("an element")
                    .text
                    .push_str(&resolved);
            }
            Event::End(_) => {
                let mut done = stack.pop().expect("an open element");
                done.text = done.text.trim().to_owned();
                stack.last_mut().expect("a parent").children.push(done);
            }
            Event::Eof => break,
            _ => {}
        }
    }
    stack
        .pop()
        .expect("the root")
        .children
        .pop()
        .expect("the document")
}

/// The campaign closed with Anna's and Bruno's grants ordered.
struct Ordered {
    host: TestHost<Vouchers>,
    operator: Account,
    anna: Account,
    id: String,
    anna_app: String,
}

fn ordered(treasury_iban: &str) -> Ordered {
    let host = host_with(treasury_iban);
    let operator = host.account("operatrice", &["operator"]);
    let created = created(&host, &operator, rent_campaign(json!({})));
    assert_eq!(created.body["payment"]["method"], "transfer");
    let id = id_of(&created);
    let path = applications(&id);
    // Band A by hand: 14 % of the ISE 15,432.10 € is 2,160.49 € (rounded to the cent); the
    // yearly rent 4,800 € less that is 2,639.51 €, under the cap of 3,100 €.
    let anna = host.person("anna", "Anna Rossi & C. <snc>", &["citizen"]);
    let first = anna_applies(&host, &anna, &path);
    assert_eq!(first.body["amount_cents"], 263_951, "{}", first.body);
    // Bruno's 6,000 € less 14 % of 20,000 € is 3,200 €: capped at 3,100 €.
    let bruno = host.person("bruno", "Bruno Verdi", &["citizen"]);
    let second = host.post(
        Some(&bruno),
        &path,
        rent_application(BRUNO, "20000", "6000", BRUNO_LANDLORD),
    );
    assert_eq!(second.body["amount_cents"], 310_000, "{}", second.body);
    host.set_time(AFTER_CLOSING);
    let closed = close(&host, &operator, &id).assert_status(200);
    assert_eq!(closed.body["close"]["funded"], 2, "{}", closed.body);
    assert_eq!(closed.body["close"]["issued_cents"], 573_951);
    assert_eq!(closed.body["close"]["vouchers_issued"], 0, "no vouchers");
    Ordered {
        host,
        operator,
        anna,
        id,
        anna_app: id_of(&first),
    }
}

#[test]
fn a_transfer_campaign_orders_each_instalment_and_exports_them_for_the_treasury() {
    let Ordered {
        host,
        operator,
        anna,
        id,
        anna_app,
    } = ordered(TREASURY_IBAN);

    // Anna's award is two transfers, the odd cent in the first, 30 days apart, no vouchers.
    let mine = application(&host, &anna, &anna_app);
    assert_eq!(mine.body["status"], "beneficiary", "{}", mine.body);
    assert_eq!(mine.body["vouchers"], json!([]));
    let lines = mine.body["transfers"].as_array().expect("transfers");
    let cents: Vec<i64> = lines
        .iter()
        .filter_map(|l| l["amount_cents"].as_i64())
        .collect();
    assert_eq!(cents, vec![131_976, 131_975]);
    let days: Vec<&str> = lines.iter().filter_map(|l| l["due_on"].as_str()).collect();
    assert_eq!(days, vec!["2026-01-23", "2026-02-22"]);
    assert_eq!(lines[0]["iban_masked"], "•••• 3456");

    // She is told, with the amount and the IBAN's last four characters only.
    let told = host
        .notifications_to(&anna)
        .into_iter()
        .next()
        .expect("a message to Anna");
    assert!(told.body.contains("2.639,51"), "{}", told.body);
    assert!(told.body.contains("3456"), "{}", told.body);
    assert!(!told.body.contains("IT60"), "{}", told.body);

    // The money awaits the treasury; closing again orders nothing more.
    let overview = |host: &TestHost<Vouchers>| {
        host.get(Some(&operator), &format!("/api/campaigns/{id}/transfers"))
            .body
    };
    let before = overview(&host);
    assert_eq!(before["awaiting_cents"], 573_951, "{before}");
    assert_eq!(before["to_export"], 4);
    close(&host, &operator, &id);
    assert_eq!(overview(&host)["to_export"], 4);

    // The export: every order, once; the same request gets the same batch.
    let export = format!("/api/campaigns/{id}/transfer-batches");
    assert_eq!(
        host.post(Some(&anna), &export, json!({"request_id": "export-0001"}))
            .status,
        403
    );
    let made = host
        .post(
            Some(&operator),
            &export,
            json!({"request_id": "export-0001"}),
        )
        .assert_status(201);
    assert_eq!(
        (&made.body["count"], &made.body["total_cents"]),
        (&json!(4), &json!(573_951))
    );
    let batch = id_of(&made);
    let again = host.post(
        Some(&operator),
        &export,
        json!({"request_id": "export-0001"}),
    );
    assert_eq!(id_of(&again), batch, "a retried request, the same batch");
    let nothing = host
        .post(
            Some(&operator),
            &export,
            json!({"request_id": "export-0002"}),
        )
        .assert_status(409);
    assert!(
        nothing
            .message()
            .contains("non ci sono bonifici da esportare")
    );

    // The operator's page lists it, with its file.
    let page = host
        .page(Some(&operator), &format!("/campaigns/{id}"))
        .assert_status(200);
    assert_eq!(page.body["transfers"]["batches"][0]["id"], json!(batch));
    assert_eq!(page.body["transfers"]["to_export"], 0);
    assert_eq!(page.body["pays_by_transfer"], true);

    // The file, read back.
    let file = host
        .get(
            Some(&operator),
            &format!("/campaigns/{id}/transfer-batches/{batch}/pain001.xml"),
        )
        .assert_status(200);
    let (name, kind, bytes) = file.file.clone().expect("a download");
    assert_eq!(
        (name.as_str(), kind.as_str()),
        (format!("pain001-{batch}.xml").as_str(), "application/xml")
    );
    let xml = String::from_utf8(bytes).expect("UTF-8");
    valid_pain001(&xml);
    let doc = parse(&xml);
    assert_eq!(doc.name, "Document");
    assert_eq!(
        doc.attributes,
        vec![(
            "xmlns".to_owned(),
            "urn:iso:std:iso:20022:tech:xsd:pain.001.001.09".to_owned()
        )]
    );
    let root = doc.child("CstmrCdtTrfInitn");
    assert_eq!(root.at("GrpHdr/MsgId"), batch);
    assert_eq!(root.at("GrpHdr/CreDtTm"), "2026-01-23T08:00:00+01:00");
    assert_eq!(root.at("GrpHdr/NbOfTxs"), "4");
    assert_eq!(root.at("GrpHdr/CtrlSum"), "5739.51");
    assert_eq!(root.at("GrpHdr/InitgPty/Nm"), "Comune di Prova");
    // One payment block per day: today's first instalments, then those of 22 February.
    let blocks = root.all("PmtInf");
    assert_eq!(blocks.len(), 2, "{xml}");
    let mut credits = Vec::new();
    for (block, (day, count, sum)) in blocks.iter().zip([
        ("2026-01-23", "2", "2869.76"),
        ("2026-02-22", "2", "2869.75"),
    ]) {
        assert_eq!(block.at("PmtMtd"), "TRF");
        assert_eq!(block.at("ReqdExctnDt/Dt"), day);
        assert_eq!((block.at("NbOfTxs"), block.at("CtrlSum")), (count, sum));
        assert_eq!(block.at("PmtTpInf/SvcLvl/Cd"), "SEPA");
        assert_eq!(block.at("Dbtr/Nm"), "Comune di Prova");
        assert_eq!(block.at("DbtrAcct/Id/IBAN"), TREASURY_IBAN);
        assert_eq!(block.at("DbtrAgt/FinInstnId/Othr/Id"), "NOTPROVIDED");
        for tx in block.all("CdtTrfTxInf") {
            let amount = tx.child("Amt").child("InstdAmt");
            assert_eq!(
                amount.attributes,
                vec![("Ccy".to_owned(), "EUR".to_owned())]
            );
            credits.push((
                tx.at("Cdtr/Nm").to_owned(),
                tx.at("CdtrAcct/Id/IBAN").to_owned(),
                amount.text.clone(),
                tx.at("PmtId/EndToEndId").to_owned(),
                tx.at("RmtInf/Ustrd").to_owned(),
            ));
        }
    }
    let anna_own = anna_app
        .strip_prefix(&format!("{id}-"))
        .expect("an application of the campaign");
    let anna_first = credits
        .iter()
        .find(|c| c.3 == format!("{anna_own}-1"))
        .expect("Anna's first transfer");
    // The name is written escaped and reads back as it was typed.
    assert_eq!(anna_first.0, "Anna Rossi & C. <snc>");
    assert!(xml.contains("Anna Rossi &amp; C. &lt;snc&gt;"), "{xml}");
    assert_eq!(anna_first.1, "IT60X0542811101000000123456");
    assert_eq!(anna_first.2, "1319.76");
    assert_eq!(
        anna_first.4,
        format!("Contributo affitto 2026 - {anna_app}")
    );
    let mut amounts: Vec<&str> = credits.iter().map(|c| c.2.as_str()).collect();
    amounts.sort_unstable();
    assert_eq!(amounts, vec!["1319.75", "1319.76", "1550.00", "1550.00"]);
    assert!(credits.iter().all(|c| c.3.len() <= 35), "EndToEndId fits");
    assert_eq!(credits.iter().filter(|c| c.1 == BRUNO_LANDLORD).count(), 2);
    // Downloaded again, the same file.
    let twice = host.get(
        Some(&operator),
        &format!("/campaigns/{id}/transfer-batches/{batch}/pain001.xml"),
    );
    assert_eq!(twice.file.map(|f| f.2), Some(xml.into_bytes()));

    // Marking it paid: a confirmation page, refused without the confirmation, then done once.
    let confirm = host
        .page(
            Some(&operator),
            &format!("/campaigns/{id}/transfer-batches/{batch}/paid"),
        )
        .assert_status(200);
    assert_eq!(confirm.template.as_deref(), Some("transfer_paid.html"));
    let paid = format!("/api/campaigns/{id}/transfer-batches/{batch}/paid");
    let unconfirmed = host
        .post(Some(&operator), &paid, json!({}))
        .assert_status(422);
    assert_eq!(unconfirmed.problem_fields(), vec!["confirm"]);
    assert_eq!(overview(&host)["awaiting_cents"], 573_951);
    let done = host
        .post(Some(&operator), &paid, json!({"confirm": true}))
        .assert_status(200);
    assert_eq!(done.body["status"], "paid");
    let after = overview(&host);
    assert_eq!(after["awaiting_cents"], 0, "{after}");
    assert!(
        after["orders"]
            .as_array()
            .expect("orders")
            .iter()
            .all(|o| o["status"] == "paid"),
        "{after}"
    );
    // The dashboard counts what the treasury paid as spent.
    let dashboard = host.get(Some(&operator), "/api/dashboard");
    let figures = &dashboard.body["campaigns"][0];
    assert_eq!(figures["issued"]["cents"], 573_951, "{figures}");
    assert_eq!(figures["spent"]["cents"], 573_951, "{figures}");
    assert_eq!(figures["outstanding"]["cents"], 0, "{figures}");
    host.post(Some(&operator), &paid, json!({"confirm": true}))
        .assert_state(200, "paid");
    assert_eq!(overview(&host)["awaiting_cents"], 0);

    // "Download my data": her transfers, with the IBAN's last four characters.
    let data = host.personal_data(&anna);
    let transfers = data["transfers"].as_array().expect("transfers");
    assert_eq!(transfers.len(), 2, "{data}");
    assert_eq!(transfers[0]["iban"], "•••• 3456");
    assert_eq!(transfers[0]["status"], "paid");

    // Erased, she is no longer linked to them; the municipality keeps its payments.
    let erasure = host.erase(&anna);
    assert!(
        erasure.kept.iter().any(|k| k.contains("bonifici")),
        "{:?}",
        erasure.kept
    );
    assert_eq!(host.personal_data(&anna)["transfers"], json!([]));
    assert_eq!(overview(&host)["orders"].as_array().map(Vec::len), Some(4));
}

#[test]
fn an_export_is_refused_while_the_treasury_iban_is_unset() {
    let Ordered {
        host, operator, id, ..
    } = ordered("");
    let refused = host
        .post(
            Some(&operator),
            &format!("/api/campaigns/{id}/transfer-batches"),
            json!({"request_id": "export-0001"}),
        )
        .assert_status(422);
    assert!(
        refused.message().contains("treasury_iban"),
        "{}",
        refused.body
    );
    // The form says it on the campaign's page.
    let form = host
        .submit(
            Some(&operator),
            &format!("/campaigns/{id}/transfer-batches"),
            &[("request_id", "export-0002")],
        )
        .assert_status(422);
    assert_eq!(form.template.as_deref(), Some("campaign.html"));
    assert!(
        form.body["form"].to_string().contains("treasury_iban"),
        "{}",
        form.body["form"]
    );
    let overview = host.get(Some(&operator), &format!("/api/campaigns/{id}/transfers"));
    assert_eq!(overview.body["to_export"], 4, "nothing was exported");
}

#[test]
fn a_transfer_needs_a_required_iban_question_of_the_rulebook() {
    let host = host_with(TREASURY_IBAN);
    let operator = host.account("operatrice", &["operator"]);
    let create = |body: Json| host.post(Some(&operator), "/api/campaigns", body);
    // The built-in form has no IBAN to pay.
    let mut built_in = common::winter_campaign();
    built_in["payment_method"] = json!("transfer");
    built_in["payee_iban_question"] = json!("landlord_iban");
    let refused = create(built_in).assert_status(422);
    assert_eq!(refused.problem_fields(), vec!["payment_method"]);
    // A question that is not an IBAN, one that does not exist, vouchers' terms.
    let refused = create(rent_campaign(json!({"payee_iban_question": "isee"})));
    assert_eq!(refused.problem_fields(), vec!["payee_iban_question"]);
    assert!(
        refused.body["problems"][0]["message"]
            .as_str()
            .is_some_and(|m| m.contains("«isee» non è di tipo IBAN"))
    );
    let refused = create(rent_campaign(json!({"payee_iban_question": "iban"})));
    assert_eq!(refused.problem_fields(), vec!["payee_iban_question"]);
    let refused = create(rent_campaign(json!({"payee_name_question": "isee"})));
    assert_eq!(refused.problem_fields(), vec!["payee_name_question"]);
    let refused = create(rent_campaign(
        json!({"valid_days": 30, "shop_categories": ["farmacia"]}),
    ));
    assert_eq!(
        refused.problem_fields(),
        vec!["valid_days", "shop_categories"]
    );
    let refused = create(rent_campaign(json!({"payment_method": "cheque"})));
    assert_eq!(
        refused.problem_fields(),
        vec!["payment_method"],
        "{}",
        refused.body
    );
    // A payee on a voucher campaign is a mistake, not ignored.
    let refused = create(rent_campaign(json!({"payment_method": "vouchers"})));
    assert_eq!(refused.problem_fields(), vec!["payee_iban_question"]);
}

#[test]
fn budget_added_after_the_closing_orders_the_next_in_line_by_transfer() {
    let host = host_with(TREASURY_IBAN);
    let operator = host.account("operatrice", &["operator"]);
    // Room for Bruno's 3,100 € only, in one instalment.
    let id = create(
        &host,
        &operator,
        rent_campaign(json!({"budget": "3.100", "instalments": 1})),
    );
    let path = applications(&id);
    let anna = host.account("anna", &["citizen"]);
    let first = anna_applies(&host, &anna, &path);
    // Bruno lives with his mother, 76: his household comes first.
    let bruno = host.account("bruno", &["citizen"]);
    let mut his = rent_application(BRUNO, "20000", "6000", BRUNO_LANDLORD);
    his["household"] = json!([
        {"birth_date": "1980-01-01", "relation": "applicant"},
        {"birth_date": "1950-03-15", "relation": "parent", "tax_code": common::DARIO},
    ]);
    host.post(Some(&bruno), &path, his).assert_status(201);
    host.set_time(AFTER_CLOSING);
    let closed = close(&host, &operator, &id);
    assert_eq!(closed.body["close"]["funded"], 1, "{}", closed.body);
    let status = |app: &Json, who: &Account| application(&host, who, &id_of_json(app)).body;
    assert_eq!(status(&first.body, &anna)["status"], "not_funded");

    // The budget grows by exactly Anna's award: she is funded by transfer, once.
    let added = host.post(
        Some(&operator),
        &format!("/api/campaigns/{id}/budget"),
        json!({"amount": "2.639,51", "request_id": "topup-0001"}),
    );
    assert_eq!(added.body["funded"], 1, "{}", added.body);
    let anna_now = status(&first.body, &anna);
    assert_eq!(anna_now["status"], "beneficiary", "{anna_now}");
    assert_eq!(anna_now["transfers"][0]["amount_cents"], 263_951);
    assert_eq!(anna_now["vouchers"], json!([]));
    let again = host.post(
        Some(&operator),
        &format!("/api/campaigns/{id}/budget"),
        json!({"amount": "2.639,51", "request_id": "topup-0001"}),
    );
    assert_eq!(again.body["funded"], 0, "{}", again.body);
    let overview = host.get(Some(&operator), &format!("/api/campaigns/{id}/transfers"));
    assert_eq!(overview.body["to_export"], 2, "{}", overview.body);
    assert_eq!(overview.body["awaiting_cents"], 573_951);
}

fn id_of_json(body: &Json) -> String {
    body["id"].as_str().expect("an id").to_owned()
}
