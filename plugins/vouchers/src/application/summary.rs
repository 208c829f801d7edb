//! What a person is about to send, in words: the summary shown before an application is
//! stored (the form's second step), line by line as the application's page will show it.

use trama_sdk::i18n::Lang;
use trama_sdk::t;

use super::Submission;
use crate::campaign::Campaign;

/// The lines of the summary: the tax code the application is filed under, then each answer
/// (the rulebook's questions, or the campaign's fixed fields), as `(question, answer)`.
pub fn lines(campaign: &Campaign, submission: &Submission, lang: Lang) -> Vec<(String, String)> {
    let mut lines = vec![(t!("vouchers.summary.tax_code"), submission.tax_code.clone())];
    match (&campaign.rulebook, &submission.rulebook_answers) {
        (Some(book), Some(answers)) => lines.extend(book.questions.iter().filter_map(|q| {
            let answer = answers.get(&q.key)?;
            Some((q.label.get().to_owned(), q.show(answer, lang)))
        })),
        _ => lines.extend(campaign.fields.iter().filter_map(|field| {
            submission
                .answers
                .show(*field, lang)
                .map(|value| (field.label(), value))
        })),
    }
    lines
}
