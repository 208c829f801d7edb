//! A notice's changes in plain words, in the reader's language: the history on the public
//! page and the message that tells applicants.

use serde::Serialize;
use trama_sdk::i18n::{self, Lang};
use trama_sdk::money::format_cents;
use trama_sdk::notify::{MAX_BODY, MAX_SUBJECT, cut};
use trama_sdk::{local, t};

use super::{Cancellation, Change, Kind, Revision};

/// `YYYY-MM-DD` as the reader's language writes dates.
pub fn date(day: &str) -> String {
    crate::rulebook::answer::show_date(day, i18n::current())
}

/// What one part of the rules is called, for "the eligibility changed".
fn part(field: &str) -> String {
    match field {
        "measure" => t!("vouchers.revision.part.measure"),
        "opens_on" => t!("vouchers.revision.part.opens_on"),
        "fields" => t!("vouchers.revision.part.fields"),
        "eligibility" => t!("vouchers.revision.part.eligibility"),
        "amounts" => t!("vouchers.revision.part.amounts"),
        "denominations" => t!("vouchers.revision.part.denominations"),
        "ranking" => t!("vouchers.revision.part.ranking"),
        "review_rules" => t!("vouchers.revision.part.review_rules"),
        "rulebook" => t!("vouchers.revision.part.rulebook"),
        "payment" => t!("vouchers.revision.part.payment"),
        "shops" => t!("vouchers.revision.part.shops"),
        other => other.to_owned(),
    }
}

/// One change in words: "Chiusura delle domande: dal 22/01/2026 al 31/01/2026".
pub fn change(change: &Change) -> String {
    match change.field.as_str() {
        "title" => t!(
            "vouchers.revision.change_title",
            before = change.before,
            after = change.after
        ),
        "closes_on" => t!(
            "vouchers.revision.change_closes_on",
            before = date(&change.before),
            after = date(&change.after)
        ),
        "opens_on" => t!(
            "vouchers.revision.change_opens_on",
            before = date(&change.before),
            after = date(&change.after)
        ),
        "description" => t!("vouchers.revision.change_description"),
        "state" => t!("vouchers.revision.change_cancelled"),
        other => t!("vouchers.revision.change_rules", part = part(other)),
    }
}

/// A version's change as pages and the API show it.
#[derive(Debug, Clone, Serialize)]
pub struct RevisionView {
    pub number: u32,
    pub kind: Kind,
    pub kind_label: String,
    pub at: i64,
    /// In Rome's time, in the reader's language.
    pub at_text: String,
    pub reason: String,
    /// What changed, in plain words.
    pub changes: Vec<String>,
    /// Who made it: for operators only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub by: Option<String>,
}

impl RevisionView {
    pub fn new(revision: &Revision, lang: Lang, operator: bool) -> Self {
        Self {
            number: revision.number,
            kind: revision.kind,
            kind_label: revision.kind.label(),
            at: revision.at,
            at_text: local::long_date_time(revision.at, lang),
            reason: revision.reason.clone(),
            changes: revision.changes.iter().map(change).collect(),
            by: operator.then(|| revision.by.clone()),
        }
    }
}

/// A withdrawal as pages and the API show it.
#[derive(Debug, Clone, Serialize)]
pub struct CancellationView {
    pub at: i64,
    pub at_text: String,
    pub reason: String,
    pub refunded_cents: i64,
    pub refunded_text: String,
}

impl CancellationView {
    pub fn new(cancellation: &Cancellation, lang: Lang) -> Self {
        Self {
            at: cancellation.at,
            at_text: local::long_date_time(cancellation.at, lang),
            reason: cancellation.reason.clone(),
            refunded_cents: cancellation.refunded_cents,
            refunded_text: format_cents(cancellation.refunded_cents, lang),
        }
    }
}

/// Subject and body telling an applicant of `title` about `revision`, in the current
/// language: what changed, why, and what it means for their application.
pub fn message(title: &str, revision: &Revision) -> (String, String) {
    let subject = match revision.kind {
        Kind::Edited => t!("vouchers.revision.subject_edited", title = title),
        Kind::Extended => t!("vouchers.revision.subject_extended", title = title),
        Kind::Cancelled => t!("vouchers.revision.subject_cancelled", title = title),
    };
    let mut body = t!(
        "vouchers.revision.body_intro",
        title = title,
        version = revision.number,
        when = local::long_date_time(revision.at, i18n::current())
    );
    for line in revision.changes.iter().map(change) {
        body.push_str("\n- ");
        body.push_str(&line);
    }
    body.push_str("\n\n");
    body.push_str(&t!(
        "vouchers.revision.body_reason",
        reason = revision.reason
    ));
    body.push_str("\n\n");
    body.push_str(&match revision.kind {
        Kind::Cancelled => t!("vouchers.revision.body_cancelled"),
        Kind::Edited | Kind::Extended => t!("vouchers.revision.body_still_valid"),
    });
    (cut(&subject, MAX_SUBJECT), cut(&body, MAX_BODY))
}
