//! The committee roster: who sits on the admission committee, and who may vote on a case.
//!
//! **Who sits on it.** Every account holding the kernel role `committee`, listed by the kernel
//! (`identity::holders`, host API 1.4): a member who never opened the committee page counts
//! towards the quorum like the others, so one vote can never meet a quorum meant for the whole
//! committee. Revoking the role in the kernel (`trama user`, the admin) takes a member off the
//! committee at once, with nothing to keep in sync by hand. The committee page shows the roster
//! and who has not opened it yet.
//!
//! Each member's profile also holds what the conflict-of-interest check needs: their own
//! codice fiscale and the organisations and people they are linked to (see [`crate::conflict`]).

use serde::{Deserialize, Serialize};
use trama_sdk::checked::IntoResult;
use trama_sdk::identity::{self, User};
use trama_sdk::input::{Input, Problems};
use trama_sdk::store::{Collection, Doc};
use trama_sdk::web::Audience;
use trama_sdk::{Error, Result, audit};
use trama_sdk::{fiscal, i18n, t};

use crate::conflict::{self, Conflict, Declared, Link, MemberLinks, Subject};

pub const MEMBERS: Collection<Member> = Collection::new("members");
/// The kernel role of committee members.
pub const ROLE: &str = "committee";

/// Who may open the committee's pages and act on its cases.
pub const COMMITTEE: Audience = Audience {
    roles: &[ROLE],
    refusal: "admissions.refusal.committee",
};
/// Links a member may declare.
const MAX_LINKS: usize = 100;
/// Profiles read at once: more than any committee has members.
const MAX_MEMBERS: u32 = 1000;

/// A committee member (the document id is their account id).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Member {
    pub username: String,
    pub display_name: String,
    pub joined_at: i64,
    /// The member's own codice fiscale: a case whose legal representative it is conflicts.
    #[serde(default)]
    pub tax_code: Option<String>,
    #[serde(default)]
    pub links: Vec<Link>,
    #[serde(default)]
    pub updated_at: i64,
}

impl Member {
    pub fn links_for_check<'a>(&'a self, id: &'a str) -> MemberLinks<'a> {
        MemberLinks {
            id,
            tax_code: self.tax_code.as_deref(),
            links: &self.links,
        }
    }
}

/// A member as the minutes name them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemberRef {
    pub id: String,
    pub username: String,
    pub name: String,
}

impl MemberRef {
    fn of(doc: &Doc<Member>) -> Self {
        Self {
            id: doc.id.clone(),
            username: doc.data.username.clone(),
            name: doc.data.display_name.clone(),
        }
    }
}

#[cfg(test)]
impl MemberRef {
    /// A member for the tests of the decision and the minutes: `id` is also the username.
    pub fn named(id: &str, name: &str) -> Self {
        Self {
            id: id.into(),
            username: id.into(),
            name: name.into(),
        }
    }
}

/// A member who may not vote on a case, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Excluded {
    pub member: MemberRef,
    pub conflict: Conflict,
}

/// Who may vote on a case.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Electorate {
    pub voters: Vec<MemberRef>,
    pub excluded: Vec<Excluded>,
}

impl Electorate {
    pub fn ids(&self) -> Vec<String> {
        self.voters.iter().map(|m| m.id.clone()).collect()
    }

    pub fn conflict_of(&self, member: &str) -> Option<&Conflict> {
        self.excluded
            .iter()
            .find(|e| e.member.id == member)
            .map(|e| &e.conflict)
    }

    /// Refuses (`403`) a `member` who may not vote on the case: one with a conflict of interest,
    /// the refusal worded by `conflicted` from what the conflict is (an application and a
    /// proceeding say it each their way), or one not on the roster.
    pub fn admit(&self, member: &str, conflicted: impl FnOnce(String) -> String) -> Result<()> {
        match self.conflict_of(member) {
            Some(conflict) => Err(Error::forbidden(conflicted(conflict.describe()))),
            None if self.voters.iter().any(|v| v.id == member) => Ok(()),
            None => Err(Error::forbidden(t!("admissions.roster.not_a_member"))),
        }
    }
}

/// The caller, if they hold the `committee` role, registered on the roster on their first
/// visit (see the module documentation).
pub fn require_member(now: i64) -> Result<(User, Doc<Member>)> {
    let user = COMMITTEE.require(i18n::current())?;
    let member = ensure(&user, now)?;
    Ok((user, member))
}

/// The member document of `user`, created on the first visit.
fn ensure(user: &User, now: i64) -> Result<Doc<Member>> {
    if let Some(doc) = MEMBERS.get(&user.id)? {
        return Ok(doc);
    }
    let member = Member {
        username: user.username.clone(),
        display_name: user.display_name.clone(),
        joined_at: now,
        tax_code: None,
        links: Vec::new(),
        updated_at: now,
    };
    match MEMBERS.create(&user.id, member) {
        Ok(doc) => {
            audit::record(
                "committee.member_joined",
                &user.id,
                &serde_json::json!({ "username": user.username }),
            )?;
            Ok(doc)
        }
        // Two first visits at once: the other one registered the member.
        Err(Error::Conflict(_)) => MEMBERS
            .get(&user.id)?
            .ok_or_else(|| Error::internal("a committee member vanished while joining")),
        Err(err) => Err(err),
    }
}

/// The committee: every account holding the `committee` role, with the profile of those who
/// opened the committee page (by joining date) and then those who have not yet (with no
/// declared links, `joined_at` 0).
pub fn current() -> Result<Vec<Doc<Member>>> {
    let mut profiles: std::collections::HashMap<String, Doc<Member>> = MEMBERS
        .query()
        .limit(MAX_MEMBERS)
        .fetch()?
        .into_iter()
        .map(|doc| (doc.id.clone(), doc))
        .collect();
    let mut roster: Vec<Doc<Member>> = identity::holders(ROLE)?
        .into_iter()
        .map(|user| {
            profiles.remove(&user.id).unwrap_or_else(|| Doc {
                id: user.id,
                version: 0,
                data: Member {
                    username: user.username,
                    display_name: user.display_name,
                    joined_at: 0,
                    tax_code: None,
                    links: Vec::new(),
                    updated_at: 0,
                },
            })
        })
        .collect();
    roster.sort_by_key(|doc| (doc.data.joined_at == 0, doc.data.joined_at));
    Ok(roster)
}

/// The members entitled to vote on a case about `subject`, and the ones excluded for a conflict.
pub fn electorate(subject: &Subject, declared: &[Declared]) -> Result<Electorate> {
    Ok(electorate_of(&current()?, subject, declared))
}

/// [`electorate`] over a given roster.
pub fn electorate_of(
    members: &[Doc<Member>],
    subject: &Subject,
    declared: &[Declared],
) -> Electorate {
    let mut electorate = Electorate::default();
    for doc in members {
        match conflict::conflict_of(doc.data.links_for_check(&doc.id), subject, declared) {
            None => electorate.voters.push(MemberRef::of(doc)),
            Some(conflict) => electorate.excluded.push(Excluded {
                member: MemberRef::of(doc),
                conflict,
            }),
        }
    }
    electorate
}

/// A codice fiscale or partita IVA, normalised (`IT` prefix and spaces removed, upper case).
pub fn identifier(text: &str) -> Option<String> {
    fiscal::tax_code(text)
        .or_else(|_| fiscal::vat_number(text))
        .ok()
}

/// A member's profile as sent: their own codice fiscale, and one link per line, "identifier
/// note" (`01234567897 socia della cooperativa`).
pub fn read_profile(input: &Input) -> std::result::Result<(Option<String>, Vec<Link>), Problems> {
    let mut problems = Problems::default();
    let tax_code = match input.one("tax_code") {
        None => None,
        Some(text) => match fiscal::tax_code(text) {
            Ok(code) if code.len() == 16 => Some(code),
            _ => {
                problems.push(
                    "tax_code",
                    t!("admissions.roster.tax_code_invalid", text = text),
                );
                None
            }
        },
    };
    let mut links: Vec<Link> = Vec::new();
    for line in input.list("links") {
        let (id_text, note) = line
            .split_once(char::is_whitespace)
            .map(|(id, note)| (id, note.trim()))
            .unwrap_or((line, ""));
        match identifier(id_text) {
            Some(identifier) if note.chars().count() <= 200 => {
                if !links.iter().any(|l| l.identifier == identifier) {
                    links.push(Link {
                        identifier,
                        note: note.to_owned(),
                    });
                }
            }
            Some(_) => problems.push(
                "links",
                t!("admissions.roster.note_too_long", text = id_text, max = 200),
            ),
            None => problems.push(
                "links",
                t!("admissions.roster.link_invalid", text = id_text),
            ),
        }
    }
    if links.len() > MAX_LINKS {
        problems.push(
            "links",
            t!("admissions.roster.too_many_links", max = MAX_LINKS),
        );
    }
    problems.into_result((tax_code, links))
}

/// Saves the caller's profile.
pub fn save_profile(
    member: Doc<Member>,
    tax_code: Option<String>,
    links: Vec<Link>,
    now: i64,
) -> Result<Doc<Member>> {
    let mut doc = member;
    doc.data.tax_code = tax_code;
    doc.data.links = links;
    doc.data.updated_at = now;
    doc.version = MEMBERS.put_if_version(&doc.id, &doc.data, doc.version)?;
    audit::record(
        "committee.profile_updated",
        &doc.id,
        &serde_json::json!({
            "links": doc.data.links.iter().map(|l| &l.identifier).collect::<Vec<_>>(),
            "tax_code_declared": doc.data.tax_code.is_some(),
        }),
    )?;
    Ok(doc)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(id: &str, links: Vec<Link>) -> Doc<Member> {
        Doc {
            id: id.into(),
            version: 1,
            data: Member {
                username: id.into(),
                display_name: id.to_uppercase(),
                joined_at: 0,
                tax_code: None,
                links,
                updated_at: 0,
            },
        }
    }

    #[test]
    fn conflicted_members_leave_the_electorate_with_their_reason() {
        let members = vec![
            doc("a", vec![]),
            doc(
                "b",
                vec![Link {
                    identifier: "01234567897".into(),
                    note: "consigliera".into(),
                }],
            ),
            doc("c", vec![]),
        ];
        let subject = Subject {
            user_id: Some("c".into()),
            organisation: vec!["01234567897".into()],
            representative: None,
        };
        let electorate = electorate_of(&members, &subject, &[]);
        assert_eq!(electorate.ids(), vec!["a".to_owned()]);
        assert!(matches!(
            electorate.conflict_of("b"),
            Some(Conflict::DeclaredLink { .. })
        ));
        assert_eq!(electorate.conflict_of("c"), Some(&Conflict::OwnAccount));
    }

    #[test]
    fn profiles_list_one_link_per_line() {
        let input = Input::from_pairs(&[
            ("tax_code".into(), "vrdgpp80a01h501u".into()),
            (
                "links".into(),
                "IT01234567897 socia della cooperativa\nRSSMRA85T10A562S mio cognato\n01234567897 doppione".into(),
            ),
        ]);
        let (tax_code, links) = read_profile(&input).unwrap();
        assert_eq!(tax_code.as_deref(), Some("VRDGPP80A01H501U"));
        assert_eq!(links.len(), 2, "the same identifier twice is one link");
        assert_eq!(links[0].identifier, "01234567897");
        assert_eq!(links[0].note, "socia della cooperativa");
        assert_eq!(links[1].note, "mio cognato");
        let bad = Input::from_pairs(&[("links".into(), "12345 amico".into())]);
        i18n::set_locale("en");
        let problems = read_profile(&bad).unwrap_err();
        i18n::set_locale("it");
        assert!(
            problems
                .for_field("links")
                .unwrap()
                .starts_with("`12345` is neither")
        );
    }
}
