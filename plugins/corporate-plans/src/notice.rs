//! Messages to employees through the kernel's outbox (host API 1.2): HR's decision on a
//! reimbursement request, so that the employee need not keep checking their wallet's page.
//!
//! The plugin does not know the recipient's language, so each message is written in Italian and
//! then in English. Its key, `reimbursement/{id}/decided`, makes sending idempotent: a decision
//! replayed (a double click, a retried request) does not notify twice.
//!
//! Sending is best effort: the decision and its money are already stored when the message is
//! queued, so a message the kernel refuses is logged, never allowed to fail HR's request (the
//! decision is on the employee's wallet page anyway).

use trama_sdk::i18n::Lang;
use trama_sdk::log;
use trama_sdk::money::format_cents;
use trama_sdk::notify::{self, Notification};
use trama_sdk::store::Doc;

use crate::category;
use crate::reimbursement::{Reimbursement, Returned, Status};
use crate::web::BASE;

/// What the outbox accepts for a subject line, in bytes.
const MAX_SUBJECT: usize = 200;
/// And for a body.
const MAX_BODY: usize = 8 * 1024;

/// Cuts `text` to at most `max` bytes on a character boundary.
fn cut(text: &str, max: usize) -> String {
    if text.len() <= max {
        return text.to_owned();
    }
    let mut end = max.saturating_sub(3);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}...", &text[..end])
}

/// The message's subject and body in one language.
fn written(r: &Reimbursement, lang: Lang) -> (String, String) {
    let amount = format_cents(r.amount_cents, lang);
    let receipt = &r.receipt_reference;
    let what = category::label(&r.category, lang);
    let reason = r.reason.as_deref().filter(|s| !s.is_empty());
    match (lang, r.status) {
        (Lang::It, Status::Approved) => (
            format!("Rimborso approvato: {amount} (ricevuta {receipt})"),
            format!(
                "L'ufficio del personale ha approvato la tua richiesta di rimborso di {amount} per {what} (ricevuta {receipt} del {}). L'importo ti sarà pagato con lo stipendio.{}",
                r.expense_date,
                reason.map(|n| format!("\nNota: {n}")).unwrap_or_default()
            ),
        ),
        (Lang::En, Status::Approved) => (
            format!("Reimbursement approved: {amount} (receipt {receipt})"),
            format!(
                "Your HR office approved your request to be reimbursed {amount} for {what} (receipt {receipt} of {}). It will be paid with your salary.{}",
                r.expense_date,
                reason.map(|n| format!("\nNote: {n}")).unwrap_or_default()
            ),
        ),
        (Lang::It, _) => (
            format!("Rimborso respinto: {amount} (ricevuta {receipt})"),
            format!(
                "L'ufficio del personale ha respinto la tua richiesta di rimborso di {amount} per {what} (ricevuta {receipt} del {}).\nMotivo: {}\n{}",
                r.expense_date,
                reason.unwrap_or("non indicato"),
                match r.returned_to {
                    Some(Returned::Company) => {
                        "Il piano è chiuso: l'importo è tornato all'azienda insieme al credito non speso."
                    }
                    _ => {
                        "L'importo è tornato nel tuo credito; puoi presentare di nuovo la ricevuta, corretta."
                    }
                }
            ),
        ),
        (Lang::En, _) => (
            format!("Reimbursement rejected: {amount} (receipt {receipt})"),
            format!(
                "Your HR office rejected your request to be reimbursed {amount} for {what} (receipt {receipt} of {}).\nReason: {}\n{}",
                r.expense_date,
                reason.unwrap_or("not given"),
                match r.returned_to {
                    Some(Returned::Company) => {
                        "The plan is closed: the amount went back to the company with the unspent credit."
                    }
                    _ =>
                        "The amount is back in your credit; you may submit the receipt again, corrected.",
                }
            ),
        ),
    }
}

/// The message telling the employee of HR's decision on `doc`: subject and body, Italian then
/// English.
pub fn decided_message(doc: &Doc<Reimbursement>) -> (String, String) {
    let (subject_it, body_it) = written(&doc.data, Lang::It);
    let (subject_en, body_en) = written(&doc.data, Lang::En);
    (
        cut(&format!("{subject_it} / {subject_en}"), MAX_SUBJECT),
        cut(&format!("{body_it}\n\n— English —\n\n{body_en}"), MAX_BODY),
    )
}

/// Tells the employee who asked for reimbursement `doc` of HR's decision, once.
pub fn reimbursement_decided(doc: &Doc<Reimbursement>) {
    if doc.data.status == Status::Pending {
        return;
    }
    let (subject, body) = decided_message(doc);
    let key = cut(&format!("reimbursement/{}/decided", doc.id), MAX_SUBJECT);
    let notification = Notification {
        recipient: doc.data.user_id.clone(),
        subject,
        body,
        key: key.clone(),
        link: Some(format!("{BASE}/wallets/{}", doc.data.enrolment)),
    };
    match notify::send(&notification) {
        Ok(true) => {}
        Ok(false) => log::debug(format!("notification {key} was already sent")),
        Err(err) => log::warn(format!(
            "could not notify {} of {key}; the wallet's page shows the decision anyway: {err}",
            doc.data.user_id
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decided(
        status: Status,
        reason: Option<&str>,
        returned_to: Option<Returned>,
    ) -> Doc<Reimbursement> {
        Doc {
            id: "p.anna.R77".into(),
            version: 2,
            data: Reimbursement {
                plan: "p".into(),
                company: "c".into(),
                enrolment: "p.anna".into(),
                user_id: "u".into(),
                employee_name: "Anna Rossi".into(),
                category: "education".into(),
                amount_cents: 5_000,
                expense_date: "2025-03-01".into(),
                receipt_reference: "R-77".into(),
                description: String::new(),
                status,
                submitted_at: 1,
                decided_at: Some(2),
                decided_by: Some("hr".into()),
                reason: reason.map(str::to_owned),
                returned_to,
            },
        }
    }

    #[test]
    fn a_rejection_says_why_and_where_the_money_went() {
        let (subject, body) = decided_message(&decided(
            Status::Rejected,
            Some("la ricevuta non è leggibile"),
            Some(Returned::Wallet),
        ));
        assert_eq!(
            subject,
            "Rimborso respinto: 50,00 € (ricevuta R-77) / Reimbursement rejected: €50.00 (receipt R-77)"
        );
        assert!(
            body.contains("Motivo: la ricevuta non è leggibile"),
            "{body}"
        );
        assert!(body.contains("tornato nel tuo credito"), "{body}");
        assert!(body.contains("— English —"), "{body}");
        let (_, closed) = decided_message(&decided(
            Status::Rejected,
            Some("spesa non ammessa"),
            Some(Returned::Company),
        ));
        assert!(closed.contains("tornato all'azienda"), "{closed}");
    }

    #[test]
    fn an_approval_carries_hr_s_note() {
        let (subject, body) =
            decided_message(&decided(Status::Approved, Some("cedolino di marzo"), None));
        assert!(
            subject.starts_with("Rimborso approvato: 50,00 €"),
            "{subject}"
        );
        assert!(body.contains("Nota: cedolino di marzo"), "{body}");
        assert!(body.contains("Note: cedolino di marzo"), "{body}");
    }

    #[test]
    fn long_subjects_are_cut_on_a_character_boundary() {
        let mut doc = decided(Status::Approved, None, None);
        doc.data.receipt_reference = "è".repeat(100);
        let (subject, _) = decided_message(&doc);
        assert!(subject.len() <= MAX_SUBJECT, "{}", subject.len());
        assert!(subject.ends_with("..."));
    }
}
