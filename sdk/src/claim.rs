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
//! use trama_sdk::claim;
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
//! // The account in `user_id`, the code in `claim_code`; implement `Claimable` by hand
//! // for a record that keeps them elsewhere.
//! trama_sdk::claimable!(Driver);
//!
//! const DRIVERS: Collection<Driver> = Collection::new("drivers");
//! const DRIVER_CODES: claim::Codes = claim::Codes {
//!     field: "claim_code",
//!     len: 8,
//!     // locales/it.toml: [rides] no_driver_code = "il codice «{code}» non corrisponde a nessun autista (o è già stato usato)"
//!     unmatched: "rides.no_driver_code",
//!     audit: "driver.claimed",
//! };
//!
//! # fn run(user: &User) -> trama_sdk::Result<()> {
//! let code = DRIVER_CODES.draw(); // stored with the new driver, handed over on paper
//! let driver = claim::redeem(&DRIVERS, &DRIVER_CODES, "ab12-cd34", user, Lang::It)?;
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

/// Implements [`Claimable`] for a record that keeps the linked account in a `user_id:
/// Option<String>` field and its code in `claim_code: Option<String>`, as every record of the
/// repository's plugins does.
#[macro_export]
macro_rules! claimable {
    ($record:ty) => {
        impl $crate::claim::Claimable for $record {
            fn link(&mut self, user: &$crate::identity::User) {
                self.user_id = Some(user.id.clone());
                self.claim_code = None;
            }
        }
    };
}

/// The claim codes of one kind of record: where they are kept, how long they are, how a code
/// that matches nothing is refused, and what the audit trail calls a claim.
#[derive(Debug, Clone, Copy)]
pub struct Codes {
    /// The record's field holding the code; it must be in the collection's `indexes`.
    pub field: &'static str,
    /// Characters of a code (without the dashes people may type).
    pub len: usize,
    /// Catalogue key of the whole refusal, with the typed code as `{code}` ("il codice
    /// «{code}» non corrisponde a nessun esercente (o è già stato usato)").
    pub unmatched: &'static str,
    /// The audit action recorded on the record when an account claims it (`merchant.claimed`),
    /// with the account's id and username.
    pub audit: &'static str,
}

impl Codes {
    /// A fresh code for a new record.
    pub fn draw(&self) -> String {
        code::draw(self.len)
    }
}

/// Links `user` to the record of `collection` whose code (in `codes.field`) equals the code
/// `typed`, read as [`code::normalize`] reads it, and records the claim in the audit trail.
///
/// Refusals, in the person's language: a mistyped code (`422`), a code that matches nothing
/// or was already used (`404`, without saying which), and a code used by someone else in the
/// same instant (`409`).
pub fn redeem<T: Claimable + Serialize + DeserializeOwned>(
    collection: &Collection<T>,
    codes: &Codes,
    typed: &str,
    user: &User,
    lang: Lang,
) -> Result<Doc<T>> {
    let code = code::normalize(typed, codes.len).map_err(|err| err.into_error(typed, lang))?;
    let found = collection
        .query()
        .filter(codes.field, Cmp::Eq, code.as_str())
        .limit(1)
        .fetch()?
        .into_iter()
        .next();
    let Some(mut doc) = found else {
        let typed = typed.trim();
        return Err(Error::not_found(crate::i18n::text_for(
            lang,
            codes.unmatched,
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
    crate::audit::record(
        codes.audit,
        &doc.id,
        &serde_json::json!({ "user_id": user.id, "username": user.username }),
    )?;
    Ok(doc)
}
