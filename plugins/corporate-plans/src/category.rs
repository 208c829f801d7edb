//! Categories of welfare services.
//!
//! A plan lists the categories its credit may be spent on, and every service of the catalogue
//! has one. The known categories follow the welfare goods of art. 51 of the TUIR (the Italian
//! income tax code) that companies usually offer; providers accredited by the `admissions`
//! plugin may bring other codes, which are kept as they are (shown by their code) so that a
//! new category never makes a service disappear.

use trama_sdk::i18n::Lang;
use trama_sdk::input::{Input, Problems};

/// A known category: its code and its names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Known {
    pub code: &'static str,
    pub it: &'static str,
    pub en: &'static str,
}

pub const KNOWN: &[Known] = &[
    Known {
        code: "education",
        it: "Istruzione e formazione (anche dei figli)",
        en: "Education and training (children's too)",
    },
    Known {
        code: "childcare",
        it: "Servizi per l'infanzia (nidi, centri estivi)",
        en: "Childcare (nurseries, summer camps)",
    },
    Known {
        code: "family_care",
        it: "Assistenza a familiari anziani o non autosufficienti",
        en: "Care of elderly or dependent relatives",
    },
    Known {
        code: "health",
        it: "Salute e prevenzione",
        en: "Health and prevention",
    },
    Known {
        code: "transport",
        it: "Trasporto pubblico",
        en: "Public transport",
    },
    Known {
        code: "sport",
        it: "Sport e benessere",
        en: "Sport and wellbeing",
    },
    Known {
        code: "culture",
        it: "Cultura e tempo libero",
        en: "Culture and leisure",
    },
    Known {
        code: "travel",
        it: "Viaggi e turismo",
        en: "Travel and tourism",
    },
];

/// The name of category `code` in `lang` (the code itself when it is not a known one).
pub fn label(code: &str, lang: Lang) -> String {
    KNOWN
        .iter()
        .find(|k| k.code == code)
        .map(|k| lang.pick(k.it, k.en).to_owned())
        .unwrap_or_else(|| code.to_owned())
}

/// Reads a category: lower-cased, with runs of spaces made one, 2 to 60 characters and no
/// control characters. The `admissions` plugin names categories in words (`servizi per
/// l'infanzia`), which are kept as they are; text that spells a known code with spaces
/// (`Family care`) becomes that code (`family_care`).
pub fn parse(text: &str) -> Option<String> {
    let words: Vec<String> = text.split_whitespace().map(str::to_lowercase).collect();
    let folded = words.join(" ");
    let as_code = words.join("_");
    if let Some(known) = KNOWN.iter().find(|k| k.code == as_code) {
        return Some(known.code.to_owned());
    }
    let valid = (2..=60).contains(&folded.chars().count()) && !folded.chars().any(char::is_control);
    valid.then_some(folded)
}

/// The one category of a form (field `category`), or a problem saying `choose` (`(italian,
/// english)`) and "" when it is missing or not a category.
pub fn read_one(
    input: &Input,
    choose: (&str, &str),
    lang: Lang,
    problems: &mut Problems,
) -> String {
    match input.one("category").map(parse) {
        Some(Some(code)) => code,
        _ => {
            problems.push("category", lang.pick(choose.0, choose.1));
            String::new()
        }
    }
}

/// The categories of a form (field `categories`, a list), each once; a problem for each text
/// that is not a category.
pub fn read_many(input: &Input, lang: Lang, problems: &mut Problems) -> Vec<String> {
    let mut categories: Vec<String> = Vec::new();
    for text in input.many("categories") {
        match parse(text) {
            Some(code) if !categories.contains(&code) => categories.push(code),
            Some(_) => {}
            None => problems.push(
                "categories",
                match lang {
                    Lang::It => format!("«{text}» non è una categoria"),
                    Lang::En => format!("`{text}` is not a category"),
                },
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
    pub fn new(code: &str, lang: Lang) -> Self {
        Self {
            code: code.to_owned(),
            label: label(code, lang),
        }
    }
}

/// The known categories, then `extra` ones (from the catalogue) not among them, each once.
pub fn choices(extra: &[String], lang: Lang) -> Vec<CategoryView> {
    let mut views: Vec<CategoryView> = KNOWN
        .iter()
        .map(|k| CategoryView::new(k.code, lang))
        .collect();
    for code in extra {
        if !views.iter().any(|v| &v.code == code) {
            views.push(CategoryView::new(code, lang));
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
        assert_eq!(label("health", Lang::It), "Salute e prevenzione");
        assert_eq!(label("yoga", Lang::En), "yoga");
        let all = choices(&["yoga".into(), "sport".into()], Lang::En);
        assert_eq!(all.len(), KNOWN.len() + 1);
    }
}
