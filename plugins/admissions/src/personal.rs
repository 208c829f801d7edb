//! What the plugin holds about one person, for "download my data" and for an erasure (the
//! `personal_data` route, see [`trama_sdk::personal_data`]), called by the kernel as that
//! person.
//!
//! **Whose records.** The applications the person filed for an organisation (`user_id`), the
//! register entries their account manages, and, for a committee member, their profile (tax
//! code and declared links) and the votes, comments and declarations they made on cases.
//!
//! **What an erasure does**, as the network's data protection officer would have it:
//!
//! | record | erasure |
//! |---|---|
//! | application still examined | withdrawn as the applicant would withdraw it, then deleted |
//! | application withdrawn | deleted: nothing was decided |
//! | application decided (approved, rejected, without quorum) | kept as an act of the accreditation procedure: the account is unlinked, the username, the legal representative's name and tax code and the applicant's answers become `cancellato` |
//! | register entry | the organisation stays in the public register: the account is unlinked, the representative's name and tax code become `cancellato` |
//! | committee member's profile | deleted (tax code, declared links) |
//! | votes, comments, conflicts declared, steps taken as a member | kept in the cases and motions, the committee's minutes: the member's name becomes `cancellato` |
//!
//! The organisation's own data (name, tax code, address, e-mail, PEC) is not the person's and
//! stays. Everything is one call, one transaction, and a second erasure finds nothing linked to
//! the person (`erased: 0`). A register entry unlinked keeps `user_id = "cancellato"`, which is
//! what a later event about it carries to `vouchers` and `corporate-plans`: an account id that
//! leads to no one.

use serde::Serialize;
use serde::de::DeserializeOwned;
use trama_sdk::http::{Request, Response};
use trama_sdk::identity::User;
use trama_sdk::personal_data::{Erased, Export, erase_opt, erase_text, owned_by, scrub};
use trama_sdk::router::Params;
use trama_sdk::store::Collection;
use trama_sdk::{Result, clock, identity, t};

use crate::application::{self, APPLICATIONS, Status};
use crate::config::Settings;
use crate::motion::MOTIONS;
use crate::organisation::Organisation;
use crate::provider::PROVIDERS;
use crate::roster::{self, MEMBERS};

/// Whether the person sits, or sat, on the committee.
fn is_member(me: &User) -> Result<bool> {
    Ok(me.has_role(roster::ROLE) || MEMBERS.get(&me.id)?.is_some())
}

/// `GET /api/personal-data` (the kernel, as the person): their applications and register
/// entries; for a committee member, their profile and every case and motion they took part in.
pub fn export(_: Request, _: Params) -> Result<Response> {
    let me = identity::require_login()?;
    let mut export = Export::new()
        .with("applications", &owned_by(&APPLICATIONS, "user_id", &me.id)?)?
        .with(
            "register_entries",
            &owned_by(&PROVIDERS, "user_id", &me.id)?,
        )?;
    if is_member(&me)? {
        let profile: Vec<_> = MEMBERS.get(&me.id)?.into_iter().collect();
        let person = [me.username.as_str(), me.display_name.as_str()];
        let cases: Vec<_> = APPLICATIONS
            .query()
            .fetch_all()?
            .into_iter()
            .filter(|doc| names(&doc.data, &person))
            .collect();
        let motions: Vec<_> = MOTIONS
            .query()
            .fetch_all()?
            .into_iter()
            .filter(|doc| names(&doc.data, &person))
            .collect();
        export = export
            .with("committee_profile", &profile)?
            .with("cases_as_member", &cases)?
            .with("motions_as_member", &motions)?;
    }
    export.response()
}

/// Whether `data` names the person somewhere.
fn names<T: Serialize + DeserializeOwned>(data: &T, person: &[&str]) -> bool {
    matches!(scrub(data, person), Ok(Some(_)))
}

/// `DELETE /api/personal-data` (the kernel, as the person, carrying out an erasure): see the
/// module documentation.
pub fn erase(_: Request, _: Params) -> Result<Response> {
    let me = identity::require_login()?;
    let now = clock::now_ms();
    let person = [me.username.as_str(), me.display_name.as_str()];
    let mut erased = Erased::default();
    let mut settings = None;
    for app in owned_by(&APPLICATIONS, "user_id", &me.id)? {
        let app = if app.data.status.is_open() {
            let settings = match &settings {
                Some(settings) => settings,
                None => settings.insert(Settings::load()?),
            };
            application::withdraw(&app.id, &me, settings, now)?
        } else {
            app
        };
        if app.data.status == Status::Withdrawn {
            APPLICATIONS.delete(&app.id)?;
            erased.count(1);
            continue;
        }
        let mut data = app.data;
        for step in &mut data.history {
            if step.actor == me.display_name {
                erase_text(&mut step.actor);
                erase_opt(&mut step.note);
            }
        }
        erase_text(&mut data.user_id);
        erase_text(&mut data.username);
        erase_representative(&mut data.org);
        for request in &mut data.requests {
            erase_opt(&mut request.answer);
        }
        APPLICATIONS.put_if_version(&app.id, &data, app.version)?;
        erased.count(1);
        erased.keep(
            t!("admissions.personal_data.kept_applications"),
            t!("admissions.personal_data.kept_applications_why"),
        );
    }
    for entry in owned_by(&PROVIDERS, "user_id", &me.id)? {
        let mut data = entry.data;
        erase_text(&mut data.user_id);
        erase_text(&mut data.username);
        erase_representative(&mut data.org);
        PROVIDERS.put_if_version(&entry.id, &data, entry.version)?;
        erased.count(1);
        erased.keep(
            t!("admissions.personal_data.kept_register"),
            t!("admissions.personal_data.kept_register_why"),
        );
    }
    if is_member(&me)? {
        if MEMBERS.delete(&me.id)? {
            erased.count(1);
        }
        let cases = scrub_all(&APPLICATIONS, &person)? + scrub_all(&MOTIONS, &person)?;
        if cases > 0 {
            erased.count(cases);
            erased.keep(
                t!("admissions.personal_data.kept_minutes"),
                t!("admissions.personal_data.kept_minutes_why"),
            );
        }
    }
    erased.finish(&me)
}

/// The legal representative's name and tax code, which are a person's.
fn erase_representative(org: &mut Organisation) {
    erase_text(&mut org.representative_name);
    erase_text(&mut org.representative_tax_code);
}

/// Every document of `collection` that names the person, written back without: how many.
fn scrub_all<T: Serialize + DeserializeOwned>(
    collection: &Collection<T>,
    person: &[&str],
) -> Result<u64> {
    let mut changed = 0;
    for doc in collection.query().fetch_all()? {
        if let Some(data) = scrub(&doc.data, person)? {
            collection.put_if_version(&doc.id, &data, doc.version)?;
            changed += 1;
        }
    }
    Ok(changed)
}
