//! The case file: who the person is, their household, needs and consent, who follows them, the
//! personal plan and the closure. Notes live in [`crate::note`].

use serde::{Deserialize, Serialize};
use trama_sdk::checked::IntoResult;
use trama_sdk::i18n::Lang;
use trama_sdk::input::{Input, Problems};
use trama_sdk::store::Collection;
use trama_sdk::{choices, fiscal, t};

use crate::config::Settings;

choices! {
    /// Where a case stands.
    pub enum State {
        Open = "open" => "casework.state.open",
        Closed = "closed" => "casework.state.closed",
    }
}

choices! {
    /// How a case ended: a fixed list, so the statistics add up across teams and years.
    pub enum Outcome {
        Achieved = "achieved" => "casework.outcome.achieved",
        Partly = "partly" => "casework.outcome.partly",
        Referred = "referred" => "casework.outcome.referred",
        Withdrawn = "withdrawn" => "casework.outcome.withdrawn",
        Moved = "moved" => "casework.outcome.moved",
        Deceased = "deceased" => "casework.outcome.deceased",
    }
}

choices! {
    /// Where a goal or an action of the plan stands.
    pub enum Progress {
        Planned = "planned" => "casework.progress.planned",
        Doing = "doing" => "casework.progress.doing",
        Done = "done" => "casework.progress.done",
        Dropped = "dropped" => "casework.progress.dropped",
    }
}

/// The person the case is about, as the desk recorded them.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Person {
    pub name: String,
    pub tax_code: String,
    pub phone: String,
    pub email: String,
    pub address: String,
}

/// Somebody living with the person.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Member {
    pub name: String,
    pub relation: String,
}

/// Consent to processing: which notice the person was given and when they agreed.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Consent {
    pub version: String,
    pub at: i64,
}

/// A step of a goal.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Action {
    pub n: u32,
    pub text: String,
    pub status: Progress,
}

/// A goal of the personal plan, with its actions.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Goal {
    pub n: u32,
    pub text: String,
    pub status: Progress,
    #[serde(default)]
    pub actions: Vec<Action>,
}

/// One case file.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Case {
    pub person: Person,
    /// The person's tax code again, indexed: how a person logged in with SPID/CIE finds it.
    pub tax_code: String,
    /// The person's account, when they have one linked (indexed).
    #[serde(default)]
    pub account: Option<String>,
    pub household: Vec<Member>,
    pub needs: Vec<String>,
    pub consent: Consent,
    /// The assigned care manager's account id (indexed) and name.
    pub care_manager: String,
    pub care_manager_name: String,
    /// The care team (indexed): its supervisors see the case.
    pub team: String,
    pub status: State,
    pub opened_at: i64,
    pub opened_by: String,
    #[serde(default)]
    pub goals: Vec<Goal>,
    #[serde(default)]
    pub outcome: Option<Outcome>,
    #[serde(default)]
    pub closed_at: Option<i64>,
    #[serde(default)]
    pub closing_note: String,
}

pub const CASES: Collection<Case> = Collection::new("cases");

/// Members of an intake in JSON (a form sends the same names).
pub const FIELDS: &[&str] = &[
    "name",
    "tax_code",
    "phone",
    "email",
    "address",
    "household",
    "needs",
    "team",
    "care_manager",
    "consent",
    // The household's ISEE and residence (see `crate::profile`).
    "isee",
    "resident",
];

/// An intake once every field has been checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Intake {
    pub person: Person,
    pub household: Vec<Member>,
    pub needs: Vec<String>,
    pub team: String,
    /// The username of the care manager to assign, when not the one at the desk.
    pub care_manager: Option<String>,
}

pub(crate) fn text(input: &Input, field: &str, max: usize, problems: &mut Problems) -> String {
    let value = input.one(field).unwrap_or_default().to_owned();
    if value.chars().count() > max {
        problems.push(field, t!("casework.problems.too_long", max = max));
    }
    value
}

/// The household, one member a line (`name, relationship`), as the desk and the person's own
/// request write it.
pub(crate) fn household(input: &Input, problems: &mut Problems) -> Vec<Member> {
    let mut household = Vec::new();
    for line in input.many("household").iter().flat_map(|v| v.lines()) {
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        let (name, relation) = line.split_once(',').unwrap_or((line, ""));
        let (name, relation) = (name.trim(), relation.trim());
        if name.is_empty() || name.chars().count() > 120 || relation.chars().count() > 60 {
            problems.push("household", t!("casework.problems.household", line = line));
            break;
        }
        household.push(Member {
            name: name.to_owned(),
            relation: relation.to_owned(),
        });
    }
    if household.len() > 20 {
        problems.push("household", t!("casework.problems.household_many"));
    }
    household
}

/// The needs, each one of the instance's taxonomy, at least one.
pub(crate) fn needs(input: &Input, settings: &Settings, problems: &mut Problems) -> Vec<String> {
    let mut needs: Vec<String> = Vec::new();
    for need in input.many("needs") {
        if !settings.needs.iter().any(|known| known == need) {
            problems.push("needs", t!("casework.problems.need_unknown", need = need));
        } else if !needs.iter().any(|n| n == need) {
            needs.push(need.to_owned());
        }
    }
    if needs.is_empty() && problems.for_field("needs").is_none() {
        problems.push("needs", t!("casework.problems.needs_missing"));
    }
    needs
}

/// Who the person is: name, codice fiscale (`asserted` by their SPID/CIE login, or typed and
/// checked), phone, e-mail and address.
pub(crate) fn person(
    input: &Input,
    lang: Lang,
    asserted: Option<&str>,
    problems: &mut Problems,
) -> Person {
    let name = text(input, "name", 120, problems);
    if name.is_empty() {
        problems.push("name", t!("casework.problems.name_missing"));
    }
    // A code asserted by SPID/CIE is the person's own: never typed, so never mistyped.
    let tax_code = match asserted {
        Some(code) => code.to_owned(),
        None => match input.one("tax_code").map(fiscal::tax_code) {
            None => {
                problems.push("tax_code", t!("casework.problems.tax_code_missing"));
                String::new()
            }
            Some(Err(err)) => {
                problems.push("tax_code", err.describe(lang));
                String::new()
            }
            Some(Ok(code)) => code,
        },
    };
    let phone = text(input, "phone", 40, problems);
    let email = text(input, "email", 200, problems);
    if !email.is_empty() && !email.contains('@') {
        problems.push("email", t!("casework.problems.email"));
    }
    let address = text(input, "address", 200, problems);
    Person {
        name,
        tax_code,
        phone,
        email,
        address,
    }
}

/// Reads an intake; every problem is reported at once, beside its field. The needs and the
/// team must be the instance's own (settings), the tax code a valid codice fiscale, and the
/// person must have agreed to the notice.
pub fn check(input: &Input, settings: &Settings, lang: Lang) -> Result<Intake, Problems> {
    let mut problems = Problems::default();
    let person = person(input, lang, None, &mut problems);
    let household = household(input, &mut problems);
    let needs = needs(input, settings, &mut problems);
    let team = input.one("team").unwrap_or_default().to_owned();
    if !settings.teams.contains(&team) {
        problems.push("team", t!("casework.problems.team"));
    }
    match input.flag("consent") {
        Ok(true) => {}
        _ => problems.push("consent", t!("casework.problems.consent")),
    }
    let care_manager = input.one("care_manager").map(str::to_owned);
    problems.into_result(Intake {
        person,
        household,
        needs,
        team,
        care_manager,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use trama_sdk::i18n;

    fn settings() -> Settings {
        Settings::sample()
    }

    #[test]
    fn an_intake_names_every_mistake_beside_its_field() {
        i18n::set_locale("it");
        let ok = check(
            &Input::from_strs(&[
                ("name", "Mario Rossi"),
                ("tax_code", "rssmra80a01h501u"),
                ("household", "Anna Rossi, figlia\n\nLuca Rossi"),
                ("needs", "Casa"),
                ("team", "Nord"),
                ("consent", "yes"),
            ]),
            &settings(),
            Lang::It,
        )
        .unwrap();
        assert_eq!(ok.person.tax_code, "RSSMRA80A01H501U");
        assert_eq!(ok.household.len(), 2);
        assert_eq!(ok.household[0].relation, "figlia");
        let refused = check(
            &Input::from_strs(&[
                ("tax_code", "RSSMRA80A01H501X"),
                ("needs", "Astrologia"),
                ("team", "Sud"),
            ]),
            &settings(),
            Lang::It,
        )
        .unwrap_err();
        for field in ["name", "tax_code", "needs", "team", "consent"] {
            assert!(refused.for_field(field).is_some(), "{field}: {refused:?}");
        }
    }
}
