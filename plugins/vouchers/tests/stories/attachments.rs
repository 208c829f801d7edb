//! Documents attached to an application (an ISEE attestation, a certificate): checked against
//! what the notice's question accepts, kept with the application in one call, shown to the
//! applicant and to operators (whose reading is audited) and to no one else, in the person's
//! data, and deleted by an erasure and when the retention period ends — natively against the
//! kernel's own files, store and audit log.

use crate::common;

use common::{ANNA, BRUNO, DARIO, application, opened};
use serde_json::{Value as Json, json};
use trama_testhost::{Account, Answer, TestHost};
use vouchers::Vouchers;

const RULEBOOK: &str = r#"
title = { it = "Contributo con attestazione" }

[[questions]]
key = "isee"
type = "euros"
label = { it = "ISEE (€)" }

[[questions]]
key = "attestazione"
type = "attachment"
label = { it = "Attestazione ISEE" }
accept = ["pdf"]
max_kb = 64

[[questions]]
key = "certificato"
type = "attachment"
label = { it = "Certificato di invalidità" }
required = false
accept = ["pdf", "jpeg", "png"]
max_files = 2

[[eligibility]]
label = { it = "ISEE fino a 15.000 €" }
expr = "isee <= eur(15000)"

[amount]
label = { it = "300 € a nucleo" }
expr = "eur(300)"
"#;

const PDF: &[u8] = b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n%%EOF\n";
const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x02\0\0\0";

/// The rent grant asking for the documents of [`RULEBOOK`]: 300 € from 11 to 22 January 2026.
fn campaign() -> Json {
    json!({
        "title": "Contributo affitti",
        "measure": "rent",
        "opens_on": "2026-01-11",
        "closes_on": "2026-01-22",
        "budget": "300,00",
        "rulebook": RULEBOOK,
    })
}

fn apply(
    host: &TestHost<Vouchers>,
    who: &Account,
    campaign: &str,
    tax: &str,
    isee: &str,
    files: &[(&str, &str, &[u8])],
) -> Answer {
    host.submit_files(
        Some(who),
        &format!("/campaigns/{campaign}/apply"),
        // Confirmed from the summary: the documents come with the confirmation.
        &[("tax_code", tax), ("isee", isee), ("_step", "send")],
        files,
    )
}

/// The questions a refused page shows a problem under.
fn problems(answer: &Answer) -> Vec<String> {
    answer.body["form"]["problems"]
        .as_object()
        .map(|problems| problems.keys().cloned().collect())
        .unwrap_or_default()
}

fn application_id(answer: &Answer) -> String {
    let location = answer
        .location
        .as_deref()
        .expect("a redirect to the application");
    location
        .rsplit('/')
        .next()
        .expect("an application id")
        .to_owned()
}

#[test]
fn a_document_goes_with_the_application_to_its_reviewer_and_no_one_else() {
    let (host, operator, id, _) = opened(campaign());
    let [anna, bruno] = host.accounts(["anna", "bruno"], &["citizen"]);
    // Anna (ISEE 9,000 €) applies with `files`.
    let anna_applies =
        |files: &[(&str, &str, &[u8])]| apply(&host, &anna, &id, ANNA, "9000", files);

    // What the question does not take is refused under the question, and nothing is kept.
    let missing = anna_applies(&[]).assert_status(422);
    assert_eq!(problems(&missing), vec!["attestazione"]);
    let photo = anna_applies(&[("attestazione", "isee.png", PNG)]);
    assert_eq!(problems(&photo), vec!["attestazione"]);
    assert!(
        photo.body.to_string().contains("si accettano PDF"),
        "{}",
        photo.body
    );
    let big = [PDF, &[b' '; 70 * 1024][..]].concat();
    let large = anna_applies(&[("attestazione", "isee.pdf", &big)]);
    assert_eq!(problems(&large), vec!["attestazione"]);
    assert!(large.body.to_string().contains("64 KiB"), "{}", large.body);
    let three = anna_applies(&[
        ("attestazione", "isee.pdf", PDF),
        ("certificato", "p1.pdf", PDF),
        ("certificato", "p2.pdf", PDF),
        ("certificato", "p3.pdf", PDF),
    ]);
    assert_eq!(problems(&three), vec!["certificato"]);
    // A page posing as a PDF never reaches the plugin.
    anna_applies(&[(
        "attestazione",
        "isee.pdf",
        b"<html><script>alert(1)</script>",
    )])
    .assert_status(415);
    assert!(host.files_of(&anna).is_empty(), "a refusal keeps no file");
    assert_eq!(host.file_count(), 0);

    // Accepted: the application holds the documents, by question.
    let filed = anna_applies(&[
        ("attestazione", r"C:\Documenti\ISEE 2026.pdf", PDF),
        ("certificato", "certificato.png", PNG),
    ])
    .assert_status(303);
    let app = application_id(&filed);
    let seen = application(&host, &anna, &app);
    let attachments = seen.body["attachments"].as_array().expect("attachments");
    let names: Vec<(&Json, &Json)> = attachments
        .iter()
        .map(|a| (&a["question"], &a["name"]))
        .collect();
    assert_eq!(
        names,
        vec![
            (&json!("Attestazione ISEE"), &json!("ISEE 2026.pdf")),
            (
                &json!("Certificato di invalidità"),
                &json!("certificato.png")
            ),
        ]
    );
    let file = attachments[0]["id"].as_str().expect("file id").to_owned();
    let path = format!("/applications/{app}/files/{file}");

    // The applicant reads it back as sent; so does an operator, and that reading is audited.
    let own = host.get(Some(&anna), &path);
    assert_eq!(
        own.file,
        Some((
            "ISEE 2026.pdf".into(),
            "application/pdf".into(),
            PDF.to_vec()
        ))
    );
    assert!(
        !host
            .audited(&app)
            .contains(&"application.attachment_read".to_owned())
    );
    let reviewed = host.get(Some(&operator), &path).assert_status(200);
    assert_eq!(reviewed.file.map(|f| f.2), Some(PDF.to_vec()));
    assert!(
        host.audited(&app)
            .contains(&"application.attachment_read".to_owned())
    );
    // Anyone else gets the same 404 as for a file that does not exist.
    assert_eq!(host.get(Some(&bruno), &path).status, 404);
    let unknown = format!("/applications/{app}/files/0123456789abcdef");
    assert_eq!(host.get(Some(&anna), &unknown).status, 404);

    // A second application of hers is refused, and its documents are not kept.
    anna_applies(&[("attestazione", "b.pdf", PDF)]).assert_status(409);
    let mut kept: Vec<String> = host.files_of(&anna).into_iter().map(|f| f.0).collect();
    kept.sort();
    assert_eq!(
        kept,
        vec!["ISEE 2026.pdf", "certificato.png"],
        "her data holds the two documents of her application, no more"
    );

    // The office files for Dario, who has no account, with his attestation; filing for him a
    // second time is refused, and the documents sent with the refused one are not kept.
    let behalf = |name: &str| {
        host.submit_files(
            Some(&operator),
            &format!("/campaigns/{id}/apply-on-behalf"),
            &[
                ("tax_code", DARIO),
                ("full_name", "Dario Marino"),
                ("isee", "8000"),
            ],
            &[("attestazione", name, PDF)],
        )
    };
    assert_eq!(behalf("dario.pdf").status, 303);
    assert_eq!(host.file_count(), 3);
    behalf("dario-bis.pdf").assert_status(409);
    assert_eq!(host.file_count(), 3, "the refused filing keeps no document");

    // An erasure deletes them with the application.
    host.erase(&anna);
    assert!(host.files_of(&anna).is_empty());
    assert_eq!(host.get(Some(&operator), &path).status, 404);
}

#[test]
fn when_retention_ends_documents_go_and_only_funded_applications_stay() {
    let (host, operator, id, _) = opened(campaign());
    let [anna, bruno] = host.accounts(["anna", "bruno"], &["citizen"]);
    let funded = application_id(&apply(
        &host,
        &anna,
        &id,
        ANNA,
        "9000",
        &[("attestazione", "a.pdf", PDF)],
    ));
    // Bruno's ISEE is over the ceiling: not eligible, not funded.
    let refused = application_id(&apply(
        &host,
        &bruno,
        &id,
        BRUNO,
        "20000",
        &[("attestazione", "b.pdf", PDF)],
    ));

    host.set_time("2026-01-23T09:00:00+01:00");
    host.run_job("close-campaigns").expect("the closing");
    host.run_job("close-campaigns").expect("the closing ends");
    let status = |app: &str| application(&host, &operator, app);
    assert_eq!(status(&funded).body["status"], "beneficiary");

    // Within the period (five years by default) nothing goes.
    host.set_time("2030-01-01T09:00:00+01:00");
    host.run_job("retain-applications").expect("retention");
    assert_eq!(host.files_of(&bruno).len(), 1);
    assert_eq!(status(&refused).status, 200);

    host.set_time("2031-02-01T09:00:00+01:00");
    host.run_job("retain-applications").expect("retention");
    assert_eq!(status(&refused).status, 404, "not funded: deleted");
    let kept = status(&funded);
    assert_eq!(kept.status, 200, "funded: kept for the accounts");
    assert_eq!(kept.body["amount_cents"], 30_000);
    assert_eq!(kept.body["attachments"], json!([]));
    assert!(host.files_of(&anna).is_empty() && host.files_of(&bruno).is_empty());
    assert!(host.audited(&id).contains(&"campaign.retired".to_owned()));
    // Done once: a later run finds nothing to do.
    host.run_job("retain-applications").expect("retention");
    assert_eq!(
        host.audited(&id)
            .iter()
            .filter(|a| *a == "campaign.retired")
            .count(),
        1
    );
}
