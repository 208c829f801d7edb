//! "Download my data" and erasure (`/api/personal-data`, called by the kernel as the person):
//! an applicant's export holds their applications and register entries and nobody else's; an
//! erasure withdraws and deletes what is still examined, keeps decided applications and the
//! register entry without the person, takes a member's name off the committee's minutes, and
//! a second one does nothing.

use crate::common;

use common::{GIULIA, approved, association, committee, shop};
use serde_json::json;

#[test]
fn an_applicant_and_a_member_download_their_records_and_an_erasure_keeps_the_register() {
    let committee = committee();
    let host = &committee.host;
    let (approved_id, provider_id) = approved(&committee);
    // The shopkeeper also applies for an association, still examined.
    let aps = association();
    let pending = host
        .post(Some(&committee.shopkeeper), "/api/applications", aps)
        .assert_status(201);
    let pending_id = pending.body["id"].as_str().expect("id").to_owned();
    // Someone else's application, which nobody's erasure touches.
    let coop = host.account("coop", &["citizen"]);
    let mut other = shop("Forno Sociale srl", "00743110157", GIULIA);
    other["email"] = json!("forno@example.org");
    let other = host
        .post(Some(&coop), "/api/applications", other)
        .assert_status(201);
    let other_id = other.body["id"].as_str().expect("id").to_owned();

    // The shopkeeper's download: both applications and the register entry, nothing of coop's.
    let export = host.personal_data(&committee.shopkeeper);
    assert_eq!(export["applications"].as_array().map(Vec::len), Some(2));
    assert_eq!(export["register_entries"][0]["id"], provider_id.as_str());
    assert!(!export.to_string().contains("Forno"), "{export}");
    assert_eq!(export.get("committee_profile"), None);
    // Anna's, as a member: the cases she voted on.
    let anna = host.personal_data(&committee.anna);
    assert_eq!(anna["cases_as_member"][0]["id"], approved_id.as_str());

    // The shopkeeper is erased.
    host.erase_expecting(
        &committee.shopkeeper,
        3,
        &[
            "domande di accreditamento decise",
            "iscrizione dell'organizzazione al registro",
        ],
    );
    // The examined application was withdrawn and is gone; the decided one stays, without
    // the representative, with its decision; the shop is still in the public register.
    let member = |id: &str| host.get(Some(&committee.anna), &format!("/api/applications/{id}"));
    assert_eq!(member(&pending_id).status, 404);
    let decided = member(&approved_id).assert_status(200);
    assert_eq!(decided.body["status"], "approved");
    let text = decided.body.to_string();
    assert!(
        !text.contains(common::MARIO) && !text.contains("Mario Rossi"),
        "{text}"
    );
    assert!(text.contains("Alimentari Bottega srl"), "{text}");
    let register = host
        .get(None, &format!("/api/register/{provider_id}"))
        .assert_status(200);
    assert_eq!(register.body["legal_name"], "Alimentari Bottega srl");
    assert_eq!(register.body["status"], "active", "{}", register.body);
    // Coop's application is untouched; nothing is left linked to the shopkeeper.
    let other = member(&other_id);
    assert!(
        other.body.to_string().contains("forno@example.org"),
        "{}",
        other.body
    );
    host.assert_forgotten(&committee.shopkeeper, &["applications", "register_entries"]);

    // Dario, a member, is erased: his profile goes; his name leaves the minutes (he was
    // left out of the shop's vote for his declared link).
    let before = member(&approved_id).body.to_string();
    assert!(before.contains("\"dario\""), "{before}");
    let erased = host.erase(&committee.dario);
    assert!(erased.erased >= 1, "{}", erased.body);
    let after = member(&approved_id).body.to_string();
    assert!(!after.contains("\"dario\""), "{after}");
    host.assert_forgotten(&committee.dario, &["committee_profile"]);
    let anna_after = host.personal_data(&committee.anna);
    assert_eq!(anna_after["cases_as_member"][0]["id"], approved_id.as_str());
}
