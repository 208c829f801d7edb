//! Who is calling and what they may do.

use serde::{Deserialize, Serialize};

use crate::bindings::trama::plugin::types::User as WitUser;
use crate::host::identity as wit;
use crate::i18n::Lang;
use crate::{Error, Result};

/// A person with an account on the instance.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct User {
    pub id: String,
    pub username: String,
    pub display_name: String,
    /// Roles held on this instance (citizen, operator, admin, …).
    pub roles: Vec<String>,
}

impl User {
    pub fn has_role(&self, role: &str) -> bool {
        self.roles.iter().any(|r| r == role)
    }
}

impl From<WitUser> for User {
    fn from(user: WitUser) -> Self {
        Self {
            id: user.id,
            username: user.username,
            display_name: user.display_name,
            roles: user.roles,
        }
    }
}

/// The logged-in user; `None` for anonymous visitors, events and jobs.
pub fn caller() -> Option<User> {
    wit::caller().map(User::from)
}

/// Whether the caller holds `role` on this instance.
pub fn has_role(role: &str) -> bool {
    wit::has_role(role)
}

/// Another account of this instance, by id.
pub fn find_user(id: &str) -> Option<User> {
    wit::find_user(id).map(User::from)
}

/// The language account `id` chose, for a message to them in their own language with
/// [`i18n::text_in`](crate::i18n::text_in): empty when they chose none (the instance's own
/// language), so the result can be passed on as it is. Host API 1.5.
pub fn locale_of(id: &str) -> String {
    wit::locale_of(id).unwrap_or_default()
}

/// The caller's fiscal number (codice fiscale), upper-case with its check character verified, as
/// the identity provider they logged in through (SPID, CIE) asserted it: `None` for anonymous
/// visitors, events and jobs, and for accounts no provider vouched for (they logged in with a
/// password). A plugin uses it instead of asking the person to type it, so a citizen applies
/// only under their own. Host API 1.6.
pub fn fiscal_number() -> Option<String> {
    wit::fiscal_number()
}

/// Every account of this instance holding `role`, by username. `role` must be one of the roles
/// the plugin declares in its plugin.toml (`[plugin] roles`): a plugin lists the people of its
/// own roles only (a committee, its tutors), never every account. Host API 1.4: set
/// `api = "^1.4"`.
pub fn holders(role: &str) -> Result<Vec<User>> {
    /// The most the kernel returns at once.
    const PAGE: u32 = 500;
    let mut all = Vec::new();
    loop {
        let offset = u32::try_from(all.len()).unwrap_or(u32::MAX);
        let page = wit::holders(role, PAGE, offset).map_err(Error::internal)?;
        let full = page.len() == PAGE as usize;
        all.extend(page.into_iter().map(User::from));
        if !full {
            return Ok(all);
        }
    }
}

/// The caller, or [`Error::Unauthenticated`] if nobody is logged in.
pub fn require_login() -> Result<User> {
    require_login_in(crate::i18n::current())
}

/// [`require_login`] with the refusal in the person's language.
pub fn require_login_in(lang: Lang) -> Result<User> {
    caller().ok_or_else(|| {
        Error::unauthenticated(crate::i18n::text_for(lang, "sdk.identity.log_in", &[]))
    })
}

/// [`require_role`] with the refusals in the person's language.
pub fn require_role_in(role: &str, lang: Lang) -> Result<User> {
    let user = require_login_in(lang)?;
    if has_role(role) {
        Ok(user)
    } else {
        Err(Error::forbidden(crate::i18n::text_for(
            lang,
            "sdk.identity.needs_role",
            &[("role", &role)],
        )))
    }
}

/// The caller if they hold `role`: [`Error::Unauthenticated`] if nobody is logged in,
/// [`Error::Forbidden`] if the caller lacks the role.
pub fn require_role(role: &str) -> Result<User> {
    require_role_in(role, crate::i18n::current())
}
