//! Spaces: library rooms and community halls lent for lessons, with their capacity and their
//! opening hours. A space holds one group at a time; its capacity (children) can make a group
//! smaller than the instance's maximum.

use serde::{Deserialize, Serialize};
use trama_sdk::checked::IntoResult;
use trama_sdk::identity::User;
use trama_sdk::input::{Input, Problems};
use trama_sdk::store::{Collection, Doc};
use trama_sdk::{Error, Result, t};

use crate::schedule::{self, Window};
use crate::{edit, input};

pub const SPACES: Collection<Space> = Collection::new("spaces");

/// Members of a space in JSON.
pub const JSON_FIELDS: &[&str] = &[
    "name",
    "address",
    "capacity",
    "opening",
    "closed_dates",
    "active",
];

/// Most children a space can be set to hold.
pub const MAX_CAPACITY: u32 = 50;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Space {
    pub name: String,
    pub address: String,
    /// Children the room fits (the tutor aside).
    pub capacity: u32,
    /// Weekly opening hours.
    pub opening: Vec<Window>,
    /// Days it is closed, `YYYY-MM-DD`.
    #[serde(default)]
    pub closed_dates: Vec<String>,
    pub active: bool,
    pub created_at: i64,
}

impl Space {
    pub fn closed_on(&self, date: &str) -> bool {
        self.closed_dates.iter().any(|d| d == date)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Draft {
    pub name: String,
    pub address: String,
    pub capacity: u32,
    pub opening: Vec<Window>,
    pub closed_dates: Vec<String>,
    pub active: Option<bool>,
}

pub fn read(input: &Input) -> std::result::Result<Draft, Problems> {
    let mut problems = Problems::default();
    let name = input::text(
        input,
        "name",
        (2, 120),
        &mut problems,
        &t!("tutoring.space.name_length"),
    );
    let address = input::text(
        input,
        "address",
        (3, 200),
        &mut problems,
        &t!("tutoring.space.address_length"),
    );
    let capacity = match input.one("capacity").map(str::parse::<u32>) {
        Some(Ok(n)) if (1..=MAX_CAPACITY).contains(&n) => n,
        _ => {
            problems.push(
                "capacity",
                t!("tutoring.space.capacity", max = MAX_CAPACITY),
            );
            0
        }
    };
    let opening = input::windows(
        input,
        "opening",
        &t!("tutoring.space.opening_missing"),
        &mut problems,
    );
    let closed_dates = input::dates(input, "closed_dates", &mut problems);
    let active = input::active_flag(input, &mut problems);
    problems.into_result(Draft {
        name,
        address,
        capacity,
        opening,
        closed_dates,
        active,
    })
}

impl Draft {
    /// The space `draft` describes, `active` unless the draft says otherwise (a new space is
    /// active; an edit that does not say keeps what the record was).
    fn into_space(self, active: bool, created_at: i64) -> Space {
        Space {
            name: self.name,
            address: self.address,
            capacity: self.capacity,
            opening: self.opening,
            closed_dates: self.closed_dates,
            active: self.active.unwrap_or(active),
            created_at,
        }
    }
}

pub fn not_found(id: &str) -> Error {
    Error::not_found(t!("tutoring.space.not_found", id = id))
}

pub fn load(id: &str) -> Result<Doc<Space>> {
    SPACES.get(id)?.ok_or_else(|| not_found(id))
}

pub fn all() -> Result<Vec<Doc<Space>>> {
    SPACES.query().order_by("name").limit(1000).fetch()
}

pub fn register(draft: Draft, now: i64, actor: &User) -> Result<Doc<Space>> {
    let detail =
        serde_json::json!({ "name": draft.name, "capacity": draft.capacity, "by": actor.username });
    let space = draft.into_space(true, now);
    edit::insert(&SPACES, space, "space.registered", &detail)
}

/// Changes a space. Lessons already scheduled keep their room; a lower capacity only stops
/// new children from joining groups already at it.
pub fn update(id: &str, draft: Draft, actor: &User) -> Result<Doc<Space>> {
    let mut doc = load(id)?;
    doc.data = draft.into_space(doc.data.active, doc.data.created_at);
    let detail = serde_json::json!({ "by": actor.username, "capacity": doc.data.capacity, "active": doc.data.active });
    edit::save(&SPACES, doc, "space.updated", &detail)
}

#[derive(Debug, Clone, Serialize)]
pub struct SpaceView {
    pub id: String,
    pub name: String,
    pub address: String,
    pub capacity: u32,
    pub opening: Vec<Window>,
    pub opening_text: String,
    pub opening_lines: String,
    pub closed_dates: Vec<String>,
    pub active: bool,
}

impl SpaceView {
    pub fn new(doc: &Doc<Space>) -> Self {
        let s = &doc.data;
        Self {
            id: doc.id.clone(),
            name: s.name.clone(),
            address: s.address.clone(),
            capacity: s.capacity,
            opening: s.opening.clone(),
            opening_text: schedule::describe(&s.opening),
            opening_lines: schedule::to_lines(&s.opening),
            closed_dates: s.closed_dates.clone(),
            active: s.active,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_space_needs_a_capacity_and_hours() {
        let mut pairs = [
            ("name", "Biblioteca civica, sala 2"),
            ("address", "Via Roma 1"),
            ("capacity", "0"),
            ("opening", "lun-ven 14:00-19:00"),
            ("closed_dates", "2025-04-25; 2025-05-01"),
        ];
        let problems = read(&Input::from_strs(&pairs)).unwrap_err();
        assert_eq!(problems.0.len(), 1);
        assert!(problems.for_field("capacity").is_some());
        pairs[2].1 = "4";
        let draft = read(&Input::from_strs(&pairs)).unwrap();
        assert_eq!(draft.capacity, 4);
        assert_eq!(draft.opening.len(), 5);
        assert_eq!(draft.closed_dates, vec!["2025-04-25", "2025-05-01"]);
    }
}
