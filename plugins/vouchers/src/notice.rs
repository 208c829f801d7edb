//! The outcome of an application, told to the applicant through the kernel's outbox (host API
//! 1.2): funded (with the voucher codes and their amounts, or the transfers ordered with the
//! last four characters of the IBAN), refused by an operator or by the
//! automatic checks (with the reasons), or not funded at the closing.
//!
//! The message is written in the applicant's own language — the one they chose on the site
//! (`identity::locale_of`, host API 1.5), else the instance's — from the catalogues'
//! `vouchers.notice`, not in the language of the operator or the job whose call sends it.
//! Its key, `outcome/{application id}/{status}`, makes it one message per outcome, however often
//! the closing replays a group or a request is retried. Applications an operator filed on
//! someone's behalf have no account to write to: that person hears it from the office.
//!
//! Sending is best effort: the outcome is already stored when the message is queued, so a
//! message the kernel refuses is logged, never allowed to fail the review or the closing (the
//! outcome is on the applicant's page anyway).

use trama_sdk::i18n;
use trama_sdk::money::format_cents;
use trama_sdk::notify::{self, MAX_BODY, MAX_KEY, MAX_SUBJECT, Notification, cut};
use trama_sdk::{code, identity, log, t};

use crate::application::{Application, Status};
use crate::rules::Reason;
use crate::web::BASE;

/// Subject and body telling the applicant of `app` its outcome, in the current language, or
/// `None` while it has none. `title` is the campaign's, `prefix` the instance's voucher prefix.
pub fn outcome_message(app: &Application, title: &str, prefix: &str) -> Option<(String, String)> {
    let lang = i18n::current();
    let reasons = || {
        app.reasons
            .iter()
            .map(|reason| format!("- {}", reason.describe(lang)))
            .collect::<Vec<_>>()
            .join("\n")
    };
    let (subject, mut body) = match app.status {
        // Paid by transfer: the amount, the days and the IBAN's last four characters only
        // (a message travels further than the page, where the answers show it whole).
        Status::Beneficiary if !app.transfers.is_empty() => {
            let total: i64 = app.transfers.iter().map(|o| o.amount_cents).sum();
            let body = format!(
                "{}\n{}",
                t!(
                    "vouchers.transfer.notice_body",
                    title = title,
                    amount = format_cents(total, lang)
                ),
                crate::transfer::describe(&app.transfers)
                    .iter()
                    .map(|line| format!("- {line}"))
                    .collect::<Vec<_>>()
                    .join("\n"),
            );
            (t!("vouchers.transfer.notice_subject", title = title), body)
        }
        Status::Beneficiary => {
            let total: i64 = app.vouchers.iter().map(|v| v.amount_cents).sum();
            let lines: Vec<String> = app
                .vouchers
                .iter()
                .map(|v| {
                    format!(
                        "- {}: {}",
                        code::display(&v.code, prefix),
                        format_cents(v.amount_cents, lang)
                    )
                })
                .collect();
            let body = format!(
                "{}\n{}\n{}",
                t!(
                    "vouchers.notice.funded_body",
                    title = title,
                    amount = format_cents(total, lang)
                ),
                lines.join("\n"),
                t!("vouchers.notice.funded_use"),
            );
            (t!("vouchers.notice.funded_subject", title = title), body)
        }
        Status::Rejected => {
            let reason = app.rejection.clone().unwrap_or_default();
            (
                t!("vouchers.notice.rejected_subject", title = title),
                t!(
                    "vouchers.notice.rejected_body",
                    title = title,
                    reason = reason
                ),
            )
        }
        Status::Ineligible => (
            t!("vouchers.notice.ineligible_subject", title = title),
            format!(
                "{}\n{}",
                t!("vouchers.notice.ineligible_body", title = title),
                reasons()
            ),
        ),
        Status::NotFunded => {
            let body = if app.reasons.contains(&Reason::NotRanked) {
                t!(
                    "vouchers.notice.not_ranked_body",
                    title = title,
                    reason = Reason::NotRanked.describe(lang)
                )
            } else {
                let mut body = t!("vouchers.notice.not_funded_body", title = title);
                if let Some(rank) = app.rank {
                    body.push('\n');
                    body.push_str(&t!("vouchers.notice.rank", rank = rank));
                }
                body
            };
            (
                t!("vouchers.notice.not_funded_subject", title = title),
                body,
            )
        }
        // A withdrawn notice tells its applicants itself (see `revise::announce`).
        Status::Eligible | Status::NeedsReview | Status::InfoRequested | Status::Cancelled => {
            return None;
        }
    };
    body.push_str("\n\n");
    body.push_str(&t!("vouchers.notice.see_page"));
    Some((cut(&subject, MAX_SUBJECT), cut(&body, MAX_BODY)))
}

/// Tells the applicant of application `id` its outcome, once, in their language.
pub fn outcome(id: &str, app: &Application, title: &str, prefix: &str) {
    let Some(recipient) = app.user_id.as_deref() else {
        return;
    };
    let Some((subject, body)) = in_language_of(recipient, || outcome_message(app, title, prefix))
    else {
        return;
    };
    // One message per outcome: a household not funded at the closing and funded later, when
    // budget came back, hears both.
    let key = cut(&format!("outcome/{id}/{}", app.status.key()), MAX_KEY);
    let message = Notification {
        recipient: recipient.to_owned(),
        subject,
        body,
        key: key.clone(),
        link: Some(format!("{BASE}/applications/{id}")),
    };
    match notify::send(&message) {
        Ok(true) => {}
        Ok(false) => log::debug(format!("notification {key} was already sent")),
        Err(err) => log::warn(format!(
            "could not tell {recipient} the outcome of {id}; their page shows it anyway: {err}"
        )),
    }
}

/// Runs `compose` in the language account `recipient` chose on the site (the instance's own
/// when they chose none), then gives the call back its caller's language.
pub(crate) fn in_language_of<T>(recipient: &str, compose: impl FnOnce() -> T) -> T {
    let caller = i18n::locale();
    i18n::set_locale(&identity::locale_of(recipient));
    let composed = compose();
    i18n::set_locale(&caller);
    composed
}
