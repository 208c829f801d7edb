//! Invitations: one link to the questionnaire for each person who received a service.
//!
//! The link holds a random secret ([`trama_sdk::code::token`]); the store keeps its SHA-256 as
//! the invitation's id, with the service, the month and when the link stops working — and no
//! account. Who was invited is known only to the kernel's outbox, which delivered the link.
//! When each person was last asked about each service is kept under the SHA-256 of the service
//! and their account, so that one person is asked at most once every `days_between` days.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use trama_sdk::notify::{self, Notification};
use trama_sdk::store::{Batch, Collection};
use trama_sdk::{Result, clock, code, local, t};

use crate::config::Settings;
use crate::source::{self, Delivery};

pub const INVITATIONS: Collection<Invitation> = Collection::new("invitations");
pub const LAST_INVITED: Collection<LastInvited> = Collection::new("last_invited");

const DAY_MS: i64 = 86_400_000;

/// One link sent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Invitation {
    pub service: String,
    /// The month of the service, `YYYY-MM`.
    pub month: String,
    /// After this (UTC milliseconds) the link no longer takes an answer.
    pub expires_at: i64,
    pub answered: bool,
}

/// When one person was last asked about one service.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LastInvited {
    /// Rome's date, `YYYY-MM-DD`.
    pub date: String,
    /// Days since 1970-01-01 of that date, for the spacing rule.
    pub day: i64,
    /// The event that caused it: a redelivery of the same event asks nobody twice.
    pub event: String,
}

/// Lower-case hex SHA-256 of `text`.
pub fn sha256_hex(text: &str) -> String {
    Sha256::digest(text.as_bytes())
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

/// The id of an invitation, from the secret of its link.
pub fn invitation_id(secret: &str) -> String {
    sha256_hex(secret)
}

/// The id under which `account`'s last invitation about `service` is kept.
pub fn last_invited_id(service: &str, account: &str) -> String {
    sha256_hex(&format!("surveys/last/{service}/{account}"))
}

/// The path of the questionnaire behind `secret`, inside the instance.
pub fn link(secret: &str) -> String {
    format!("{}/answer/{secret}", crate::web::BASE)
}

/// Invites everyone who received `delivery` (announced by event `event_id`), unless the
/// territory does not ask about that service, or they were asked about it less than
/// `days_between` days ago, or this event already invited them.
pub fn invite(event_id: &str, delivery: &Delivery) -> Result<()> {
    let settings = Settings::load()?;
    if !settings.surveys(delivery.service) {
        return Ok(());
    }
    let now = clock::now_ms();
    let today = local::today(now);
    for account in &delivery.accounts {
        let last_id = last_invited_id(delivery.service, account);
        let last = LAST_INVITED.get(&last_id)?;
        if let Some(last) = &last
            && (last.data.event == event_id
                || today.days_since_epoch() - last.data.day < i64::from(settings.days_between))
        {
            continue;
        }
        let secret = code::token();
        let mut batch = Batch::new();
        batch.create(
            &INVITATIONS,
            &invitation_id(&secret),
            &Invitation {
                service: delivery.service.to_owned(),
                month: delivery.month.clone(),
                expires_at: now + i64::from(settings.answer_days) * DAY_MS,
                answered: false,
            },
        );
        let stamp = LastInvited {
            date: today.to_string(),
            day: today.days_since_epoch(),
            event: event_id.to_owned(),
        };
        match &last {
            Some(doc) => batch.put_if_version(&LAST_INVITED, &last_id, &stamp, doc.version),
            None => batch.create(&LAST_INVITED, &last_id, &stamp),
        };
        batch.commit()?;
        let service = source::title(delivery.service);
        notify::send(&Notification {
            recipient: account.clone(),
            subject: notify::cut(
                &t!("surveys.invite.subject", service = service),
                notify::MAX_SUBJECT,
            ),
            body: t!(
                "surveys.invite.body",
                service = service,
                days = settings.answer_days
            ),
            key: format!(
                "survey/{}",
                code::short_id(&format!("{event_id}/{last_id}"))
            ),
            link: Some(link(&secret)),
        })?;
    }
    Ok(())
}
