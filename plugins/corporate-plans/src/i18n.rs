//! The two languages of the pages and messages: Italian first, English available.

use serde::Serialize;

/// The language a message is written in, from the request's locale.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    It,
    En,
}

impl Lang {
    /// `en` is English; every other locale gets Italian, the language of the territory.
    pub fn from_locale(locale: &str) -> Self {
        if locale.eq_ignore_ascii_case("en") || locale.to_ascii_lowercase().starts_with("en-") {
            Self::En
        } else {
            Self::It
        }
    }

    /// Picks the text written in this language.
    pub fn pick<T>(self, it: T, en: T) -> T {
        match self {
            Self::It => it,
            Self::En => en,
        }
    }

    /// "sì"/"yes" or "no".
    pub fn yes_no(self, value: bool) -> &'static str {
        match (self, value) {
            (Self::It, true) => "sì",
            (Self::En, true) => "yes",
            (_, false) => "no",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn english_only_for_english_locales() {
        assert_eq!(Lang::from_locale("en"), Lang::En);
        assert_eq!(Lang::from_locale("en-GB"), Lang::En);
        assert_eq!(Lang::from_locale("it"), Lang::It);
        assert_eq!(Lang::from_locale("de"), Lang::It);
        assert_eq!(Lang::En.pick("ciao", "hello"), "hello");
    }
}
