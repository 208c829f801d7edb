//! Languages: a plugin's text lives in catalogues, reached with [`t!`](crate::t).
//!
//! A plugin writes every sentence a person reads in `locales/<lang>.toml` under a table named
//! after itself (`[vouchers.errors] closed = "Il bando è chiuso"`) and reads it with
//! `t!("vouchers.errors.closed")`, or with named values `t!("vouchers.left", amount = text)`
//! for a message `"Restano {amount}"`. The kernel merges the catalogues of the default theme,
//! of every plugin and of the instance's theme, exactly as templates see them in `t`, and hands
//! the plugin the message in the language of the person it is answering (host API 1.5,
//! `i18n`). So a territory adds a language, or rewords a plugin, with catalogue files alone;
//! a language a catalogue lacks a key in shows the Italian text.
//!
//! [`Lang`] remains for what is formatted rather than translated — amounts, dates, numbers —
//! where every language the kernel serves follows either the Italian or the English
//! convention: a German page writes `1.234,50 €` like an Italian one.

#[cfg(not(target_arch = "wasm32"))]
pub(crate) mod native;

use std::cell::{Cell, RefCell};
use std::fmt::Display;

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

    /// The locale code of the language: `it` or `en`.
    pub fn code(self) -> &'static str {
        match self {
            Self::It => "it",
            Self::En => "en",
        }
    }

    /// Picks the text written in this language.
    pub fn pick<T>(self, it: T, en: T) -> T {
        match self {
            Self::It => it,
            Self::En => en,
        }
    }
}

/// "sì"/"yes"/"ja" or "no"/"nein" for a reader of `lang` (`sdk.yes`, `sdk.no`).
pub fn yes_no(lang: Lang, value: bool) -> String {
    text_for(lang, if value { "sdk.yes" } else { "sdk.no" }, &[])
}

/// The language of the person making `request` (the kernel passes their locale).
pub fn lang(request: &Request) -> Lang {
    Lang::from_locale(request.locale())
}

thread_local! {
    /// The language of the call being served: set from the request's locale when the kernel
    /// hands the plugin a request, Italian for events and jobs (the territory's language).
    static CURRENT: Cell<Lang> = const { Cell::new(Lang::It) };
    /// The locale code of the call being served (`it`, `en`, `de`…); empty for events and jobs,
    /// which the kernel answers in the instance's own language.
    static LOCALE: RefCell<String> = const { RefCell::new(String::new()) };
}

/// The locale code of the person being answered; empty outside a request (the instance's own
/// language).
pub fn locale() -> String {
    LOCALE.with(|locale| locale.borrow().clone())
}

/// Sets [`locale`] and [`current`] for the rest of the call. The SDK does it for each request
/// (and empties it for events and jobs); a plugin's own tests call it to check a language.
pub fn set_locale(code: &str) {
    LOCALE.with(|locale| code.clone_into(&mut locale.borrow_mut()));
    set_current(Lang::from_locale(code));
}

/// The catalogue message at dotted `key` in the caller's language, with its `{name}`
/// placeholders filled from `args`. Use [`t!`](crate::t), which builds `args` from
/// `name = value` pairs.
///
/// Never fails a call over wording: a key no catalogue has answers the key itself and a
/// message missing a value answers the message unfilled, each logged as a warning for the
/// developer (the repository's catalogue test finds both before a citizen does). In a native
/// `cargo test` both panic instead.
pub fn text(key: &str, args: &[(&str, &dyn Display)]) -> String {
    text_in(&locale(), key, args)
}

/// [`text`] for a caller of language `lang`: the caller's own locale when `lang` is theirs
/// (so a German page gets German, not the Italian its formatting follows), else `lang`'s code.
/// For the SDK's helpers that take a [`Lang`].
pub fn text_for(lang: Lang, key: &str, args: &[(&str, &dyn Display)]) -> String {
    if lang == current() {
        text(key, args)
    } else {
        text_in(lang.code(), key, args)
    }
}

/// [`text`] in `locale` rather than the caller's: a notice to someone else in their language.
pub fn text_in(locale: &str, key: &str, args: &[(&str, &dyn Display)]) -> String {
    let Some(message) = lookup(locale, key) else {
        wording_fault(format!("no catalogue has the message `{key}`"));
        return key.to_owned();
    };
    fill(&message, args).unwrap_or_else(|err| {
        wording_fault(format!("`{key}`: {err}"));
        message
    })
}

/// A catalogue fault: logged in an instance, where a person is better served by the key than
/// by an error page; a panic in a native test, so the developer's own test fails on it.
fn wording_fault(fault: String) {
    #[cfg(target_arch = "wasm32")]
    crate::log::warn(fault);
    #[cfg(not(target_arch = "wasm32"))]
    panic!("{fault}");
}

/// The kernel's merged catalogues (host API 1.5), or, in a native `cargo test` without a test
/// host, the files on disk (see `native.rs`).
fn lookup(locale: &str, key: &str) -> Option<String> {
    crate::host::i18n::text(locale, key)
}

/// `message` with its `{name}` placeholders replaced by the values of `args`.
pub fn fill(
    message: &str,
    args: &[(&str, &dyn Display)],
) -> Result<String, trama_common::message::FillError> {
    trama_common::message::fill(message, |name| {
        args.iter()
            .find(|(arg, _)| *arg == name)
            .map(|(_, value)| value.to_string())
    })
}

/// The catalogue message at `key` in the caller's language: `t!("vouchers.errors.closed")`,
/// or with values for its placeholders, `t!("vouchers.left", amount = text, count = n)`. The
/// key is a string literal, so a test can find every key a plugin uses in its source and check
/// the catalogues have it. See [`i18n`](crate::i18n).
#[macro_export]
macro_rules! t {
    ($key:literal $(,)?) => {
        $crate::i18n::text($key, &[])
    };
    ($key:literal, $($name:ident = $value:expr),+ $(,)?) => {
        $crate::i18n::text(
            $key,
            &[$((::core::stringify!($name), &$value as &dyn ::core::fmt::Display)),+],
        )
    };
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
        assert_eq!(yes_no(Lang::It, true), "sì");
        assert_eq!(yes_no(Lang::En, false), "no");
        assert_eq!(lang(&Request::new(Method::Get, "/")), Lang::It);
    }

    #[test]
    fn values_fill_the_placeholders_by_name() {
        let amount = "12,50 €";
        let filled = fill(
            "Restano {amount} su {count} buoni",
            &[("count", &3), ("amount", &amount)],
        );
        assert_eq!(filled.unwrap(), "Restano 12,50 € su 3 buoni");
        assert!(fill("Restano {amount}", &[]).is_err());
    }

    #[test]
    fn the_locale_of_the_request_sets_the_formatting_language() {
        set_locale("de");
        assert_eq!(locale(), "de");
        assert_eq!(current(), Lang::It);
        set_locale("en-GB");
        assert_eq!(current(), Lang::En);
    }
}
