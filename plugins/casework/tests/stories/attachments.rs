//! Documents on a case file: checked against the instance's types and size (each refusal beside
//! the field), kept by the kernel, downloaded only by who may see the case — the person only
//! the shareable ones — and every download audited. The kernel keeps them sealed at rest.

use casework::Casework;
use serde_json::json;
use trama_testhost::{Account, TestHost};

use crate::common;

use common::{CODE, brief_intake, mario, open, put_in_team};

const PDF: &[u8] = b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n%%EOF\n";
const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x02\0\0\0";
const JPEG: &[u8] = b"\xff\xd8\xff\xe0\0\x10JFIF\0\x01\x01\0\0\x01\0\x01\0\0";

/// The desk of these stories: one need, one team, and documents of two kinds up to 64 KB.
fn host() -> TestHost<Casework> {
    common::host_with(json!({
        "needs": ["Casa"],
        "teams": ["Nord"],
        "attachment_kinds": ["pdf", "png"],
        "attachment_max_kb": 64,
    }))
}

fn reads(host: &TestHost<Casework>, case: &str) -> usize {
    host.audited(case)
        .iter()
        .filter(|a| *a == "case.attachment_read")
        .count()
}

#[test]
fn a_document_is_checked_kept_and_downloaded_only_by_who_may_see_the_case() {
    let host = host();
    let carla = host.account("carla", &["care_manager"]);
    let dario = host.account("dario", &["care_manager"]);
    let nora = host.account("nora", &["supervisor"]);
    let admin = host.account("amministra", &["admin"]);
    let ugo = host.account("ugo", &["citizen"]);
    let mario = mario(&host);
    put_in_team(&host, &admin, "nora", "Nord");
    let case = open(&host, &carla, brief_intake(CODE, "Nord"));
    let api = format!("/api/cases/{case}/attachments");
    let send = |who: &Account, fields: &[(&str, &str)], files: &[(&str, &str, &[u8])]| {
        host.submit_files(Some(who), &api, fields, files)
    };

    // No file, a type the instance does not take, too large, two at once: beside the field.
    let none = send(&carla, &[("title", "ISEE")], &[]);
    assert_eq!(none.problem_fields(), ["file"], "{}", none.body);
    let jpeg = send(&carla, &[], &[("file", "foto.jpg", JPEG)]);
    assert_eq!(jpeg.problem_fields(), ["file"]);
    assert!(jpeg.body.to_string().contains("PDF, PNG"), "{}", jpeg.body);
    let mut big = PDF.to_vec();
    big.resize(64 * 1024 + 1, b' ');
    let large = send(&carla, &[], &[("file", "grande.pdf", &big)]);
    assert_eq!(large.problem_fields(), ["file"]);
    assert!(large.body.to_string().contains("64"), "{}", large.body);
    let two = send(
        &carla,
        &[],
        &[("file", "a.pdf", PDF), ("file", "b.pdf", PDF)],
    );
    assert_eq!(two.problem_fields(), ["file"]);
    // An empty file, or one that is no document at all, the kernel refuses before the plugin.
    assert_eq!(send(&carla, &[], &[("file", "vuoto.pdf", b"")]).status, 415);
    assert_eq!(host.file_count(), 0, "nothing refused is kept");
    // The page comes back with the problem beside the file field.
    let page = host.submit_files(
        Some(&carla),
        &format!("/cases/{case}/attachments"),
        &[("title", "ISEE")],
        &[("file", "foto.jpg", JPEG)],
    );
    assert_eq!(page.status, 422, "{}", page.body);
    assert_eq!(page.template.as_deref(), Some("case.html"));
    assert!(page.body["form"]["problems"]["file"].is_string());

    // Nobody but the case's staff attaches.
    for who in [&dario, &ugo, &mario] {
        let refused = send(who, &[], &[("file", "x.pdf", PDF)]);
        assert_eq!(refused.status, 404, "{}", who.username);
    }
    let isee = send(
        &carla,
        &[("title", "ISEE 2026"), ("shareable", "no")],
        &[("file", "isee.pdf", PDF)],
    )
    .assert_status(201)
    .body["id"]
        .as_str()
        .expect("a file id")
        .to_owned();
    let letter = send(
        &carla,
        &[("shareable", "yes")],
        &[("file", "lettera.png", PNG)],
    )
    .assert_status(201)
    .body["id"]
        .as_str()
        .expect("a file id")
        .to_owned();
    assert_eq!(host.file_count(), 2);
    assert!(
        host.audited(&case)
            .contains(&"case.attachment_added".to_owned())
    );
    // Sealed at rest (`[files] sealed` in plugin.toml): the database holds neither document.
    for (id, content) in [(&isee, PDF), (&letter, PNG)] {
        let stored = host.file_at_rest(id).expect("the file is kept");
        assert_ne!(stored, content, "{id}");
        assert!(!stored.windows(8).any(|w| content.starts_with(w)), "{id}");
    }

    // The care manager and the team's supervisor download; each download is audited.
    let isee_path = format!("/cases/{case}/attachments/{isee}");
    for who in [&carla, &nora] {
        let got = host.get(Some(who), &isee_path).assert_status(200);
        let (name, kind, body) = got.file.expect("a file");
        assert_eq!(
            (name.as_str(), kind.as_str()),
            ("isee.pdf", "application/pdf")
        );
        assert_eq!(body, PDF);
    }
    assert_eq!(reads(&host, &case), 2);
    // Anyone else: as if neither case nor file existed, and nothing recorded.
    for who in [&dario, &ugo, &admin] {
        assert_eq!(
            host.get(Some(who), &isee_path).status,
            404,
            "{}",
            who.username
        );
    }
    assert_eq!(reads(&host, &case), 2);

    // The person sees and downloads only the shareable document.
    let summary = host
        .get(Some(&mario), &format!("/api/cases/{case}"))
        .assert_status(200);
    let listed = summary.body["attachments"].as_array().expect("a list");
    assert_eq!(listed.len(), 1, "{}", summary.body);
    assert_eq!(listed[0]["id"], letter.as_str());
    assert_eq!(host.get(Some(&mario), &isee_path).status, 404);
    host.get(Some(&mario), &format!("/cases/{case}/attachments/{letter}"))
        .assert_status(200);
    assert_eq!(reads(&host, &case), 3);
    let data = host.personal_data(&mario);
    assert_eq!(
        data["documents"].as_array().map(Vec::len),
        Some(1),
        "{data}"
    );

    // A closed case takes no more documents.
    host.post(
        Some(&carla),
        &format!("/api/cases/{case}/close"),
        json!({ "outcome": "achieved" }),
    )
    .assert_status(201);
    assert_eq!(send(&carla, &[], &[("file", "x.pdf", PDF)]).status, 409);
}
