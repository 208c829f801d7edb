//! Documents a notice asks for (`type = "attachment"`): what a question may accept, checked
//! when the rulebook is, and the files a request sent for each question, checked against it.
//! The kernel has already recognised each file's type from its content (`trama_sdk::files`).

use trama_sdk::files;
use trama_sdk::input::Problems;
use trama_sdk::t;

use super::answer::Question;

/// Largest file a question may accept, in KiB.
pub const MAX_KB: u32 = 10 * 1024;
/// Most files one question takes.
pub const MAX_FILES_PER_QUESTION: u32 = 5;
/// Most files a form may ask for in all: the kernel takes at most 10 files per request.
pub const MAX_FILES: u32 = 10;
/// Most the documents of one form may weigh together, in KiB: the kernel reads at most 12 MiB
/// of a request, and the rest of the form needs room too.
pub const MAX_TOTAL_KB: u32 = 11 * 1024;

pub(super) fn default_kinds() -> Vec<files::Kind> {
    vec![files::Kind::Pdf, files::Kind::Jpeg, files::Kind::Png]
}
pub(super) fn default_max_kb() -> u32 {
    5 * 1024
}
pub(super) fn one_file() -> u32 {
    1
}

/// The problems of one attachment question at `at`.
pub(super) fn check(
    at: &str,
    accept: &[files::Kind],
    max_kb: u32,
    max_files: u32,
    problems: &mut Problems,
) {
    if accept.is_empty() {
        problems.push(at, t!("vouchers.rulebook.attachment_kinds", at = at));
    }
    if !(1..=MAX_KB).contains(&max_kb) {
        problems.push(
            at,
            t!("vouchers.rulebook.attachment_size", at = at, max = MAX_KB),
        );
    }
    if !(1..=MAX_FILES_PER_QUESTION).contains(&max_files) {
        problems.push(
            at,
            t!(
                "vouchers.rulebook.attachment_files",
                at = at,
                max = MAX_FILES_PER_QUESTION
            ),
        );
    }
}

/// The problem of a form whose documents together could not be sent in one request: more
/// files, or more weight, than the kernel takes.
pub(super) fn check_totals(questions: &[Question], problems: &mut Problems) {
    let (mut count, mut kb) = (0u32, 0u32);
    for (accept, max_files) in questions.iter().filter_map(Question::accepts) {
        count = count.saturating_add(max_files);
        kb = kb.saturating_add(accept.max_kb.saturating_mul(max_files));
    }
    if count > MAX_FILES || kb > MAX_TOTAL_KB {
        problems.push(
            "questions",
            t!(
                "vouchers.rulebook.attachment_totals",
                files = MAX_FILES,
                mb = MAX_TOTAL_KB / 1024
            ),
        );
    }
}

/// The files sent for each attachment question, in the order of the questions, checked
/// against what each accepts: a missing required document, too many files, or a file of a
/// type or size the question does not take is a problem under the question. Files sent in a
/// field no question asks for are ignored (and never kept).
pub fn read(
    questions: &[Question],
    uploads: &[files::Upload],
    problems: &mut Problems,
) -> Vec<(String, usize)> {
    let mut sent = Vec::new();
    for question in questions {
        let Some((accept, max_files)) = question.accepts() else {
            continue;
        };
        let key = question.key.as_str();
        let mine: Vec<&files::Upload> = uploads.iter().filter(|u| u.field == key).collect();
        if mine.is_empty() {
            if question.required {
                problems.push(key, t!("vouchers.problems.attachment_required"));
            }
            continue;
        }
        if mine.len() > max_files as usize {
            problems.push(
                key,
                t!("vouchers.problems.attachment_too_many", files = max_files),
            );
            continue;
        }
        let refusals: Vec<String> = mine.iter().filter_map(|u| accept.refusal(u)).collect();
        if !refusals.is_empty() {
            problems.push(key, refusals.join("; "));
            continue;
        }
        sent.push((question.key.clone(), mine.len()));
    }
    sent
}
