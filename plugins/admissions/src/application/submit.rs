//! Applying: the form's fields checked into a [`Submission`], whether the organisation may
//! apply now (and whether it is an admission or a renewal), and the application stored with
//! its one-at-a-time lock.

use serde_json::json;
use trama_sdk::identity::User;
use trama_sdk::input::{Input, Problems};
use trama_sdk::store::{self, Batch, Cmp, Doc};
use trama_sdk::{Error, Result, audit, t};

use super::*;
use crate::catalogue;
use crate::config::Settings;
use crate::notice::{self, Message};
use crate::organisation;
use crate::provider;
use crate::roster::{self};
use crate::time::when;

/// A submission, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Submission {
    pub org: Organisation,
    pub categories: Vec<String>,
    pub services: Vec<Service>,
    pub declarations: Vec<String>,
    pub ethics_version: String,
}

/// Reads a submission: the organisation, its categories and catalogue entries (keeping the ids
/// in `existing`), every declaration signed, and the current ethics code accepted. `certified`
/// is the caller's fiscal number as SPID or CIE certified it: see [`organisation::read`].
pub fn read_submission(
    input: &Input,
    certified: Option<&str>,
    settings: &Settings,
    existing: &[String],
    new_id: &mut dyn FnMut() -> String,
) -> std::result::Result<Submission, Problems> {
    let (org, mut problems) = match organisation::read(input, certified) {
        Ok(org) => (Some(org), Problems::default()),
        Err(problems) => (None, problems),
    };
    let categories = catalogue::read_categories(input, &settings.categories, &mut problems);
    let services = catalogue::read_services(
        input,
        &categories,
        settings.max_services,
        existing,
        new_id,
        &mut problems,
    );
    let signed: Vec<usize> = input
        .many("declarations")
        .iter()
        .filter_map(|n| n.parse::<usize>().ok())
        .collect();
    let missing: Vec<String> = (1..=settings.declarations.len())
        .filter(|n| !signed.contains(n))
        .map(|n| n.to_string())
        .collect();
    if !missing.is_empty() {
        problems.push(
            "declarations",
            t!(
                "admissions.application.declarations_missing",
                missing = missing.join(", ")
            ),
        );
    }
    let accepted = input.flag("accept_ethics").unwrap_or(false);
    let version = input.one("ethics_version").unwrap_or_default();
    if !accepted {
        problems.push(
            "accept_ethics",
            t!("admissions.application.ethics_not_accepted"),
        );
    } else if version != settings.ethics_code_version {
        problems.push(
            "ethics_version",
            t!(
                "admissions.application.ethics_outdated",
                current = settings.ethics_code_version,
                accepted = version
            ),
        );
    }
    match org {
        Some(org) if problems.is_empty() => Ok(Submission {
            org,
            categories,
            services,
            declarations: settings.declarations.clone(),
            ethics_version: settings.ethics_code_version.clone(),
        }),
        _ => Err(problems),
    }
}

/// The latest application of the organisation `tax_code` with `status`, by decision time.
fn latest(tax_code: &str, status: Status) -> Result<Option<Doc<Application>>> {
    Ok(APPLICATIONS
        .query()
        .filter("org.tax_code", Cmp::Eq, tax_code)
        .filter("status", Cmp::Eq, status.key())
        .order_by_desc("decided_at")
        .limit(1)
        .fetch()?
        .into_iter()
        .next())
}

/// What a waiting time runs from.
#[derive(Debug, Clone, Copy)]
enum Since {
    Revocation,
    Rejection,
}

/// Refuses an application sent before `reapply_after` has passed since `since`.
fn check_wait(since: i64, settings: &Settings, now: i64, what: Since) -> Result<()> {
    let from = since.saturating_add(settings.reapply_after.as_ms());
    if now < from {
        let wait = settings.reapply_after.describe();
        let from = when(from);
        return Err(Error::invalid(match what {
            Since::Revocation => t!(
                "admissions.application.wait_after_revocation",
                wait = wait,
                from = from
            ),
            Since::Rejection => t!(
                "admissions.application.wait_after_rejection",
                wait = wait,
                from = from
            ),
        }));
    }
    Ok(())
}

/// What the applicant's organisation is in the register, and so what its application is.
pub fn kind_for(
    user: &User,
    tax_code: &str,
    settings: &Settings,
    now: i64,
) -> Result<(Kind, Option<Doc<Provider>>)> {
    let Some(existing) = provider::by_tax_code(tax_code)? else {
        return Ok((Kind::Admission, None));
    };
    if existing.data.user_id != user.id {
        return Err(Error::conflict(t!(
            "admissions.application.managed_elsewhere"
        )));
    }
    match existing.data.status {
        provider::Status::Suspended => Err(Error::invalid(t!("admissions.application.suspended"))),
        provider::Status::Revoked => {
            let revoked_at = existing
                .data
                .history
                .iter()
                .rev()
                .find(|c| c.status == provider::Status::Revoked)
                .map_or(existing.data.updated_at, |c| c.at);
            check_wait(revoked_at, settings, now, Since::Revocation)?;
            Ok((Kind::Admission, Some(existing)))
        }
        provider::Status::Active | provider::Status::Expired => Ok((Kind::Renewal, Some(existing))),
    }
}

/// Files a checked submission by `user`: refused while the organisation has an application
/// under examination, or within `reapply_after` of a rejection.
pub fn submit(
    user: &User,
    sub: Submission,
    kind: Kind,
    provider_id: Option<String>,
    settings: &Settings,
    now: i64,
) -> Result<Doc<Application>> {
    if let Some(rejected) = latest(&sub.org.tax_code, Status::Rejected)? {
        let since = rejected.data.decided_at.unwrap_or(rejected.data.updated_at);
        check_wait(since, settings, now, Since::Rejection)?;
    }
    let id = store::new_id();
    let mut application = Application {
        kind,
        provider_id,
        user_id: user.id.clone(),
        username: user.username.clone(),
        org: sub.org,
        categories: sub.categories,
        services: sub.services,
        declarations: sub.declarations,
        ethics_version: sub.ethics_version,
        status: Status::Voting,
        ballot: Ballot::open(now, settings.voting_window.as_ms()),
        conflicts: Vec::new(),
        comments: Vec::new(),
        requests: Vec::new(),
        decision: None,
        decided_at: None,
        history: Vec::new(),
        // Received: its number in the instance's register, for the receipt. Taken in this
        // call, so a refusal below (another application of the organisation first) gives it
        // back.
        protocol: Some(trama_sdk::protocol::register(&format!(
            "admissions application {id}"
        ))?),
        submitted_at: now,
        updated_at: now,
    };
    application.step(now, &user.display_name, "submitted", None);
    let lock = Lock {
        case: id.clone(),
        at: now,
    };
    let mut batch = Batch::new();
    batch.create(&LOCKS, &lock_id(&application.org.tax_code), &lock);
    batch.create(&APPLICATIONS, &id, &application);
    match batch.commit() {
        Ok(versions) => {
            let doc = Doc {
                id: id.clone(),
                version: versions.get(1).copied().unwrap_or(1),
                data: application,
            };
            audit::record(
                "application.submitted",
                &id,
                &json!({
                    "kind": doc.data.kind,
                    "legal_name": doc.data.org.legal_name,
                    "tax_code": doc.data.org.tax_code,
                    "services": doc.data.services.len(),
                    "ethics_version": doc.data.ethics_version,
                }),
            )?;
            let electorate = roster::electorate(&doc.data.subject(), &[])?;
            notice::send_to_members(
                &electorate.voters,
                &format!("application/{id}/opened"),
                &(|| Message {
                    subject: t!(
                        "admissions.notice.opened_subject",
                        name = doc.data.org.legal_name
                    ),
                    body: t!(
                        "admissions.notice.opened_body",
                        name = doc.data.org.legal_name,
                        kind = doc.data.kind.label().to_lowercase(),
                        closes = when(doc.data.ballot.closes_at)
                    ),
                    link: Some(Application::link(&id)),
                }),
            );
            Ok(doc)
        }
        Err(Error::Conflict(_)) => Err(Error::conflict(t!("admissions.application.already_open"))),
        Err(err) => Err(err),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ballot::{Majority, Rule};
    use crate::duration::Duration;

    fn settings() -> Settings {
        Settings {
            network_name: "Rete".into(),
            ethics_code_version: "2025-1".into(),
            ethics_code_text: "Codice".into(),
            categories: vec!["alimentari".into(), "trasporto sociale".into()],
            declarations: vec!["Uno".into(), "Due".into()],
            rule: Rule {
                quorum_percent: 50,
                majority: Majority::Simple,
            },
            voting_window: Duration::from_ms(1000),
            voting_rounds: 2,
            accreditation_validity: Duration::from_ms(86_400_000),
            renewal_notice: Duration::from_ms(1000),
            reapply_after: Duration::from_ms(1000),
            max_services: 5,
        }
    }

    fn form(extra: &[(&str, &str)]) -> Input {
        let mut pairs = vec![
            ("legal_name", "Alimentari Rossi srl"),
            ("tax_code", "01234567897"),
            ("vat_number", "01234567897"),
            ("legal_form", "company"),
            ("street", "Via Roma 1"),
            ("postcode", "50122"),
            ("city", "Firenze"),
            ("province", "FI"),
            ("email", "info@rossi.it"),
            ("representative_name", "Mario Rossi"),
            ("representative_tax_code", "RSSMRA85T10A562S"),
            ("categories", "alimentari"),
            ("service_1_title", "Spesa a domicilio"),
            ("service_1_category", "alimentari"),
            (
                "service_1_description",
                "Consegna a casa per chi non può uscire",
            ),
        ];
        pairs.extend_from_slice(extra);
        Input::from_strs(&pairs)
    }

    fn ids() -> impl FnMut() -> String {
        let mut n = 0;
        move || {
            n += 1;
            format!("s{n}")
        }
    }

    #[test]
    fn a_complete_submission_signs_every_declaration_and_the_current_code() {
        let input = form(&[
            ("declarations", "1"),
            ("declarations", "2"),
            ("accept_ethics", "on"),
            ("ethics_version", "2025-1"),
        ]);
        let sub = read_submission(&input, None, &settings(), &[], &mut ids()).unwrap();
        assert_eq!(sub.declarations, vec!["Uno", "Due"]);
        assert_eq!(sub.ethics_version, "2025-1");
        assert_eq!(sub.services[0].id, "s1");
        assert_eq!(sub.org.legal_name, "Alimentari Rossi srl");
    }

    #[test]
    fn a_missing_declaration_or_an_old_code_is_refused() {
        let input = form(&[
            ("declarations", "2"),
            ("accept_ethics", "on"),
            ("ethics_version", "2024-3"),
        ]);
        let problems = read_submission(&input, None, &settings(), &[], &mut ids()).unwrap_err();
        assert!(problems.for_field("declarations").unwrap().contains("n. 1"));
        assert!(
            problems
                .for_field("ethics_version")
                .unwrap()
                .contains("«2025-1»")
        );
        let input = form(&[("declarations", "1"), ("declarations", "2")]);
        trama_sdk::i18n::set_locale("en");
        let problems = read_submission(&input, None, &settings(), &[], &mut ids()).unwrap_err();
        assert_eq!(
            problems.for_field("accept_ethics"),
            Some("joining the network requires accepting the ethics code")
        );
        trama_sdk::i18n::set_locale("it");
    }
}
