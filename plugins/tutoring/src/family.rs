//! Families and their children.
//!
//! Any logged-in person can register their children: their family record is created on the
//! first child, with the id `acct-{account id}`, so two first registrations at the same moment
//! make one family. Operators also register families who come to the desk without an account
//! (then nobody gets reminders or can book online for them, and the operator books).
//!
//! Children are kept to what matching needs: a first name, a surname, the school level and the
//! subjects help is needed in.

use serde::{Deserialize, Serialize};
use trama_sdk::checked::IntoResult;
use trama_sdk::identity::User;
use trama_sdk::input::{Input, Problems};
use trama_sdk::store::{Cmp, Collection, Doc};
use trama_sdk::{Error, Result, audit, t};

use crate::config::Settings;
use crate::{edit, input};
use trama_sdk::code;

pub const FAMILIES: Collection<Family> = Collection::new("families");
pub const CHILDREN: Collection<Child> = Collection::new("children");

pub const FAMILY_FIELDS: &[&str] = &["name", "phone"];
pub const CHILD_FIELDS: &[&str] = &["first_name", "last_name", "level", "subjects", "active"];

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Family {
    /// How the family is called on lists, usually the parent's name.
    pub name: String,
    /// The account that manages the family online, if any.
    #[serde(default)]
    pub user_id: Option<String>,
    /// A phone number for the desk to call, for families registered by an operator.
    #[serde(default)]
    pub phone: String,
    /// The secret of the family's calendar address.
    pub feed_token: String,
    pub created_at: i64,
    pub created_by: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Child {
    pub family: String,
    pub first_name: String,
    pub last_name: String,
    pub level: String,
    pub subjects: Vec<String>,
    pub active: bool,
    pub created_at: i64,
}

impl Child {
    /// "Luca R.": how a child appears to people other than their family and the operators.
    pub fn short_name(&self) -> String {
        match self.last_name.chars().next() {
            Some(initial) => format!("{} {initial}.", self.first_name),
            None => self.first_name.clone(),
        }
    }

    pub fn full_name(&self) -> String {
        format!("{} {}", self.first_name, self.last_name)
    }
}

/// The id of the family an account manages.
pub fn account_family_id(user: &User) -> String {
    format!("acct-{}", user.id)
}

pub fn not_found(id: &str) -> Error {
    Error::not_found(t!("tutoring.family.not_found", id = id))
}

pub fn child_not_found(id: &str) -> Error {
    Error::not_found(t!("tutoring.family.child_not_found", id = id))
}

pub fn load(id: &str) -> Result<Doc<Family>> {
    FAMILIES.get(id)?.ok_or_else(|| not_found(id))
}

/// Whether `user` manages the family online.
pub fn is_member(family: &Family, user: &User) -> bool {
    family.user_id.as_deref() == Some(user.id.as_str())
}

/// The family `id` if the caller may see it: its own account or an operator. Anyone else gets
/// the same 404 as for an id that does not exist.
pub fn visible(id: &str, user: &User, operator: bool) -> Result<Doc<Family>> {
    let doc = load(id)?;
    if operator || is_member(&doc.data, user) {
        Ok(doc)
    } else {
        Err(not_found(id))
    }
}

/// The caller's family, if they registered a child already.
pub fn of_user(user: &User) -> Result<Option<Doc<Family>>> {
    FAMILIES.get(&account_family_id(user))
}

/// The caller's family, created on first use.
pub fn ensure_of_user(user: &User, now: i64) -> Result<Doc<Family>> {
    if let Some(doc) = of_user(user)? {
        return Ok(doc);
    }
    let family = Family {
        name: user.display_name.clone(),
        user_id: Some(user.id.clone()),
        phone: String::new(),
        feed_token: code::token(),
        created_at: now,
        created_by: user.username.clone(),
    };
    let id = account_family_id(user);
    match FAMILIES.create(&id, family) {
        Ok(doc) => {
            audit::record(
                "family.registered",
                &doc.id,
                &serde_json::json!({ "user_id": user.id }),
            )?;
            Ok(doc)
        }
        // Registered by a request of the same person a moment ago.
        Err(Error::Conflict(_)) => FAMILIES
            .get(&id)?
            .ok_or_else(|| Error::internal(format!("the family `{id}` vanished"))),
        Err(err) => Err(err),
    }
}

/// A family an operator registers for someone without an account.
pub fn read_family(input: &Input) -> std::result::Result<(String, String), Problems> {
    let mut problems = Problems::default();
    let name = input::text(
        input,
        "name",
        (2, 120),
        &mut problems,
        &t!("tutoring.family.name_length"),
    );
    let phone = input.one("phone").unwrap_or_default().to_owned();
    let phone_ok = phone.is_empty()
        || ((6..=20).contains(&phone.len())
            && phone
                .chars()
                .all(|c| c.is_ascii_digit() || matches!(c, '+' | ' ' | '-' | '/' | '.')));
    if !phone_ok {
        problems.push("phone", t!("tutoring.family.phone_malformed"));
    }
    problems.into_result((name, phone))
}

pub fn register_by_operator(
    name: String,
    phone: String,
    now: i64,
    actor: &User,
) -> Result<Doc<Family>> {
    let family = Family {
        name,
        user_id: None,
        phone,
        feed_token: code::token(),
        created_at: now,
        created_by: actor.username.clone(),
    };
    let detail = serde_json::json!({ "by": actor.username });
    edit::insert(&FAMILIES, family, "family.registered", &detail)
}

/// Families by name, a page at a time.
pub fn page(limit: u32, offset: u32) -> Result<Vec<Doc<Family>>> {
    FAMILIES
        .query()
        .order_by("name")
        .limit(limit)
        .offset(offset)
        .fetch()
}

/// The children of a family, active ones first.
pub fn children_of(family: &str) -> Result<Vec<Doc<Child>>> {
    let mut children = CHILDREN
        .query()
        .filter("family", Cmp::Eq, family)
        .limit(100)
        .fetch()?;
    children.sort_by_key(|c| (!c.data.active, c.data.first_name.clone()));
    Ok(children)
}

/// How many children the allowance rule counts for a family: the active ones.
pub fn active_children(family: &str) -> Result<u32> {
    let n = CHILDREN
        .query()
        .filter("family", Cmp::Eq, family)
        .filter("active", Cmp::Eq, true)
        .count()?;
    Ok(u32::try_from(n).unwrap_or(u32::MAX))
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChildDraft {
    pub first_name: String,
    pub last_name: String,
    pub level: String,
    pub subjects: Vec<String>,
    pub active: Option<bool>,
}

pub fn read_child(input: &Input, settings: &Settings) -> std::result::Result<ChildDraft, Problems> {
    let mut problems = Problems::default();
    let first_name = input::text(
        input,
        "first_name",
        (1, 60),
        &mut problems,
        &t!("tutoring.family.first_name_length"),
    );
    let last_name = input::text(
        input,
        "last_name",
        (1, 60),
        &mut problems,
        &t!("tutoring.family.last_name_length"),
    );
    let level = input::choice(input, "level", &settings.levels, &mut problems);
    let subjects = input::choices(input, "subjects", &settings.subjects, true, &mut problems);
    let active = input::active_flag(input, &mut problems);
    problems.into_result(ChildDraft {
        first_name,
        last_name,
        level,
        subjects,
        active,
    })
}

pub fn add_child(family: &str, draft: ChildDraft, now: i64, actor: &User) -> Result<Doc<Child>> {
    let detail =
        serde_json::json!({ "family": family, "level": draft.level, "by": actor.username });
    let child = Child {
        family: family.to_owned(),
        first_name: draft.first_name,
        last_name: draft.last_name,
        level: draft.level,
        subjects: draft.subjects,
        active: draft.active.unwrap_or(true),
        created_at: now,
    };
    edit::insert(&CHILDREN, child, "child.registered", &detail)
}

/// A child's details change (a new school year, a new subject). Lessons already booked stay.
pub fn update_child(id: &str, draft: ChildDraft, actor: &User) -> Result<Doc<Child>> {
    let mut doc = CHILDREN.get(id)?.ok_or_else(|| child_not_found(id))?;
    doc.data.first_name = draft.first_name;
    doc.data.last_name = draft.last_name;
    doc.data.level = draft.level;
    doc.data.subjects = draft.subjects;
    // `None`: the edit did not say, so the record stays as it was.
    doc.data.active = draft.active.unwrap_or(doc.data.active);
    let detail = serde_json::json!({ "level": doc.data.level, "active": doc.data.active, "by": actor.username });
    edit::save(&CHILDREN, doc, "child.updated", &detail)
}

/// A child the caller may act for (their family's, or any for operators), with its family.
pub fn child_for(id: &str, user: &User, operator: bool) -> Result<(Doc<Child>, Doc<Family>)> {
    let child = CHILDREN.get(id)?.ok_or_else(|| child_not_found(id))?;
    let family = FAMILIES
        .get(&child.data.family)?
        .ok_or_else(|| child_not_found(id))?;
    if operator || is_member(&family.data, user) {
        Ok((child, family))
    } else {
        Err(child_not_found(id))
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct ChildView {
    pub id: String,
    pub family: String,
    pub first_name: String,
    pub last_name: String,
    pub name: String,
    pub level: String,
    pub subjects: Vec<String>,
    pub active: bool,
}

impl ChildView {
    pub fn new(doc: &Doc<Child>) -> Self {
        let c = &doc.data;
        Self {
            id: doc.id.clone(),
            family: c.family.clone(),
            first_name: c.first_name.clone(),
            last_name: c.last_name.clone(),
            name: c.full_name(),
            level: c.level.clone(),
            subjects: c.subjects.clone(),
            active: c.active,
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct FamilyView {
    pub id: String,
    pub name: String,
    pub phone: String,
    pub online: bool,
    pub feed_path: String,
}

impl FamilyView {
    pub fn new(doc: &Doc<Family>) -> Self {
        Self {
            id: doc.id.clone(),
            name: doc.data.name.clone(),
            phone: doc.data.phone.clone(),
            online: doc.data.user_id.is_some(),
            feed_path: crate::ics::family_feed_path(&doc.data.feed_token),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_child_has_a_level_and_subjects_from_the_settings() {
        let settings = Settings::for_tests();
        let draft = read_child(
            &Input::from_strs(&[
                ("first_name", "Luca"),
                ("last_name", "Rossi"),
                ("level", "primaria"),
                ("subjects", "Matematica"),
            ]),
            &settings,
        )
        .unwrap();
        assert_eq!(draft.level, "Primaria");
        let problems = read_child(
            &Input::from_strs(&[("first_name", "Luca"), ("level", "Università")]),
            &settings,
        )
        .unwrap_err();
        let fields: Vec<&str> = problems.0.iter().map(|p| p.field.as_str()).collect();
        assert_eq!(fields, vec!["last_name", "level", "subjects"]);
    }

    #[test]
    fn other_people_see_a_first_name_and_an_initial() {
        let child = crate::fixtures::child();
        assert_eq!(child.short_name(), "Luca R.");
        assert_eq!(child.full_name(), "Luca Rossi");
    }

    #[test]
    fn phone_numbers_are_checked_only_when_given() {
        assert!(read_family(&Input::from_strs(&[("name", "Famiglia Bianchi")])).is_ok());
        let problems = read_family(&Input::from_strs(&[
            ("name", "Famiglia Bianchi"),
            ("phone", "chiamami"),
        ]))
        .unwrap_err();
        assert!(problems.for_field("phone").is_some());
    }
}
