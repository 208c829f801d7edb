//! Conflicts of interest: when a committee member may not vote on a case.
//!
//! The committee is multi-stakeholder on purpose — cooperatives, associations, unions, the
//! municipality sit on it — so members are often linked to the organisations that apply. Three
//! things make a member *conflicted* on a case, and each is checked every time a vote is cast
//! and every time the votes are counted:
//!
//! 1. **Their own account** applied, or is the provider's account.
//! 2. **Declared links.** In their committee profile each member lists the organisations and
//!    people they are linked to — where they work, sit on a board, hold shares, or a relative's
//!    firm — by codice fiscale or partita IVA, and their own codice fiscale. A case whose
//!    organisation (its codice fiscale or partita IVA) or legal representative matches one of
//!    them is a conflict. Identifiers are what the applicant must give anyway, so matching needs
//!    no guesswork on names.
//! 3. **A declaration on the case**: a member who knows of a link not on the list (a friend, a
//!    past job) declares it on the case with a note; it is recorded in the minutes.
//!
//! A conflicted member's vote is refused, and a vote cast before the conflict came to light is
//! not counted. They may not comment or ask the applicant anything either, and while the case
//! is open they do not see the committee's discussion and votes: a member who leaves the room
//! does not listen at the door. Once the case is decided its minutes are open to the whole
//! committee, exclusions and reasons included.

use serde::{Deserialize, Serialize};

use trama_sdk::t;

/// A link a member declared in their profile.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Link {
    /// A codice fiscale or partita IVA, normalised.
    pub identifier: String,
    /// What the link is ("socia della cooperativa", "mio fratello").
    #[serde(default)]
    pub note: String,
}

/// A conflict a member declared on one case.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Declared {
    pub member: String,
    pub name: String,
    pub note: String,
    pub at: i64,
}

/// What a case is about, for the conflict check.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Subject {
    /// The account that applied, or the provider's account.
    pub user_id: Option<String>,
    /// The organisation's codice fiscale and partita IVA.
    pub organisation: Vec<String>,
    /// The legal representative's codice fiscale.
    pub representative: Option<String>,
}

/// What the conflict check needs of a member.
#[derive(Debug, Clone, Copy)]
pub struct MemberLinks<'a> {
    pub id: &'a str,
    pub tax_code: Option<&'a str>,
    pub links: &'a [Link],
}

/// Why a member may not vote on a case.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Conflict {
    OwnAccount,
    LegalRepresentative,
    DeclaredLink { identifier: String, note: String },
    DeclaredOnCase { note: String },
}

impl Conflict {
    pub fn describe(&self) -> String {
        match self {
            Conflict::OwnAccount => t!("admissions.conflict.own_account"),
            Conflict::LegalRepresentative => t!("admissions.conflict.legal_representative"),
            Conflict::DeclaredLink { identifier, note } => match note.trim() {
                "" => t!("admissions.conflict.declared_link", identifier = identifier),
                note => t!(
                    "admissions.conflict.declared_link_noted",
                    identifier = identifier,
                    note = note
                ),
            },
            Conflict::DeclaredOnCase { note } => match note.trim() {
                "" => t!("admissions.conflict.declared_on_case"),
                note => t!("admissions.conflict.declared_on_case_noted", note = note),
            },
        }
    }
}

/// The member's conflict on the case, if any (the first reason found).
pub fn conflict_of(
    member: MemberLinks<'_>,
    subject: &Subject,
    declared: &[Declared],
) -> Option<Conflict> {
    if subject.user_id.as_deref() == Some(member.id) {
        return Some(Conflict::OwnAccount);
    }
    if let (Some(own), Some(rep)) = (member.tax_code, subject.representative.as_deref())
        && own == rep
    {
        return Some(Conflict::LegalRepresentative);
    }
    for link in member.links {
        let hits_org = subject.organisation.contains(&link.identifier);
        let hits_rep = subject.representative.as_deref() == Some(link.identifier.as_str());
        if hits_org || hits_rep {
            return Some(Conflict::DeclaredLink {
                identifier: link.identifier.clone(),
                note: link.note.clone(),
            });
        }
    }
    declared
        .iter()
        .find(|d| d.member == member.id)
        .map(|d| Conflict::DeclaredOnCase {
            note: d.note.clone(),
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn subject() -> Subject {
        Subject {
            user_id: Some("u-shop".into()),
            organisation: vec!["01234567897".into()],
            representative: Some("RSSMRA85T10A562S".into()),
        }
    }

    #[test]
    fn a_member_with_no_links_may_vote() {
        let member = MemberLinks {
            id: "m1",
            tax_code: Some("VRDGPP80A01H501U"),
            links: &[],
        };
        assert_eq!(conflict_of(member, &subject(), &[]), None);
    }

    #[test]
    fn each_kind_of_link_is_a_conflict() {
        let own = MemberLinks {
            id: "u-shop",
            tax_code: None,
            links: &[],
        };
        assert_eq!(
            conflict_of(own, &subject(), &[]),
            Some(Conflict::OwnAccount)
        );
        let rep = MemberLinks {
            id: "m1",
            tax_code: Some("RSSMRA85T10A562S"),
            links: &[],
        };
        assert_eq!(
            conflict_of(rep, &subject(), &[]),
            Some(Conflict::LegalRepresentative)
        );
        let links = [Link {
            identifier: "01234567897".into(),
            note: "socia".into(),
        }];
        let linked = MemberLinks {
            id: "m2",
            tax_code: None,
            links: &links,
        };
        let conflict = conflict_of(linked, &subject(), &[]).unwrap();
        assert!(conflict.describe().contains("01234567897 (socia)"));
        let free = MemberLinks {
            id: "m3",
            tax_code: None,
            links: &[],
        };
        let declared = [Declared {
            member: "m3".into(),
            name: "M3".into(),
            note: "ex dipendente".into(),
            at: 1,
        }];
        assert_eq!(
            conflict_of(free, &subject(), &declared),
            Some(Conflict::DeclaredOnCase {
                note: "ex dipendente".into()
            })
        );
    }

    #[test]
    fn a_link_to_the_legal_representative_counts_too() {
        let links = [Link {
            identifier: "RSSMRA85T10A562S".into(),
            note: "mio cognato".into(),
        }];
        let member = MemberLinks {
            id: "m4",
            tax_code: None,
            links: &links,
        };
        assert!(matches!(
            conflict_of(member, &subject(), &[]),
            Some(Conflict::DeclaredLink { .. })
        ));
    }
}
