//! Decoding forms and query strings, bounded, and the CSRF check of a posted kernel form.

use super::{Ctx, WebError};

/// Most fields a form or a query string may carry. The longest real form (a campaign with its
/// questions, a household of many members) has a few hundred; the cap bounds what a hostile
/// request of 100,000 one-byte fields makes the kernel and a plugin hold and walk through.
pub const MAX_FORM_FIELDS: usize = 1_000;

/// Decoded form fields, in order.
pub struct FormFields(Vec<(String, String)>);

/// A form or query string over [`MAX_FORM_FIELDS`].
#[derive(Debug)]
pub struct TooManyFields;

impl FormFields {
    /// Decodes `application/x-www-form-urlencoded` text, in one pass, stopping at the cap.
    pub fn parse(body: &[u8]) -> Result<Self, TooManyFields> {
        let mut fields = Vec::new();
        for (name, value) in form_urlencoded::parse(body) {
            if fields.len() == MAX_FORM_FIELDS {
                return Err(TooManyFields);
            }
            fields.push((name.into_owned(), value.into_owned()));
        }
        Ok(Self(fields))
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
    }

    /// Every value of a field that may repeat (checkboxes), in order.
    pub fn all(&self, name: &str) -> Vec<&str> {
        self.0
            .iter()
            .filter(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
            .collect()
    }

    pub fn into_pairs(self) -> Vec<(String, String)> {
        self.0
    }
}

impl Ctx {
    /// The refusal of a form over the cap, in the visitor's language.
    pub fn too_many_fields(&self) -> WebError {
        let message = super::pages::msg(self, "too_many_fields")
            .replace("{limit}", &MAX_FORM_FIELDS.to_string());
        WebError::TooManyFields(message)
    }

    /// The fields of a form posted to a kernel route, once its CSRF token is checked. The token
    /// comes from the `_csrf` field, or — for scripts, as `docs/openapi.json` says — from the
    /// `X-CSRF-Token` header.
    pub fn posted_form(&self, body: &[u8]) -> Result<FormFields, WebError> {
        let form = FormFields::parse(body).map_err(|TooManyFields| self.too_many_fields())?;
        self.check_csrf(form.get("_csrf").or(self.csrf_header.as_deref()))?;
        Ok(form)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_are_decoded_in_order_up_to_the_cap() {
        let form = FormFields::parse(b"a=1&b=caff%C3%A8&a=2").expect("small form");
        assert_eq!(form.get("b"), Some("caffè"));
        assert_eq!(
            form.into_pairs(),
            [("a", "1"), ("b", "caffè"), ("a", "2")].map(|(k, v)| (k.to_owned(), v.to_owned()))
        );

        let at_cap = vec!["f=1"; MAX_FORM_FIELDS].join("&");
        assert!(FormFields::parse(at_cap.as_bytes()).is_ok());
        let over = format!("{at_cap}&g=2");
        assert!(FormFields::parse(over.as_bytes()).is_err());
    }
}
