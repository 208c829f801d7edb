//! The kernel's own mail: `trama serve` sends the notification outbox of every instance with
//! a `[mail]` table to its SMTP server.
//!
//! Each instance has one worker ([`run_worker`]). Every `[mail] poll_interval` it takes the
//! pending messages that are due, claims each one for this node ([`crate::notify::delivery`]:
//! a lease in the row, so that nodes sharing a database never send one message twice at
//! once), renders it through the instance's theme in the recipient's language and hands it to
//! the SMTP server. Then:
//!
//! - **accepted**: the message is sent (`sent_at`);
//! - **refused for now** (a 4xx reply, no connection, TLS or timeout): it is tried again after
//!   `retry_base`, doubling each time up to `retry_max`, until `max_attempts` attempts were
//!   made; then it is failed;
//! - **refused for good** (a 5xx reply, or an account without an e-mail address): it is failed
//!   at once, with the reason (`last_error`), and only an administrator's [`retry`] sends it
//!   again. A 5xx refusing this server's login (530, 534, 535, 538) is the configuration's
//!   fault, not the message's: it is retried like a 4xx.
//!
//! ## A crash between sending and recording
//!
//! The SMTP server's acceptance and the `sent_at` update cannot be one transaction. A node
//! stopped after the server accepted a message and before the row was updated leaves a lease
//! that expires (after [`LEASE_MS`]); then a node sends the message again, as a new attempt.
//! Both copies carry the same `Message-ID` ([`compose::message_id`], from the notification's
//! id), so receiving systems and mail readers can recognise the second as a duplicate. A
//! message is therefore delivered at least once and, short of such a crash, exactly once.
//!
//! Why a lease and not a transaction held during the send: an SMTP exchange takes seconds to
//! minutes; holding a database transaction (or PostgreSQL row lock) that long would pin a
//! pooled connection per message and, on SQLite, block every other writer.

mod compose;
mod smtp;

pub use crate::notify::delivery::{Delivery, MailState};
pub use crate::notify::{count, list, retry};
pub use compose::message_id;
pub use smtp::SetupError;

use std::sync::Arc;
use std::time::Duration;

use sea_orm::DbErr;
use tokio::sync::watch;
use trama_manifest::MailSection;

use crate::events::db_now_ms;
use crate::instance::Instance;
use crate::live::LiveInstance;
use crate::notify::delivery::{self, Claim, Outgoing};

/// How long a claim reserves a message for the node sending it. Longer than a send can last
/// ([`SEND_TIMEOUT`]), so a live node never loses its message to another; a dead node's
/// messages wait this long before another node sends them.
pub const LEASE_MS: i64 = 5 * 60 * 1000;
/// The longest one message may take to hand over, connection and TLS included.
const SEND_TIMEOUT: Duration = Duration::from_secs(120);
/// Messages taken per query.
const BATCH: u32 = 20;
/// How often an instance without `[mail]` is looked at again (a reload may add it).
const IDLE: Duration = Duration::from_secs(5);

/// What became of one attempt.
enum Outcome {
    Sent,
    /// Worth trying again later: why not now.
    Retry(String),
    /// Never worth trying again by itself: why.
    Fail(String),
}

/// Sends the mail of `live` until `stopped` flips; idles while its manifest has no `[mail]`.
/// A changed `[mail]` (a reload) takes effect at the next poll.
pub async fn run_worker(live: Arc<LiveInstance>, mut stopped: watch::Receiver<bool>) {
    let mut sender: Option<(MailSection, Option<smtp::Sender>)> = None;
    loop {
        let instance = live.current();
        let wait = match &instance.manifest.mail {
            None => {
                sender = None;
                IDLE
            }
            Some(config) => {
                if sender.as_ref().map(|(used, _)| used) != Some(config) {
                    let built = smtp::Sender::new(config, |name| std::env::var(name).ok());
                    if let Err(err) = &built {
                        tracing::error!(instance = %instance.id(), error = %err, "mail cannot be sent");
                    } else {
                        tracing::info!(instance = %instance.id(), host = %config.host, port = config.port,
                            tls = config.tls.as_str(), "sending mail");
                    }
                    sender = Some((config.clone(), built.ok()));
                }
                if let Some((_, Some(smtp))) = &sender
                    && let Err(err) = send_due(&instance, config, smtp, &stopped).await
                {
                    tracing::error!(instance = %instance.id(), error = %err, "mail delivery failed");
                }
                config.poll_interval
            }
        };
        tokio::select! {
            _ = tokio::time::sleep(wait) => {}
            _ = stopped.changed() => return,
        }
    }
}

/// Sends every message due now, one at a time, until none is left or the server stops.
async fn send_due(
    instance: &Instance,
    config: &MailSection,
    smtp: &smtp::Sender,
    stopped: &watch::Receiver<bool>,
) -> Result<(), DbErr> {
    let db = &instance.db;
    let node = crate::node::id();
    let max_attempts = i64::from(config.max_attempts);
    loop {
        let now = db_now_ms(db).await?;
        let due = delivery::due(db, instance.id(), now, BATCH).await?;
        let mut progressed = false;
        for outgoing in due {
            if *stopped.borrow() {
                return Ok(());
            }
            let now = db_now_ms(db).await?;
            if outgoing.attempts >= max_attempts {
                // Every attempt was claimed but the last never reported back.
                progressed |= delivery::abandon(db, instance.id(), &outgoing, now).await?;
                continue;
            }
            if !delivery::claim(db, instance.id(), &outgoing, node, now, now + LEASE_MS).await? {
                continue;
            }
            progressed = true;
            let claim = Claim {
                instance: instance.id(),
                id: &outgoing.message.id,
                node,
                attempt: outgoing.attempts + 1,
            };
            let outcome = attempt(instance, config, smtp, &outgoing).await;
            record(instance, config, claim, outcome).await?;
        }
        if !progressed {
            return Ok(());
        }
    }
}

/// One attempt at handing `outgoing` to the SMTP server.
async fn attempt(
    instance: &Instance,
    config: &MailSection,
    smtp: &smtp::Sender,
    outgoing: &Outgoing,
) -> Outcome {
    let to = match compose::recipient(outgoing) {
        Ok(to) => to,
        Err(reason) => return Outcome::Fail(reason),
    };
    let mail = match compose::compose(instance, config, outgoing, to) {
        Ok(mail) => mail,
        Err(reason) => return Outcome::Retry(reason),
    };
    match tokio::time::timeout(SEND_TIMEOUT, smtp.send(mail)).await {
        Ok(Ok(())) => Outcome::Sent,
        Ok(Err(err)) if err.is_permanent() && !is_login_refusal(&err) => Outcome::Fail(format!(
            "the SMTP server {}:{} refused the message: {err}",
            config.host, config.port
        )),
        Ok(Err(err)) => Outcome::Retry(format!(
            "the SMTP server {}:{} did not take the message: {err}",
            config.host, config.port
        )),
        Err(_) => Outcome::Retry(format!(
            "the SMTP server {}:{} did not finish within {} s",
            config.host,
            config.port,
            SEND_TIMEOUT.as_secs()
        )),
    }
}

/// Whether a 5xx reply is about this server's login (530 authentication required, 534, 535
/// credentials invalid, 538 encryption required): a fault of `[mail]` or the environment,
/// not of the message, so the message waits for the fix instead of failing for good.
fn is_login_refusal(err: &lettre::transport::smtp::Error) -> bool {
    err.status()
        .is_some_and(|code| matches!(code.to_string().as_str(), "530" | "534" | "535" | "538"))
}

/// Writes the outcome of an attempt, if this node's claim still holds.
async fn record(
    instance: &Instance,
    config: &MailSection,
    claim: Claim<'_>,
    outcome: Outcome,
) -> Result<(), DbErr> {
    let db = &instance.db;
    let now = db_now_ms(db).await?;
    let (kept, what) = match outcome {
        Outcome::Sent => (delivery::mark_delivered(db, claim, now).await?, "sent"),
        Outcome::Fail(reason) => {
            tracing::warn!(instance = %claim.instance, notification = %claim.id, %reason, "mail failed for good");
            (delivery::fail(db, claim, now, &reason).await?, "failed")
        }
        Outcome::Retry(reason) if claim.attempt >= i64::from(config.max_attempts) => {
            let reason = format!("{reason} (given up after {} attempts)", claim.attempt);
            tracing::warn!(instance = %claim.instance, notification = %claim.id, %reason, "mail failed");
            (delivery::fail(db, claim, now, &reason).await?, "failed")
        }
        Outcome::Retry(reason) => {
            let wait = backoff(config, claim.attempt);
            tracing::warn!(instance = %claim.instance, notification = %claim.id, %reason,
                retry_in_s = wait.as_secs(), "mail deferred");
            let next = now.saturating_add(i64::try_from(wait.as_millis()).unwrap_or(i64::MAX / 4));
            (delivery::defer(db, claim, next, &reason).await?, "deferred")
        }
    };
    if kept {
        tracing::debug!(instance = %claim.instance, notification = %claim.id, attempt = claim.attempt, "mail {what}");
    } else {
        tracing::warn!(instance = %claim.instance, notification = %claim.id,
            "the claim on this mail expired before its outcome ({what}) was recorded");
    }
    Ok(())
}

/// The wait after failed attempt number `attempt` (1 for the first): `retry_base`, doubled
/// for each attempt after the first, at most `retry_max`.
fn backoff(config: &MailSection, attempt: i64) -> Duration {
    let doublings = u32::try_from(attempt.saturating_sub(1).clamp(0, 30)).unwrap_or(30);
    config
        .retry_base
        .saturating_mul(2u32.saturating_pow(doublings))
        .min(config.retry_max)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_wait_doubles_from_the_base_up_to_the_maximum() {
        let config = MailSection {
            host: "smtp.example".into(),
            port: 587,
            tls: trama_manifest::TlsMode::Starttls,
            from: "noreply@example.org".into(),
            from_name: "Prova".into(),
            base_url: "https://example.org".into(),
            username_env: None,
            password_env: None,
            poll_interval: Duration::from_secs(5),
            retry_base: Duration::from_secs(60),
            retry_max: Duration::from_secs(6 * 3600),
            max_attempts: 8,
        };
        let waits: Vec<u64> = (1..=10).map(|n| backoff(&config, n).as_secs()).collect();
        assert_eq!(
            waits,
            [60, 120, 240, 480, 960, 1920, 3840, 7680, 15360, 21600]
        );
    }

    #[test]
    fn the_message_id_depends_only_on_the_notification() {
        assert_eq!(
            message_id("demo", "01ABC", "noreply@comune.example"),
            "<notification.01ABC.demo@comune.example>"
        );
    }
}
