//! The two languages of the pages and messages: Italian first, English available.
//!
//! Every plugin writes its messages in both languages and picks one from the request's locale;
//! sharing the type means the SDK's own helpers ([`money`](crate::money),
//! [`fiscal`](crate::fiscal), [`input`](crate::input)) answer in the same language as the
//! plugin, and every plugin treats an unknown locale the same way.

use std::cell::Cell;

use serde::Serialize;

use crate::http::Request;

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

/// The language of the person making `request` (the kernel passes their locale).
pub fn lang(request: &Request) -> Lang {
    Lang::from_locale(request.locale())
}

thread_local! {
    /// The language of the call being served: set from the request's locale when the kernel
    /// hands the plugin a request, Italian for events and jobs (the territory's language).
    static CURRENT: Cell<Lang> = const { Cell::new(Lang::It) };
}

/// The language of the request being answered, so that the SDK's own refusals
/// ([`identity::require_login`](crate::identity::require_login), a malformed JSON body, a store
/// conflict) speak it without being told; Italian outside a request.
pub fn current() -> Lang {
    CURRENT.with(Cell::get)
}

/// Sets [`current`] for the rest of the call.
pub(crate) fn set_current(lang: Lang) {
    CURRENT.with(|current| current.set(lang));
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::Method;

    #[test]
    fn english_only_for_english_locales() {
        assert_eq!(Lang::from_locale("en"), Lang::En);
        assert_eq!(Lang::from_locale("en-GB"), Lang::En);
        assert_eq!(Lang::from_locale("it"), Lang::It);
        assert_eq!(Lang::from_locale("de"), Lang::It);
        assert_eq!(Lang::En.pick("ciao", "hello"), "hello");
        assert_eq!(Lang::It.yes_no(true), "sì");
        assert_eq!(lang(&Request::new(Method::Get, "/")), Lang::It);
    }
}
