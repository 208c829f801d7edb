//! The merged message catalogues of one instance, by language.

use std::collections::HashMap;

use serde_json::Value as Json;

use super::SOURCE_LOCALE;

/// Every language's catalogue, each already complete: a language built on Italian, then its
/// own files, so a key it lacks reads as Italian. Pages get one as `t`; plugins read it through
/// the `i18n` host interface.
#[derive(Debug, Default)]
pub struct Catalogues {
    by_locale: HashMap<String, Json>,
    /// The instance's own language: what a call without a person's language (an event, a
    /// job) or with one the instance does not speak reads.
    default_locale: String,
}

impl Catalogues {
    /// The catalogues `by_locale`, read by a theme (or, in the kernel's tests, from its files).
    pub(crate) fn new(by_locale: HashMap<String, Json>, default_locale: &str) -> Self {
        Self {
            by_locale,
            default_locale: default_locale.to_owned(),
        }
    }

    /// The instance's own language.
    pub fn default_locale(&self) -> &str {
        &self.default_locale
    }

    /// Whether `locale` has a catalogue here.
    pub fn speaks(&self, locale: &str) -> bool {
        self.by_locale.contains_key(locale)
    }

    /// The catalogue of `locale`, else of the instance's language, else Italian.
    pub fn of(&self, locale: &str) -> &Json {
        self.by_locale
            .get(locale)
            .or_else(|| self.by_locale.get(&self.default_locale))
            .or_else(|| self.by_locale.get(SOURCE_LOCALE))
            .unwrap_or(&Json::Null)
    }

    /// The message at dotted `key` in `locale` (see [`Catalogues::of`]); none when it is
    /// missing or is a table rather than a message.
    pub fn text(&self, locale: &str, key: &str) -> Option<&str> {
        key.split('.')
            .try_fold(self.of(locale), |node, part| node.get(part))
            .and_then(Json::as_str)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn catalogues() -> Catalogues {
        let it = json!({ "vouchers": { "closed": "Bando chiuso", "only_it": "Solo italiano" } });
        let de = json!({ "vouchers": { "closed": "Ausschreibung geschlossen", "only_it": "Solo italiano" } });
        Catalogues::new([("it".to_owned(), it), ("de".to_owned(), de)].into(), "de")
    }

    #[test]
    fn a_dotted_key_reads_the_message_in_the_language_asked() {
        let c = catalogues();
        assert_eq!(c.text("it", "vouchers.closed"), Some("Bando chiuso"));
        assert_eq!(
            c.text("de", "vouchers.closed"),
            Some("Ausschreibung geschlossen")
        );
    }

    #[test]
    fn an_unknown_or_empty_language_reads_the_instances_own() {
        let c = catalogues();
        assert_eq!(
            c.text("", "vouchers.closed"),
            Some("Ausschreibung geschlossen")
        );
        assert_eq!(
            c.text("fr", "vouchers.closed"),
            Some("Ausschreibung geschlossen")
        );
    }

    #[test]
    fn tables_and_missing_keys_are_not_messages() {
        let c = catalogues();
        assert_eq!(c.text("it", "vouchers"), None);
        assert_eq!(c.text("it", "vouchers.nope"), None);
        assert_eq!(c.text("it", "vouchers.closed.more"), None);
        assert_eq!(c.text("it", ""), None);
    }
}
