//! "Download my data" and erasure: the person gets their case as they read it, without the
//! sensitive notes; an erasure keeps the case file, which the social services must keep.

use serde_json::json;

use crate::common;

use common::{CODE, brief_intake, mario, open};

#[test]
fn the_download_leaves_out_sensitive_notes_and_the_erasure_keeps_the_case() {
    let host = common::host_with(
        json!({ "needs": ["Casa"], "teams": ["Nord"], "consent_version": "v1", "consent_text": "Informativa" }),
    );
    let carla = host.account("carla", &["care_manager"]);
    let mario = mario(&host);
    let ugo = host.account("ugo", &["citizen"]);
    let id = open(&host, &carla, brief_intake(CODE, "Nord"));
    for (text, sensitive) in [("Segreto di famiglia", "yes"), ("Colloquio il 3", "no")] {
        host.post(
            Some(&carla),
            &format!("/api/cases/{id}/notes"),
            json!({ "text": text, "sensitive": sensitive }),
        )
        .assert_status(201);
    }

    let data = host.personal_data(&mario);
    assert_eq!(data["cases"][0]["person"]["tax_code"], CODE);
    assert_eq!(data["notes"][0]["text"], "Colloquio il 3");
    let all = data.to_string();
    assert!(!all.contains("Segreto") && !all.contains("sealed"), "{all}");
    assert!(host.audited(&id).contains(&"case.read.self".to_owned()));
    // Somebody else's download holds nothing of it.
    assert_eq!(host.personal_data(&ugo)["cases"], json!([]));

    let erasure = host.erase(&mario);
    assert_eq!(erasure.kept, ["cartella sociale"]);
    // The case file stays for its care manager.
    host.get(Some(&carla), &format!("/api/cases/{id}"))
        .assert_status(200);
}
