//! `GET /api/mine`: what the caller has asked of the network, as the kernel's "my applications
//! and bookings" page (`/me`) lists it (`[plugin] mine` in `plugin.toml`): their applications
//! (for admission or renewal) with the organisation and where each stands, and the register
//! entries of the providers they manage, with their status and expiry. Each item is
//! `{title, status, href}` in the request's language.

use trama_sdk::http::{Request, Response};
use trama_sdk::identity::{self, User};
use trama_sdk::mine::{self, Item, MOST};
use trama_sdk::router::Params;
use trama_sdk::store::Cmp;
use trama_sdk::{Result, t};

use crate::BASE;
use crate::application::{self, APPLICATIONS, Kind};
use crate::provider::{self, Status as ProviderStatus};

/// An application: which kind, for which organisation, and its status.
pub fn application_item(
    id: &str,
    kind: Kind,
    legal_name: &str,
    status: application::Status,
    updated_at: i64,
) -> Item {
    Item {
        title: t!(
            "admissions.mine.application_title",
            kind = kind.label(),
            name = legal_name
        ),
        status: status.label(),
        href: application::Application::link(id),
        at: updated_at,
    }
}

/// A register entry: its status and, unless revoked, the last day it is valid.
pub fn register_item(
    id: &str,
    legal_name: &str,
    status: ProviderStatus,
    expires_on: &str,
    updated_at: i64,
) -> Item {
    let status = match status {
        // A revoked accreditation has no validity left to tell.
        ProviderStatus::Revoked => status.label(),
        _ => t!(
            "admissions.mine.valid_until",
            status = status.label(),
            date = expires_on
        ),
    };
    Item {
        title: t!("admissions.mine.register_title", name = legal_name),
        status,
        href: format!("{BASE}/register/{id}"),
        at: updated_at,
    }
}

/// The caller's applications and register entries, newest change first, at most [`MOST`].
pub fn mine(user: &User) -> Result<Vec<Item>> {
    let mut items: Vec<Item> = APPLICATIONS
        .query()
        .filter("user_id", Cmp::Eq, user.id.as_str())
        .order_by_desc("submitted_at")
        .limit(MOST as u32)
        .fetch()?
        .iter()
        .map(|doc| {
            let a = &doc.data;
            application_item(&doc.id, a.kind, &a.org.legal_name, a.status, a.updated_at)
        })
        .collect();
    items.extend(provider::of_user(&user.id)?.iter().map(|doc| {
        let p = &doc.data;
        register_item(
            &doc.id,
            &p.org.legal_name,
            p.status,
            &p.expires_on,
            p.updated_at,
        )
    }));
    Ok(mine::newest_first(items))
}

/// `GET /api/mine` (logged in): `[{title, status, href}]`.
pub fn api(_: Request, _: Params) -> Result<Response> {
    let user = identity::require_login()?;
    Response::json(&mine(&user)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_application_names_its_kind_and_organisation() {
        let item = application_item(
            "a1",
            Kind::Renewal,
            "Bottega srl",
            application::Status::InfoRequested,
            5,
        );
        assert_eq!(item.title, "Domanda di rinnovo — Bottega srl");
        assert_eq!(item.status, "In attesa di integrazioni dal richiedente");
        assert_eq!(item.href, "/p/admissions/applications/a1");
        trama_sdk::i18n::set_locale("en");
        let english = application_item(
            "a1",
            Kind::Admission,
            "Bottega srl",
            application::Status::Approved,
            5,
        );
        trama_sdk::i18n::set_locale("it");
        assert_eq!(
            (english.title.as_str(), english.status.as_str()),
            ("Application for admission — Bottega srl", "Approved")
        );
    }

    #[test]
    fn a_register_entry_tells_until_when_it_is_valid() {
        let item = register_item("p1", "Bottega srl", ProviderStatus::Active, "2026-06-02", 5);
        assert_eq!(item.title, "Iscrizione all'albo — Bottega srl");
        assert_eq!(item.status, "Accreditato, valido fino al 2026-06-02");
        assert_eq!(item.href, "/p/admissions/register/p1");
        trama_sdk::i18n::set_locale("en");
        let suspended = register_item(
            "p1",
            "Bottega srl",
            ProviderStatus::Suspended,
            "2026-06-02",
            5,
        );
        trama_sdk::i18n::set_locale("it");
        assert_eq!(suspended.status, "Suspended, valid until 2026-06-02");
        let revoked = register_item(
            "p1",
            "Bottega srl",
            ProviderStatus::Revoked,
            "2026-06-02",
            5,
        );
        assert_eq!(revoked.status, "Revocato");
    }
}
