//! Categories of welfare services.
//!
//! A plan lists the categories its credit may be spent on, and every service of the catalogue
//! has one. The known categories follow the welfare goods of art. 51 of the TUIR (the Italian
//! income tax code) that companies usually offer; providers accredited by the `admissions`
//! plugin may bring other codes, which are kept as they are (shown by their code) so that a
//! new category never makes a service disappear.

use trama_sdk::input::{Input, Problems};
use trama_sdk::{i18n, t};

/// The codes of the known categories (their names are in the catalogues,
/// `corporate_plans.category.<code>`).
pub const KNOWN: &[&str] = &[
    "education",
    "childcare",
    "family_care",
    "health",
    "transport",
    "sport",
    "culture",
    "travel",
];

/// The name of category `code` in the caller's language (the code itself when it is not a
/// known one).
pub fn label(code: &str) -> String {
    label_in(&i18n::locale(), code)
}

/// [`label`] in `locale` (empty: the instance's language), for a message to someone else.
pub fn label_in(locale: &str, code: &str) -> String {
    let key = match code {
        "education" => "corporate_plans.category.education",
        "childcare" => "corporate_plans.category.childcare",
        "family_care" => "corporate_plans.category.family_care",
        "health" => "corporate_plans.category.health",
        "transport" => "corporate_plans.category.transport",
        "sport" => "corporate_plans.category.sport",
        "culture" => "corporate_plans.category.culture",
        "travel" => "corporate_plans.category.travel",
        other => return other.to_owned(),
    };
    i18n::text_in(locale, key, &[])
}

/// Reads a category: lower-cased, with runs of spaces made one, 2 to 60 characters and no
/// control characters. The `admissions` plugin names categories in words (`servizi per
/// l'infanzia`), which are kept as they are; text that spells a known code with spaces
/// (`Family care`) becomes that code (`family_care`).
pub fn parse(text: &str) -> Option<String> {
    let words: Vec<String> = text.split_whitespace().map(str::to_lowercase).collect();
    let folded = words.join(" ");
    let as_code = words.join("_");
    if let Some(known) = KNOWN.iter().find(|k| **k == as_code) {
        return Some((*known).to_owned());
    }
    let valid = (2..=60).contains(&folded.chars().count()) && !folded.chars().any(char::is_control);
    valid.then_some(folded)
}

/// The one category of a form (field `category`), or the problem `choose` (a catalogue
/// message) and "" when it is missing or not a category.
pub fn read_one(input: &Input, choose: String, problems: &mut Problems) -> String {
    match input.one("category").map(parse) {
        Some(Some(code)) => code,
        _ => {
            problems.push("category", choose);
            String::new()
        }
    }
}

/// The categories of a form (field `categories`, a list), each once; a problem for each text
/// that is not a category.
pub fn read_many(input: &Input, problems: &mut Problems) -> Vec<String> {
    let mut categories: Vec<String> = Vec::new();
    for text in input.many("categories") {
        match parse(text) {
            Some(code) if !categories.contains(&code) => categories.push(code),
            Some(_) => {}
            None => problems.push(
                "categories",
                t!("corporate_plans.category.not_a_category", text = text),
            ),
        }
    }
    categories
}

/// A category as pages show it.
#[derive(Debug, Clone, serde::Serialize)]
pub struct CategoryView {
    pub code: String,
    pub label: String,
}

impl CategoryView {
    pub fn new(code: &str) -> Self {
        Self {
            code: code.to_owned(),
            label: label(code),
        }
    }
}

/// The known categories, then `extra` ones (from the catalogue) not among them, each once.
pub fn choices(extra: &[String]) -> Vec<CategoryView> {
    let mut views: Vec<CategoryView> = KNOWN.iter().map(|k| CategoryView::new(k)).collect();
    for code in extra {
        if !views.iter().any(|v| &v.code == code) {
            views.push(CategoryView::new(code));
        }
    }
    views
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_folded_and_checked() {
        assert_eq!(parse(" Family care ").as_deref(), Some("family_care"));
        assert_eq!(parse("sport").as_deref(), Some("sport"));
        assert_eq!(
            parse("Servizi  per l'infanzia").as_deref(),
            Some("servizi per l'infanzia")
        );
        assert_eq!(parse("x"), None);
        assert_eq!(parse(&"x".repeat(61)), None);
        assert_eq!(label("health"), "Salute e prevenzione");
        trama_sdk::i18n::set_locale("en");
        assert_eq!(label("health"), "Health and prevention");
        assert_eq!(label("yoga"), "yoga");
        trama_sdk::i18n::set_locale("it");
        let all = choices(&["yoga".into(), "sport".into()]);
        assert_eq!(all.len(), KNOWN.len() + 1);
    }
}
