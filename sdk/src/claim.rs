//! One-time claim codes that link a person's account to a record an operator created for them:
//! a shop, a tutor, a service provider.
//!
//! The operator registers the record with a fresh [`code`](crate::code) in an indexed field and
//! hands the code over (on paper, by phone); whoever logs in and types it becomes the record's
//! account, and the code is cleared so that it works once. The write is conditional on the
//! version read, so two people typing the same code at once link one account, and the other
//! is told the code was just used.
//!
//! ```no_run
//! use serde::{Deserialize, Serialize};
//! use trama_sdk::claim::{self, Claimable};
//! use trama_sdk::i18n::Lang;
//! use trama_sdk::identity::User;
//! use trama_sdk::store::Collection;
//!
//! #[derive(Serialize, Deserialize)]
//! struct Driver {
//!     name: String,
//!     user_id: Option<String>,
//!     claim_code: Option<String>,
//! }
//!
//! impl Claimable for Driver {
//!     fn link(&mut self, user: &User) {
//!         self.user_id = Some(user.id.clone());
//!         self.claim_code = None;
//!     }
//! }
//!
//! const DRIVERS: Collection<Driver> = Collection::new("drivers");
//! // locales/it.toml: [rides] no_driver_code = "il codice «{code}» non corrisponde a nessun autista (o è già stato usato)"
//! const WHAT: claim::Noun = claim::Noun { unmatched: "rides.no_driver_code" };
//!
//! # fn run(user: &User) -> trama_sdk::Result<()> {
//! let driver = claim::redeem(&DRIVERS, "claim_code", 8, "ab12-cd34", user, WHAT, Lang::It)?;
//! # Ok(()) }
//! ```

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::code;
use crate::i18n::Lang;
use crate::identity::User;
use crate::store::{Cmp, Collection, Doc};
use crate::{Error, Result};

/// A record an account can be linked to with a claim code.
pub trait Claimable {
    /// Links `user` to the record and clears its code, so that the code works once.
    fn link(&mut self, user: &User);
}

/// What a code names, for the refusal of a code that matches nothing: `unmatched` is the
/// catalogue key of the whole sentence, with the typed code as `{code}` ("il codice «{code}»
/// non corrisponde a nessun esercente (o è già stato usato)").
#[derive(Debug, Clone, Copy)]
pub struct Noun {
    pub unmatched: &'static str,
}

/// Links `user` to the record of `collection` whose `field` (an indexed field holding the
/// code) equals the code `typed`, read as [`code::normalize`] reads it (`len` characters).
///
/// Refusals, in the person's language: a mistyped code (`422`), a code that matches nothing
/// or was already used (`404`, without saying which), and a code used by someone else in the
/// same instant (`409`).
pub fn redeem<T: Claimable + Serialize + DeserializeOwned>(
    collection: &Collection<T>,
    field: &str,
    len: usize,
    typed: &str,
    user: &User,
    what: Noun,
    lang: Lang,
) -> Result<Doc<T>> {
    let code = code::normalize(typed, len).map_err(|err| err.into_error(typed, lang))?;
    let found = collection
        .query()
        .filter(field, Cmp::Eq, code.as_str())
        .limit(1)
        .fetch()?
        .into_iter()
        .next();
    let Some(mut doc) = found else {
        let typed = typed.trim();
        return Err(Error::not_found(crate::i18n::text_for(
            lang,
            what.unmatched,
            &[("code", &typed)],
        )));
    };
    doc.data.link(user);
    doc.version = collection
        .put_if_version(&doc.id, &doc.data, doc.version)
        .map_err(|err| match err {
            Error::Conflict(_) => {
                Error::conflict(crate::i18n::text_for(lang, "sdk.claim.just_used", &[]))
            }
            other => other,
        })?;
    Ok(doc)
}
