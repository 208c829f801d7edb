//! Reminders before each lesson, to every family with a child booked and to the tutor, through
//! the kernel's notification outbox (the recipient's inbox on the instance and e-mail).
//!
//! The `reminders` job runs every ten minutes and looks at the lessons starting within the
//! `reminder_hours` of the settings. Each message has the key `reminder/{lesson}/{child}` (or
//! `reminder/{lesson}/tutor`), and the kernel queues a key only once, so a run that repeats, a
//! job that overlaps another or a child booked after the first run all end with exactly one
//! reminder each. Families registered by an operator without an account get none (the desk
//! calls them).

use std::collections::HashMap;

use serde::Serialize;
use trama_sdk::notify::{self, Notification};
use trama_sdk::store::{Cmp, Doc};
use trama_sdk::{Result, i18n, identity, log};

use crate::config::Settings;
use crate::family::{CHILDREN, Child, FAMILIES};
use crate::lesson::{LESSONS, Lesson, LessonStatus};
use crate::space::{SPACES, Space};
use crate::tutor::TUTORS;

pub const JOB: &str = "reminders";

/// Lessons read per page.
const PAGE: u32 = 500;

/// What a run did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Sent {
    /// Messages queued now.
    pub queued: u32,
    /// Messages whose key had been queued already (by an earlier run).
    pub already_sent: u32,
    /// Children or tutors without an account to write to.
    pub without_account: u32,
}

/// The instance's own language (an empty locale, see [`i18n::text_in`]): for what is stored
/// and read later by anyone, such as a lesson's cancel reason. Notices go out in the language
/// each recipient chose on the site (`identity::locale_of`), whoever's request caused them.
pub const INSTANCE: &str = "";

/// The reminder to a family about one child's lesson, subject and body, in `locale`.
pub fn family_message(
    locale: &str,
    service: &str,
    lesson: &Lesson,
    child: &Child,
    tutor: &str,
    space: Option<&Space>,
) -> (String, String) {
    let when = lesson.when();
    let place = place(space);
    notice(
        locale,
        "tutoring.notices.reminder_family_subject",
        &[
            ("service", &service),
            ("subject", &lesson.subject),
            ("child", &child.first_name),
            ("when", &when),
        ],
        "tutoring.notices.reminder_family",
        &[
            ("child", &child.first_name),
            ("subject", &lesson.subject),
            ("when", &when),
            ("tutor", &tutor),
            ("place", &place),
        ],
    )
}

/// The reminder to the tutor about one lesson, in `locale`.
pub fn tutor_message(
    locale: &str,
    service: &str,
    lesson: &Lesson,
    children: &[String],
    space: Option<&Space>,
) -> (String, String) {
    let when = lesson.when();
    let place = place(space);
    let names = children.join(", ");
    notice(
        locale,
        "tutoring.notices.reminder_tutor_subject",
        &[
            ("service", &service),
            ("subject", &lesson.subject),
            ("when", &when),
        ],
        "tutoring.notices.reminder_tutor",
        &[
            ("subject", &lesson.subject),
            ("level", &lesson.level),
            ("when", &when),
            ("place", &place),
            ("children", &names),
        ],
    )
}

/// A message's subject (one line, [`clip`]ped) and body in `locale`, from their catalogue keys:
/// both reminders are written this way.
fn notice(
    locale: &str,
    subject_key: &str,
    subject_args: &[(&str, &dyn std::fmt::Display)],
    body_key: &str,
    body_args: &[(&str, &dyn std::fmt::Display)],
) -> (String, String) {
    (
        clip(i18n::text_in(locale, subject_key, subject_args)),
        i18n::text_in(locale, body_key, body_args),
    )
}

/// Where a lesson meets, `name, address`; empty when its space is gone.
fn place(space: Option<&Space>) -> String {
    space.map_or_else(String::new, |s| format!("{}, {}", s.name, s.address))
}

/// Subjects are one line of at most 200 bytes; a long service name or subject is cut, at a
/// character boundary.
pub fn clip(mut text: String) -> String {
    const MAX: usize = 200;
    if text.len() > MAX {
        let mut end = MAX - '…'.len_utf8();
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        text.truncate(end);
        text.push('…');
    }
    text
}

/// Queues one reminder to `recipient`, sent once per `key`, and counts it in `sent`.
fn queue(
    recipient: String,
    (subject, body): (String, String),
    key: String,
    link: Option<String>,
    sent: &mut Sent,
) {
    let message = Notification {
        recipient,
        subject,
        body,
        key,
        link,
    };
    match notify::send(&message) {
        Ok(true) => sent.queued += 1,
        Ok(false) => sent.already_sent += 1,
        // One message that cannot be queued must not hold back the others; the next run
        // tries it again (its key is not used yet).
        Err(err) => log::warn(format!("reminder `{}` not queued: {err}", message.key)),
    }
}

/// Sends the reminders due at `now`.
pub fn run(settings: &Settings, now: i64) -> Result<Sent> {
    let until = now + i64::from(settings.reminder_hours) * 3_600_000;
    let mut sent = Sent::default();
    let mut spaces: HashMap<String, Option<Doc<Space>>> = HashMap::new();
    let mut offset = 0;
    loop {
        let lessons = LESSONS
            .query()
            .filter("status", Cmp::Eq, "scheduled")
            .filter("start_at", Cmp::Gt, now)
            .filter("start_at", Cmp::Le, until)
            .order_by("start_at")
            .limit(PAGE)
            .offset(offset)
            .fetch()?;
        let n = lessons.len();
        for lesson in &lessons {
            if lesson.data.status != LessonStatus::Scheduled {
                continue;
            }
            if !spaces.contains_key(&lesson.data.space) {
                spaces.insert(lesson.data.space.clone(), SPACES.get(&lesson.data.space)?);
            }
            let space = spaces
                .get(&lesson.data.space)
                .and_then(|s| s.as_ref())
                .map(|s| &s.data);
            remind(lesson, space, settings, &mut sent)?;
        }
        if n < PAGE as usize {
            return Ok(sent);
        }
        offset += PAGE;
    }
}

fn remind(
    lesson: &Doc<Lesson>,
    space: Option<&Space>,
    settings: &Settings,
    sent: &mut Sent,
) -> Result<()> {
    let tutor = TUTORS.get(&lesson.data.tutor)?;
    let tutor_name = tutor
        .as_ref()
        .map_or_else(String::new, |t| t.data.name.clone());
    let link = Some(format!("{}/lessons/{}", crate::web::BASE, lesson.id));
    let mut names = Vec::new();
    for seat in &lesson.data.seats {
        let Some(child) = CHILDREN.get(&seat.child)? else {
            continue;
        };
        names.push(child.data.short_name());
        let recipient = FAMILIES.get(&seat.family)?.and_then(|f| f.data.user_id);
        let Some(recipient) = recipient else {
            sent.without_account += 1;
            continue;
        };
        // In the language the parent chose on the site, else the instance's.
        let message = family_message(
            &identity::locale_of(&recipient),
            &settings.service_name,
            &lesson.data,
            &child.data,
            &tutor_name,
            space,
        );
        let key = format!("reminder/{}/{}", lesson.id, seat.child);
        queue(recipient, message, key, link.clone(), sent);
    }
    match tutor.and_then(|t| t.data.link.user_id) {
        Some(recipient) => {
            let message = tutor_message(
                &identity::locale_of(&recipient),
                &settings.service_name,
                &lesson.data,
                &names,
                space,
            );
            let key = format!("reminder/{}/tutor", lesson.id);
            queue(recipient, message, key, link, sent);
        }
        None => sent.without_account += 1,
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixtures;

    #[test]
    fn reminders_say_who_what_when_and_where_in_both_languages() {
        let lesson = fixtures::lesson();
        let child = fixtures::child();
        let space = Space {
            name: "Biblioteca civica".into(),
            address: "Via Roma 1".into(),
            capacity: 4,
            opening: vec![],
            closed_dates: vec![],
            active: true,
            created_at: 0,
        };
        let (subject, body) = family_message(
            INSTANCE,
            "Doposcuola",
            &lesson,
            &child,
            "Giulia",
            Some(&space),
        );
        assert_eq!(
            subject,
            "Doposcuola: Matematica Luca 2025-03-31 15:00-16:00"
        );
        assert!(body.starts_with("Promemoria: Luca ha lezione di Matematica il 2025-03-31 15:00-16:00 con Giulia, presso Biblioteca civica, Via Roma 1.\nSe non può venire"), "{body}");
        let (_, english) =
            family_message("en", "Doposcuola", &lesson, &child, "Giulia", Some(&space));
        assert!(
            english.starts_with("Reminder: Luca has a Matematica lesson"),
            "{english}"
        );
        assert!(subject.len() <= 200);
        let long = clip("è".repeat(150));
        assert!(long.len() <= 200 && long.ends_with('…'));
        let (_, body) = tutor_message(
            INSTANCE,
            "Doposcuola",
            &lesson,
            &["Luca R.".into()],
            Some(&space),
        );
        assert!(body.contains("Bambini: Luca R."));
        let (_, body) = tutor_message("en", "Doposcuola", &lesson, &["Luca R.".into()], None);
        assert!(body.contains("Children: Luca R."), "{body}");
    }
}
