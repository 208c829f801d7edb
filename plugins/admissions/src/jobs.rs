//! The `deadlines` job (every 30 seconds, see `plugin.toml`), on the kernel's clock:
//!
//! 1. decides the applications and proceedings whose window closed, or whose rule is met after
//!    the roster changed, and opens another window where quorum was missed and rounds remain;
//! 2. expires the accreditations whose validity ran out without a renewal
//!    (`admissions.provider_expired`);
//! 3. reminds providers `renewal_notice` before their expiry, once per expiry.
//!
//! A case that fails is logged and left for the next run; the run itself succeeds, because the
//! kernel keeps a call's events only when the call succeeds, and the other cases' decisions must
//! keep theirs. Each run handles a bounded number of cases, well within the kernel's cap of
//! events per call; the rest wait for the next run.

use serde_json::json;
use trama_contracts::admissions::ProviderEvent;
use trama_sdk::store::Cmp;
use trama_sdk::{Error, Result, audit, clock, log, t};

use crate::application::{self, Settled};
use crate::config::Settings;
use crate::motion;
use crate::notice::{self, Message};
use crate::provider::{self, Change, PROVIDERS, Status};
use crate::time::when;

pub const DEADLINES: &str = "deadlines";
/// Cases of each kind one run looks at.
const PER_RUN: u32 = 200;

pub fn deadlines() -> Result<()> {
    let settings = Settings::load()?;
    let now = clock::now_ms();
    // Each step logs its own failures and lets the others run: a failed run would drop the
    // events of the decisions already taken in it.
    if let Err(err) = settle_applications(&settings, now) {
        log::error(format!("listing the open applications failed: {err}"));
    }
    if let Err(err) = settle_motions(&settings, now) {
        log::error(format!("listing the open proceedings failed: {err}"));
    }
    if let Err(err) = expire_due(now) {
        log::error(format!("listing the expired accreditations failed: {err}"));
    }
    if let Err(err) = remind(&settings, now) {
        log::error(format!("listing the accreditations to renew failed: {err}"));
    }
    Ok(())
}

fn settle_applications(settings: &Settings, now: i64) -> Result<()> {
    let open = application::open_ids(PER_RUN)?;
    settle_each("application", open, |id| {
        application::settle(id, settings, now)
    });
    Ok(())
}

fn settle_motions(settings: &Settings, now: i64) -> Result<()> {
    let open = motion::open_ids(PER_RUN)?;
    settle_each("proceeding", open, |id| motion::settle(id, settings, now));
    Ok(())
}

/// Settles each open case of one kind (`kind` names it in the log): one that fails is logged
/// and left for the next run, without holding back the others.
fn settle_each(kind: &str, open: Vec<String>, settle: impl Fn(&str) -> Result<Settled>) {
    for id in open {
        match settle(&id) {
            Ok(Settled::Nothing) => {}
            Ok(Settled::NewRound) => log::info(format!("{kind} {id}: quorum missed, new round")),
            Ok(Settled::Decided(outcome)) => {
                log::info(format!("{kind} {id} decided: {}", outcome.key()))
            }
            Err(err) => log::error(format!(
                "settling {kind} {id} failed; next run tries again: {err}"
            )),
        }
    }
}

/// Active and suspended accreditations past their expiry.
fn expire_due(now: i64) -> Result<()> {
    for status in [Status::Active, Status::Suspended] {
        let due = PROVIDERS
            .query()
            .filter("status", Cmp::Eq, status.key())
            .filter("expires_at", Cmp::Le, now)
            .limit(PER_RUN)
            .fetch()?;
        for doc in due {
            let id = doc.id.clone();
            if let Err(err) = expire(doc, now) {
                log::error(format!(
                    "expiring provider {id} failed; next run tries again: {err}"
                ));
            }
        }
    }
    Ok(())
}

/// Ends an accreditation whose validity ran out.
fn expire(mut doc: trama_sdk::store::Doc<provider::Provider>, now: i64) -> Result<()> {
    // Jobs run in the instance's own language, which `t!` speaks here.
    let reason = t!(
        "admissions.provider.expired_reason",
        date = doc.data.expires_on
    );
    doc.data.status = Status::Expired;
    doc.data.history.push(Change {
        at: now,
        status: Status::Expired,
        action: "expired".into(),
        reason: None,
        case: None,
    });
    doc.data.updated_at = now;
    match PROVIDERS.put_if_version(&doc.id, &doc.data, doc.version) {
        Ok(_) => {}
        // Renewed or changed meanwhile: the next run looks again.
        Err(Error::Conflict(_)) => return Ok(()),
        Err(err) => return Err(err),
    }
    ProviderEvent::Expired(provider::status_change(&doc.id, &doc.data, &reason)).publish()?;
    audit::record(
        "provider.expired",
        &doc.id,
        &json!({ "expires_on": doc.data.expires_on }),
    )?;
    notice::send(
        &doc.data.user_id,
        &format!("provider/{}/expired/{}", doc.id, doc.data.expires_at),
        &(|| Message {
            subject: t!("admissions.notice.expired_subject"),
            body: t!(
                "admissions.notice.expired_body",
                name = doc.data.org.legal_name,
                date = doc.data.expires_on
            ),
            link: Some("/p/admissions/apply".into()),
        }),
    );
    log::info(format!("provider {} expired", doc.id));
    Ok(())
}

/// Reminds each active provider whose expiry is within `renewal_notice`, once per expiry.
fn remind(settings: &Settings, now: i64) -> Result<()> {
    let horizon = now.saturating_add(settings.renewal_notice.as_ms());
    let due = PROVIDERS
        .query()
        .filter("status", Cmp::Eq, Status::Active.key())
        .filter("expires_at", Cmp::Le, horizon)
        .order_by("expires_at")
        .limit(PER_RUN)
        .fetch()?;
    for mut doc in due {
        if doc.data.reminded_for == Some(doc.data.expires_at) {
            continue;
        }
        doc.data.reminded_for = Some(doc.data.expires_at);
        match PROVIDERS.put_if_version(&doc.id, &doc.data, doc.version) {
            Ok(_) => {}
            Err(Error::Conflict(_)) => continue,
            Err(err) => {
                log::error(format!("reminding provider {} failed: {err}", doc.id));
                continue;
            }
        }
        if let Err(err) = audit::record(
            "provider.renewal_reminded",
            &doc.id,
            &json!({ "expires_on": doc.data.expires_on }),
        ) {
            log::error(format!(
                "auditing the reminder of provider {}: {err}",
                doc.id
            ));
        }
        notice::send(
            &doc.data.user_id,
            &format!("provider/{}/renew/{}", doc.id, doc.data.expires_at),
            &(|| Message {
                subject: t!("admissions.notice.renew_subject"),
                body: t!(
                    "admissions.notice.renew_body",
                    name = doc.data.org.legal_name,
                    date = doc.data.expires_on,
                    at = when(doc.data.expires_at),
                    window = settings.voting_window.describe()
                ),
                link: Some("/p/admissions/apply".into()),
            }),
        );
    }
    Ok(())
}
