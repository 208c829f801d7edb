//! "Download my data" and erasure.
//!
//! The plugin holds one thing about a person: when they were last asked about each service,
//! under a hash of the service and their account. That is what the download shows and the
//! erasure deletes. Their answers are not theirs to find: stored without account or invitation,
//! nobody — the person included — can tell which answers they gave, so they are neither in the
//! download nor erased (they are not personal data once written).

use serde_json::json;
use trama_sdk::http::{Request, Response};
use trama_sdk::personal_data::{Erased, Export};
use trama_sdk::router::Params;
use trama_sdk::{Result, identity};

use crate::invite::{LAST_INVITED, last_invited_id};
use crate::source::{self, SERVICES};

/// `GET /api/personal-data`
pub fn export(_: Request, _: Params) -> Result<Response> {
    let user = identity::require_login()?;
    let mut invited = Vec::new();
    for service in SERVICES {
        if let Some(doc) = LAST_INVITED.get(&last_invited_id(service, &user.id))? {
            invited.push(json!({
                "service": source::title(service),
                "last_invited": doc.data.date,
            }));
        }
    }
    Export::new()
        .with_value("questionnaires", json!(invited))
        .response()
}

/// `DELETE /api/personal-data`
pub fn erase(_: Request, _: Params) -> Result<Response> {
    let user = identity::require_login()?;
    let mut erased = Erased::default();
    for service in SERVICES {
        if LAST_INVITED.delete(&last_invited_id(service, &user.id))? {
            erased.count(1);
        }
    }
    erased.finish(&user)
}
