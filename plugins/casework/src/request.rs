//! A person's own request for help, sent online from the service page: who they are, their
//! needs, contacts, household, a few words, and their consent to the notice (with its
//! version). It is not a case yet: it waits in a queue that the care managers and the
//! supervisors see — all of them while no team is chosen, a team's own once a supervisor has
//! given it one — until one of them takes it, which opens a case with the request's data and the
//! person's account linked (see [`crate::web::requests`]).

use serde::{Deserialize, Serialize};
use trama_sdk::checked::IntoResult;
use trama_sdk::i18n::Lang;
use trama_sdk::identity::User;
use trama_sdk::input::{Input, Problems};
use trama_sdk::store::{Collection, Doc};
use trama_sdk::{Error, Result, choices, t};

use crate::access::teams_of;
use crate::case::{self, Consent, Member, Person};
use crate::config::Settings;

choices! {
    /// Where a request stands.
    pub enum Stage {
        Waiting = "waiting" => "casework.request.stage.waiting",
        Taken = "taken" => "casework.request.stage.taken",
    }
}

/// One request for help.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct HelpRequest {
    /// The person's account (indexed): theirs to follow on `/me`.
    pub account: String,
    pub person: Person,
    /// Whether the codice fiscale is the one SPID/CIE asserted (else the person typed it, and
    /// the care manager checks it at the first meeting).
    pub tax_code_asserted: bool,
    pub household: Vec<Member>,
    pub needs: Vec<String>,
    /// What the person wrote, in their own words.
    pub text: String,
    pub consent: Consent,
    /// The care team a supervisor gave it (indexed; empty: every care manager and supervisor).
    #[serde(default)]
    pub team: String,
    /// Indexed.
    pub stage: Stage,
    /// Indexed.
    pub sent_at: i64,
    #[serde(default)]
    pub taken_at: Option<i64>,
    #[serde(default)]
    pub taken_by: Option<String>,
    /// The case it opened.
    #[serde(default)]
    pub case: Option<String>,
}

pub const REQUESTS: Collection<HelpRequest> = Collection::new("requests");

/// Members of a request in JSON (the form sends the same names).
pub const FIELDS: &[&str] = &[
    "name",
    "tax_code",
    "phone",
    "email",
    "address",
    "household",
    "needs",
    "text",
    "consent",
];

/// The longest text a person writes, in characters.
pub const MAX_TEXT: usize = 2000;

/// A request once every field has been checked; `asserted` is the codice fiscale of the
/// person's SPID/CIE login, which they are not asked to type.
pub fn check(
    input: &Input,
    settings: &Settings,
    lang: Lang,
    asserted: Option<&str>,
) -> std::result::Result<(Person, Vec<Member>, Vec<String>, String), Problems> {
    let mut problems = Problems::default();
    let person = case::person(input, lang, asserted, &mut problems);
    if person.phone.trim().is_empty() && person.email.trim().is_empty() {
        problems.push("phone", t!("casework.request.problems.contact"));
    }
    let household = case::household(input, &mut problems);
    let needs = case::needs(input, settings, &mut problems);
    let text = case::text(input, "text", MAX_TEXT, &mut problems);
    match input.flag("consent") {
        Ok(true) => {}
        _ => problems.push("consent", t!("casework.request.problems.consent")),
    }
    problems.into_result((person, household, needs, text))
}

/// How a reader stands to a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reader {
    /// A care manager or supervisor of the request's team (or any, while it has none).
    Staff,
    /// The person who sent it.
    Person,
}

impl Reader {
    pub fn key(self) -> &'static str {
        match self {
            Self::Staff => "staff",
            Self::Person => "self",
        }
    }
}

/// Whether `user` is staff who see `request`: care managers and supervisors, all while it has
/// no team, then the members of its team.
pub fn staff_sees(request: &HelpRequest, user: &User) -> Result<bool> {
    if !(user.has_role("care_manager") || user.has_role("supervisor")) {
        return Ok(false);
    }
    Ok(request.team.is_empty() || teams_of(&user.id)?.contains(&request.team))
}

/// The reader's relation to `request`, if any.
pub fn reader(request: &HelpRequest, user: &User) -> Result<Option<Reader>> {
    if staff_sees(request, user)? {
        return Ok(Some(Reader::Staff));
    }
    Ok((request.account == user.id).then_some(Reader::Person))
}

/// The one refusal for a request the reader may not see, or that does not exist: `404`, which
/// does not tell that somebody asked the social services for help.
pub fn no_request() -> Error {
    Error::not_found(t!("casework.request.errors.none"))
}

/// The request and the reader's relation, or `404`; not audited.
pub fn load(id: &str, user: &User) -> Result<(Doc<HelpRequest>, Reader)> {
    let doc = REQUESTS.get(id)?.ok_or_else(no_request)?;
    match reader(&doc.data, user)? {
        Some(reader) => Ok((doc, reader)),
        None => Err(no_request()),
    }
}

/// [`load`] for showing it, recorded as `request.read.<staff|self>` with the reader and why.
pub fn read(id: &str, user: &User, purpose: &str) -> Result<(Doc<HelpRequest>, Reader)> {
    let (doc, reader) = load(id, user)?;
    trama_sdk::audit::record(
        &format!("request.read.{}", reader.key()),
        id,
        &serde_json::json!({ "reader": user.id, "relation": reader.key(), "purpose": purpose }),
    )?;
    Ok((doc, reader))
}

#[cfg(test)]
mod tests {
    use super::*;
    use trama_sdk::i18n;

    #[test]
    fn a_request_needs_a_way_to_be_reached_and_the_consent() {
        i18n::set_locale("it");
        let settings = Settings::sample();
        let refused = check(
            &Input::from_strs(&[("name", "Mario Rossi"), ("needs", "Casa")]),
            &settings,
            Lang::It,
            Some("RSSMRA80A01H501U"),
        )
        .unwrap_err();
        assert!(refused.for_field("phone").is_some());
        assert!(refused.for_field("consent").is_some());
        // The asserted code is taken as it is: nothing to type.
        assert!(refused.for_field("tax_code").is_none());
        let (person, _, needs, _) = check(
            &Input::from_strs(&[
                ("name", "Mario Rossi"),
                ("tax_code", "rssmra80a01h501u"),
                ("email", "mario@example.org"),
                ("needs", "Casa"),
                ("text", "Ho perso il lavoro"),
                ("consent", "yes"),
            ]),
            &settings,
            Lang::It,
            None,
        )
        .unwrap();
        assert_eq!(person.tax_code, "RSSMRA80A01H501U");
        assert_eq!(needs, ["Casa"]);
    }
}
