//! What an organisation is about to send, in words: the summary its representative checks
//! before the application is stored (the form's second step, see `trama_sdk::submit::Step`),
//! in the order of the form.

use trama_sdk::t;

use super::Submission;

/// The lines of the summary, as `(question, answer)`: who the organisation is, where, how to
/// reach it, who represents it, what it offers, and what it signed.
pub fn lines(submission: &Submission) -> Vec<(String, String)> {
    let org = &submission.org;
    let mut lines = vec![
        (t!("admissions.apply.legal_name"), org.legal_name.clone()),
        (t!("admissions.common.legal_form"), org.legal_form.label()),
        (t!("admissions.common.tax_code"), org.tax_code.clone()),
    ];
    if let Some(vat) = &org.vat_number {
        lines.push((t!("admissions.common.vat_number"), vat.clone()));
    }
    lines.push((
        t!("admissions.common.registered_office"),
        format!(
            "{}, {} {} ({})",
            org.street, org.postcode, org.city, org.province
        ),
    ));
    let contacts: Vec<&str> = [
        Some(&org.email),
        org.pec.as_ref(),
        org.phone.as_ref(),
        org.website.as_ref(),
    ]
    .into_iter()
    .flatten()
    .map(String::as_str)
    .collect();
    lines.push((t!("admissions.common.contacts"), contacts.join(" · ")));
    lines.push((
        t!("admissions.common.legal_representative"),
        format!(
            "{} ({})",
            org.representative_name, org.representative_tax_code
        ),
    ));
    lines.push((
        t!("admissions.common.categories"),
        submission.categories.join(", "),
    ));
    for (i, service) in submission.services.iter().enumerate() {
        lines.push((
            t!("admissions.apply.service_n", n = i + 1),
            format!(
                "{} ({}): {}",
                service.title, service.category, service.description
            ),
        ));
    }
    lines.push((
        t!("admissions.application.declarations"),
        t!(
            "admissions.summary.declarations_signed",
            n = submission.declarations.len()
        ),
    ));
    lines.push((
        t!("admissions.common.ethics_accepted"),
        t!(
            "admissions.common.version",
            version = submission.ethics_version.as_str()
        ),
    ));
    lines
}
