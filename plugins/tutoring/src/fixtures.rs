//! Records for unit tests, written once: a test changes only the fields its case is about
//! (`Lesson { level: …, ..fixtures::lesson() }`), so what it checks stands out.

use crate::family::Child;
use crate::lesson::{Booking, Lesson, LessonStatus};

/// A scheduled, empty Primaria lesson of Matematica on Monday 2025-03-31 from 15:00 to 16:00.
pub fn lesson() -> Lesson {
    Lesson {
        tutor: "t".into(),
        space: "s".into(),
        subject: "Matematica".into(),
        level: "Primaria".into(),
        date: "2025-03-31".into(),
        month: "2025-03".into(),
        start: 900,
        minutes: 60,
        start_at: 0,
        end_at: 0,
        status: LessonStatus::Scheduled,
        seats: vec![],
        attendance: None,
        cancel_reason: None,
        created_at: 0,
        created_by: String::new(),
    }
}

/// Luca Rossi of family `f`, active, in Primaria, who needs help in Matematica.
pub fn child() -> Child {
    Child {
        family: "f".into(),
        first_name: "Luca".into(),
        last_name: "Rossi".into(),
        level: "Primaria".into(),
        subjects: vec!["Matematica".into()],
        active: true,
        created_at: 0,
    }
}

/// Child `c` of family `f` booked into [`lesson`] `l`, the hours taken from its month.
pub fn booking() -> Booking {
    let lesson = lesson();
    Booking::new("l", &lesson, "c", "f", lesson.month.clone(), 0, "")
}
