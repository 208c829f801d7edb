//! Attachments through the real server: the kernel decodes a form with files, recognises each
//! file by its content (refusing a page that calls itself a PDF, in Italian), refuses a request
//! over its limit, and serves a kept document back with its name to its applicant and the
//! office only; "download my data" carries it. What the questions accept, retention and
//! erasure are the plugin's native tests (`plugins/vouchers/tests/attachments.rs`).

use std::io::Read;

use serde_json::json;

use super::ANNA;
use crate::support::VOUCHERS;
use crate::support::{Server, TestInstance, add_user, header, login, sign_up, today_plus};

const PDF: &[u8] = b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n%%EOF\n";

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

[[eligibility]]
label = { it = "ISEE fino a 15.000 €" }
expr = "isee <= eur(15000)"

[amount]
label = { it = "300 € a nucleo" }
expr = "eur(300)"
"#;

#[tokio::test(flavor = "multi_thread")]
async fn a_document_is_sent_checked_kept_and_read_back_through_the_server() {
    let instance = TestInstance::new("vouchers-attachments", VOUCHERS);
    add_user(&instance, "operatore", "operator");
    let server = Server::start(&[instance.path()]);
    let operator = login(&server, "operatore").await;
    let (status, created) = operator
        .send_json(
            &server,
            reqwest::Method::POST,
            "/p/vouchers/api/campaigns",
            &json!({
                "title": "Contributo affitti",
                "measure": "rent",
                "opens_on": today_plus(0),
                "closes_on": today_plus(20),
                "budget": "3.000",
                "rulebook": RULEBOOK,
            }),
        )
        .await;
    assert_eq!(status, 201, "{created}");
    let campaign = format!(
        "/p/vouchers/campaigns/{}",
        created["id"].as_str().expect("id")
    );

    // The documents are listed among what is needed, and attached on the summary of the
    // answers, whose form sends files and says which.
    let anna = sign_up(&server, "anna", "Anna Rossi").await;
    let (status, page) = anna.page(&server, &campaign).await;
    assert_eq!(status, 200, "{page}");
    assert!(!page.contains("type=\"file\""), "{page}");
    let apply = format!("{campaign}/apply");
    let response = anna
        .post_form(&server, &apply, &[("tax_code", ANNA), ("isee", "9.000")])
        .await;
    assert_eq!(response.status().as_u16(), 200);
    let page = response.text().await.expect("summary");
    assert!(page.contains("enctype=\"multipart/form-data\""), "{page}");
    assert!(
        page.contains("type=\"file\" accept=\"application/pdf\""),
        "{page}"
    );
    assert!(page.contains("Formati: PDF"), "{page}");

    let fields = [("tax_code", ANNA), ("isee", "9.000"), ("_step", "send")];
    // Confirmed without the document: the summary again, the problem at the file field.
    let missing = anna.post_form(&server, &apply, &fields).await;
    assert_eq!(missing.status().as_u16(), 422);
    let page = missing.text().await.expect("summary");
    assert!(
        page.contains("Controlla la domanda prima di inviarla")
            && page.contains("aria-invalid=\"true\"")
            && page.contains("type=\"file\""),
        "{page}"
    );
    // A page named `.pdf` is refused by the kernel, in Italian, whatever type it claims.
    let posing = anna
        .post_multipart(
            &server,
            &apply,
            &fields,
            &[(
                "attestazione",
                "isee.pdf",
                "application/pdf",
                b"<html><script>alert(1)</script></html>",
            )],
        )
        .await;
    assert_eq!(posing.status().as_u16(), 415);
    let page = posing.text().await.expect("page");
    assert!(
        page.contains("non è un PDF né un&#x27;immagine")
            || page.contains("non è un PDF né un'immagine"),
        "{page}"
    );
    // Over the kernel's limit for a form with files (12 MiB): refused before it is read.
    let huge = [PDF, &vec![b' '; 13 * 1024 * 1024][..]].concat();
    let too_big = anna
        .post_multipart(
            &server,
            &apply,
            &fields,
            &[("attestazione", "isee.pdf", "application/pdf", &huge)],
        )
        .await;
    assert_eq!(too_big.status().as_u16(), 413);

    // Sent as a browser on Windows sends it, with a name that is not ASCII.
    let sent = anna
        .post_multipart(
            &server,
            &apply,
            &fields,
            &[(
                "attestazione",
                r"C:\Users\anna\Attestazione ISEE è.pdf",
                "application/octet-stream",
                PDF,
            )],
        )
        .await;
    assert_eq!(sent.status().as_u16(), 303, "{:?}", sent.text().await);
    let application = header(&sent, "location");
    let (status, page) = anna.page(&server, &application).await;
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("Documenti allegati"), "{page}");
    let start = page.find("/files/").expect("a link to the document");
    let end = start + page[start..].find('"').expect("the link's end");
    let link = format!("{application}{}", &page[start..end]);

    let response = anna.http.get(server.url(&link)).send().await.expect("GET");
    assert_eq!(response.status().as_u16(), 200);
    assert_eq!(header(&response, "content-type"), "application/pdf");
    assert!(
        header(&response, "content-disposition")
            .ends_with("filename*=UTF-8''Attestazione%20ISEE%20%C3%A8.pdf"),
        "{}",
        header(&response, "content-disposition")
    );
    assert_eq!(response.bytes().await.expect("body").as_ref(), PDF);
    let response = operator
        .http
        .get(server.url(&link))
        .send()
        .await
        .expect("GET");
    assert_eq!(response.status().as_u16(), 200, "the office reads it");
    let bruno = sign_up(&server, "bruno", "Bruno Bianchi").await;
    let response = bruno.http.get(server.url(&link)).send().await.expect("GET");
    assert_eq!(response.status().as_u16(), 404, "no one else");

    // Her data holds the document as she sent it.
    let response = anna.post_form(&server, "/account/data", &[]).await;
    assert_eq!(response.status().as_u16(), 200);
    let bytes = response.bytes().await.expect("zip");
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes.to_vec())).expect("a ZIP");
    let mut found = None;
    for n in 0..zip.len() {
        let mut file = zip.by_index(n).expect("entry");
        let name = file.name().expect("a file name").into_owned();
        if name.starts_with("files/vouchers/") && name.ends_with("Attestazione ISEE è.pdf") {
            let mut content = Vec::new();
            file.read_to_end(&mut content).expect("read");
            found = Some(content);
        }
    }
    let content = found.expect("the document in the download");
    assert_eq!(content, PDF);
}
