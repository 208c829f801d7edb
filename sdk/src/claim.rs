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
//! use trama_sdk::claim::{self, Link};
//! use trama_sdk::i18n::Lang;
//! use trama_sdk::identity::User;
//! use trama_sdk::store::Collection;
//!
//! #[derive(Serialize, Deserialize)]
//! struct Driver {
//!     name: String,
//!     // Stored as `user_id` and `claim_code`, beside `name`: the collection indexes both.
//!     #[serde(flatten)]
//!     link: Link,
//! }
//!
//! // Claimed through its `link` field; `claimable!(Driver)` serves a record that keeps
//! // `user_id` and `claim_code` as fields of its own.
//! trama_sdk::claimable!(Driver, link);
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
//! // A new driver, with a fresh code to hand over on paper.
//! let code = DRIVER_CODES.draw();
//! DRIVERS.insert(Driver { name: "Gino".into(), link: Link::pending(code) })?;
//! // Later, the driver logs in and types the code.
//! let driver = claim::redeem(&DRIVERS, &DRIVER_CODES, "ab12-cd34", user, Lang::It)?;
//! assert!(driver.data.link.is(user));
//! # Ok(()) }
//! ```

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::code;
use crate::i18n::Lang;
use crate::identity::User;
use crate::store::{Cmp, Collection, Doc};
use crate::{Error, Result};

/// The account a record is linked to, and the one-time code that links it until it is used.
///
/// A record embeds it flattened (`#[serde(flatten)] link: Link`), so that what is stored keeps
/// the two fields `user_id` and `claim_code` at the top, where the collection's indexes find
/// them; records stored before a plugin embedded it read the same.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Link {
    /// The linked account; `None` until someone claims the record.
    #[serde(default)]
    pub user_id: Option<String>,
    /// The one-time code; `None` once used, or for a record that arrived already linked.
    #[serde(default)]
    pub claim_code: Option<String>,
}

impl Link {
    /// A record nobody has claimed yet, waiting for `code`.
    pub fn pending(code: String) -> Self {
        Self {
            user_id: None,
            claim_code: Some(code),
        }
    }

    /// Whether `user` is the linked account.
    pub fn is(&self, user: &User) -> bool {
        self.user_id.as_deref() == Some(user.id.as_str())
    }

    /// Whether an account is linked.
    pub fn is_linked(&self) -> bool {
        self.user_id.is_some()
    }

    /// Links `user` and clears the code, so that the code works once.
    pub fn bind(&mut self, user: &User) {
        self.user_id = Some(user.id.clone());
        self.claim_code = None;
    }
}

/// A record an account can be linked to with a claim code.
pub trait Claimable {
    /// Links `user` to the record and clears its code, so that the code works once.
    fn link(&mut self, user: &User);
}

/// Implements [`Claimable`]: `claimable!(Record, field)` for a record that holds a [`Link`] in
/// `field`; `claimable!(Record)` for one that keeps `user_id: Option<String>` and `claim_code:
/// Option<String>` as fields of its own.
#[macro_export]
macro_rules! claimable {
    ($record:ty, $field:ident) => {
        impl $crate::claim::Claimable for $record {
            fn link(&mut self, user: &$crate::identity::User) {
                self.$field.bind(user);
            }
        }
    };
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

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    struct Shop {
        name: String,
        #[serde(flatten)]
        link: Link,
    }

    #[test]
    fn a_link_is_stored_as_the_two_fields_the_indexes_read() {
        let shop = Shop {
            name: "Bottega".into(),
            link: Link::pending("AB12CD34".into()),
        };
        let stored = serde_json::to_value(&shop).expect("serialize");
        assert_eq!(
            stored,
            json!({ "name": "Bottega", "user_id": null, "claim_code": "AB12CD34" })
        );
        let read: Shop = serde_json::from_value(stored).expect("deserialize");
        assert_eq!(read, shop);
    }

    #[test]
    fn a_record_stored_without_the_fields_reads_as_unlinked() {
        let read: Shop = serde_json::from_value(json!({ "name": "Bottega" })).expect("read");
        assert_eq!(read.link, Link::default());
        assert!(!read.link.is_linked());
    }

    #[test]
    fn binding_links_the_account_and_uses_up_the_code() {
        let mut link = Link::pending("AB12CD34".into());
        let user = User {
            id: "u1".into(),
            username: "mario".into(),
            display_name: "Mario Rossi".into(),
            roles: Vec::new(),
        };
        link.bind(&user);
        assert!(link.is(&user) && link.is_linked());
        assert_eq!(link.claim_code, None);
    }
}
