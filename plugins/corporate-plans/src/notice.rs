//! Messages to employees through the kernel's outbox (host API 1.2): HR's decision on a
//! reimbursement request, so that the employee need not keep checking their wallet's page.
//!
//! The message is written in the employee's own language — the one they chose on the site
//! (`identity::locale_of`, host API 1.5), else the instance's — from the catalogues'
//! `corporate_plans.notice`, not in the language of HR, whose request sends it. Its key, `reimbursement/{id}/decided`,
//! makes sending idempotent: a decision replayed (a double click, a retried request) does not
//! notify twice.
//!
//! Sending is best effort: the decision and its money are already stored when the message is
//! queued, so a message the kernel refuses is logged, never allowed to fail HR's request (the
//! decision is on the employee's wallet page anyway).

use trama_sdk::i18n::{self, Lang};
use trama_sdk::money::format_cents;
use trama_sdk::notify::{self, MAX_BODY, MAX_KEY, MAX_SUBJECT, Notification, cut};
use trama_sdk::store::Doc;
use trama_sdk::{identity, log};

use crate::category;
use crate::reimbursement::{Reimbursement, Returned, Status};
use crate::web::BASE;

/// The message telling the employee of HR's decision on `doc`: subject and body, in `locale`
/// (empty: the instance's language).
pub fn decided_message(doc: &Doc<Reimbursement>, locale: &str) -> (String, String) {
    let r = &doc.data;
    let text =
        |key: &str, args: &[(&str, &dyn std::fmt::Display)]| i18n::text_in(locale, key, args);
    // Italian amounts for every language but English, as `Lang` formats them.
    let amount = format_cents(r.amount_cents, Lang::from_locale(locale));
    let receipt = &r.receipt_reference;
    let what = category::label_in(locale, &r.category);
    let reason = r.reason.as_deref().filter(|s| !s.is_empty());
    let args: [(&str, &dyn std::fmt::Display); 4] = [
        ("amount", &amount),
        ("receipt", receipt),
        ("category", &what),
        ("date", &r.expense_date),
    ];
    let (subject, body) = match r.status {
        Status::Approved => {
            let mut body = text("corporate_plans.notice.approved_body", &args);
            if let Some(note) = reason {
                body.push('\n');
                body.push_str(&text("corporate_plans.notice.note", &[("note", &note)]));
            }
            (text("corporate_plans.notice.approved_subject", &args), body)
        }
        _ => {
            let reason = reason
                .map(str::to_owned)
                .unwrap_or_else(|| text("corporate_plans.notice.no_reason", &[]));
            let returned = match r.returned_to {
                Some(Returned::Company) => text("corporate_plans.notice.returned_to_company", &[]),
                _ => text("corporate_plans.notice.returned_to_wallet", &[]),
            };
            let body = format!(
                "{}\n{}\n{returned}",
                text("corporate_plans.notice.rejected_body", &args),
                text("corporate_plans.notice.reason", &[("reason", &reason)]),
            );
            (text("corporate_plans.notice.rejected_subject", &args), body)
        }
    };
    (cut(&subject, MAX_SUBJECT), cut(&body, MAX_BODY))
}

/// Tells the employee who asked for reimbursement `doc` of HR's decision, once.
pub fn reimbursement_decided(doc: &Doc<Reimbursement>) {
    if doc.data.status == Status::Pending {
        return;
    }
    let (subject, body) = decided_message(doc, &identity::locale_of(&doc.data.user_id));
    let key = cut(&format!("reimbursement/{}/decided", doc.id), MAX_KEY);
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
                submitted_at: 1,
                decided_at: Some(2),
                decided_by: Some("hr".into()),
                reason: reason.map(str::to_owned),
                returned_to,
                ..Reimbursement::sample(status, 5_000, "R-77")
            },
        }
    }

    #[test]
    fn a_rejection_says_why_and_where_the_money_went() {
        let (subject, body) = decided_message(
            &decided(
                Status::Rejected,
                Some("la ricevuta non è leggibile"),
                Some(Returned::Wallet),
            ),
            "",
        );
        assert_eq!(subject, "Rimborso respinto: 50,00 € (ricevuta R-77)");
        assert_eq!(
            body,
            "L'ufficio del personale ha respinto la tua richiesta di rimborso di 50,00 € per Istruzione e formazione (anche dei figli) (ricevuta R-77 del 2025-03-01).\n\
             Motivo: la ricevuta non è leggibile\n\
             L'importo è tornato nel tuo credito; puoi presentare di nuovo la ricevuta, corretta."
        );
        let (_, closed) = decided_message(
            &decided(
                Status::Rejected,
                Some("spesa non ammessa"),
                Some(Returned::Company),
            ),
            "",
        );
        assert!(closed.contains("tornato all'azienda"), "{closed}");
        let (_, unexplained) = decided_message(&decided(Status::Rejected, None, None), "");
        assert!(
            unexplained.contains("Motivo: non indicato"),
            "{unexplained}"
        );
    }

    #[test]
    fn an_approval_carries_hr_s_note_in_the_instance_s_language() {
        // HR answering in English does not change the employee's message.
        trama_sdk::i18n::set_locale("en");
        let (subject, body) = decided_message(
            &decided(Status::Approved, Some("cedolino di marzo"), None),
            "",
        );
        trama_sdk::i18n::set_locale("it");
        assert_eq!(subject, "Rimborso approvato: 50,00 € (ricevuta R-77)");
        assert!(
            body.ends_with("L'importo ti sarà pagato con lo stipendio.\nNota: cedolino di marzo"),
            "{body}"
        );
        let (_, plain) = decided_message(&decided(Status::Approved, None, None), "");
        assert!(plain.ends_with("con lo stipendio."), "{plain}");
    }

    #[test]
    fn an_employee_who_chose_english_is_told_in_english() {
        let (subject, body) = decided_message(&decided(Status::Approved, None, None), "en");
        assert_eq!(subject, "Reimbursement approved: €50.00 (receipt R-77)");
        assert!(
            body.ends_with("It will be paid with your salary."),
            "{body}"
        );
    }

    #[test]
    fn long_subjects_are_cut_on_a_character_boundary() {
        let mut doc = decided(Status::Approved, None, None);
        doc.data.receipt_reference = "è".repeat(100);
        let (subject, _) = decided_message(&doc, "");
        assert!(subject.len() <= MAX_SUBJECT, "{}", subject.len());
        assert!(subject.ends_with("..."));
    }
}
