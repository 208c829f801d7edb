//! What every plugin's HTTP side repeats: who may open a page, the answer to an API creation,
//! redirects inside the plugin, and which errors a form shows in place.
//!
//! ```no_run
//! use trama_sdk::http::{Request, Response};
//! use trama_sdk::i18n::lang;
//! use trama_sdk::router::Params;
//! use trama_sdk::web::{self, Audience};
//!
//! // locales/it.toml: [vouchers] operators_only = "questa pagina è riservata agli operatori del Comune (ruolo `{role}`)"
//! const OPERATORS: Audience = Audience {
//!     roles: &["operator", "admin"],
//!     refusal: "vouchers.operators_only",
//! };
//!
//! fn dashboard(request: Request, _: Params) -> trama_sdk::Result<Response> {
//!     let operator = OPERATORS.require(lang(&request))?;
//!     Ok(web::to("/"))
//! }
//! ```

use serde::Serialize;

use crate::http::Response;
use crate::i18n::Lang;
use crate::identity::{self, User};
use crate::{Error, Result};

/// The people a page is for: holders of any of `roles`, and the sentence that turns anyone
/// else away ("questa pagina è riservata agli operatori del Comune (ruolo `{role}`)").
#[derive(Debug, Clone, Copy)]
pub struct Audience {
    /// Roles that admit; the first is the one named in the refusal.
    pub roles: &'static [&'static str],
    /// The catalogue key of the refusal, a whole sentence (each language words it its own way)
    /// with a `{role}` placeholder.
    pub refusal: &'static str,
}

impl Audience {
    /// Whether the caller holds one of the roles.
    pub fn admits(&self) -> bool {
        self.roles.iter().any(|role| identity::has_role(role))
    }

    /// The caller, if they hold one of the roles: [`Error::Unauthenticated`] if nobody is
    /// logged in, [`Error::Forbidden`] naming the audience otherwise.
    pub fn require(&self, lang: Lang) -> Result<User> {
        let user = identity::require_login_in(lang)?;
        if self.admits() {
            Ok(user)
        } else {
            Err(self.refusal(lang))
        }
    }

    /// The `403` for a caller outside the audience.
    pub fn refusal(&self, lang: Lang) -> Error {
        let role = self.roles.first().copied().unwrap_or_default();
        Error::forbidden(crate::i18n::text_for(
            lang,
            self.refusal,
            &[("role", &role)],
        ))
    }
}

/// `201` with the value, the answer to an API creation.
pub fn created<T: Serialize>(value: &T) -> Result<Response> {
    Response::json_with_status(201, value)
}

/// A redirect (`303`) to `path` inside the plugin: `to("/campaigns/7")` goes to
/// `/p/<plugin>/campaigns/7` wherever the instance mounts it.
pub fn to(path: &str) -> Response {
    Response::redirect(path.trim_start_matches('/').to_owned())
}

impl Error {
    /// Whether a form page shows this error in place, next to what the person typed, rather
    /// than on the kernel's error page: input the person can fix by changing what they typed
    /// or chose (`404` for a code or a name that matches nothing, `409`, `422`).
    pub fn belongs_in_form(&self) -> bool {
        matches!(
            self,
            Self::Conflict(_) | Self::Invalid(_) | Self::NotFound(_)
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TUTORS: Audience = Audience {
        roles: &["tutor"],
        refusal: "sdk.identity.needs_role",
    };

    #[test]
    fn a_refusal_is_the_audiences_sentence_with_its_role() {
        let it = TUTORS.refusal(Lang::It);
        assert_eq!(it.status(), 403);
        assert_eq!(
            it.message(),
            "serve il ruolo `tutor`, che il tuo account non ha"
        );
        assert_eq!(
            TUTORS.refusal(Lang::En).message(),
            "this needs the role `tutor`, which your account does not have"
        );
    }

    #[test]
    fn only_mistakes_a_person_can_fix_stay_in_the_form() {
        assert!(Error::invalid("x").belongs_in_form());
        assert!(Error::conflict("x").belongs_in_form());
        assert!(!Error::forbidden("x").belongs_in_form());
        assert!(!Error::internal("x").belongs_in_form());
    }
}
