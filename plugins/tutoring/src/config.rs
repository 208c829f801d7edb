//! The plugin's settings on an instance (declared in `plugin.toml`, validated by the kernel).

use serde::Deserialize;
use trama_sdk::{Error, Result, settings};

use crate::allowance::PeriodKind;

/// What the municipality pays for (see [`Settings::billing_basis`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum BillingBasis {
    /// Each hour of lesson held, however many children were in it.
    Lesson,
    /// Each hour a child consumed from a family's allowance (present, absent, or cancelled late).
    Child,
}

/// The settings as the kernel hands them over (`lesson_minutes` is a choice, so text).
#[derive(Debug, Clone, Deserialize)]
struct Raw {
    service_name: String,
    subjects: Vec<String>,
    levels: Vec<String>,
    max_group_size: u32,
    lesson_minutes: String,
    allowance_period: PeriodKind,
    allowance_hours_per_family: u32,
    allowance_hours_per_child: u32,
    cancellation_deadline_hours: u32,
    booking_horizon_days: u32,
    attendance_opens_minutes_before: u32,
    reminder_hours: u32,
    hourly_rate_cents: i64,
    billing_basis: BillingBasis,
    #[serde(default = "grade_scale")]
    grade_scale: Vec<String>,
}

/// The marks of `plugin.toml`, for settings stored before they existed.
fn grade_scale() -> Vec<String> {
    [
        "Gravemente insufficiente (4 o meno)",
        "Insufficiente (5)",
        "Sufficiente (6)",
        "Discreto (7)",
        "Buono (8)",
        "Distinto (9)",
        "Ottimo (10)",
    ]
    .map(str::to_owned)
    .to_vec()
}

#[derive(Debug, Clone)]
pub struct Settings {
    /// Shown on pages, in reminders and as the calendars' name.
    pub service_name: String,
    /// The subjects help is offered in; tutors and children pick from these.
    pub subjects: Vec<String>,
    /// The school levels; a group holds children of one level only.
    pub levels: Vec<String>,
    /// Most children in one group (a space's capacity may lower it).
    pub max_group_size: u32,
    /// Length of a new lesson; lessons already scheduled keep their own.
    pub lesson_minutes: u16,
    /// What an allowance of hours refers to.
    pub allowance_period: PeriodKind,
    /// Hours per family and period, before the hours per child.
    pub allowance_hours_per_family: u32,
    /// Hours per registered child and period.
    pub allowance_hours_per_child: u32,
    /// A cancellation this many hours before the start or earlier gives the hour back.
    pub cancellation_deadline_hours: u32,
    /// How far ahead bookings may be made.
    pub booking_horizon_days: u32,
    /// How long before the start the register opens.
    pub attendance_opens_minutes_before: u32,
    /// How long before a lesson reminders go out.
    pub reminder_hours: u32,
    /// What the municipality pays per hour, in cents.
    pub hourly_rate_cents: i64,
    pub billing_basis: BillingBasis,
    /// The marks a tutoring path records at its start and end, lowest first (see
    /// [`crate::progress`]); fewer than two: not recorded.
    pub grade_scale: Vec<String>,
}

impl Settings {
    pub fn load() -> Result<Self> {
        Self::from_raw(settings::get()?)
    }

    fn from_raw(raw: Raw) -> Result<Self> {
        let lesson_minutes = raw.lesson_minutes.parse().map_err(|_| {
            Error::internal(format!(
                "the setting `lesson_minutes` is `{}`, not a number of minutes",
                raw.lesson_minutes
            ))
        })?;
        Ok(Self {
            service_name: raw.service_name,
            subjects: raw.subjects,
            levels: raw.levels,
            max_group_size: raw.max_group_size,
            lesson_minutes,
            allowance_period: raw.allowance_period,
            allowance_hours_per_family: raw.allowance_hours_per_family,
            allowance_hours_per_child: raw.allowance_hours_per_child,
            cancellation_deadline_hours: raw.cancellation_deadline_hours,
            booking_horizon_days: raw.booking_horizon_days,
            attendance_opens_minutes_before: raw.attendance_opens_minutes_before,
            reminder_hours: raw.reminder_hours,
            hourly_rate_cents: raw.hourly_rate_cents,
            billing_basis: raw.billing_basis,
            grade_scale: raw.grade_scale,
        })
    }

    /// The funded minutes of a family with `children` registered children, by the rule.
    pub fn rule_minutes(&self, children: u32) -> u32 {
        let hours = self
            .allowance_hours_per_family
            .saturating_add(self.allowance_hours_per_child.saturating_mul(children));
        hours.saturating_mul(60)
    }

    /// The defaults of `plugin.toml`, for unit tests.
    #[cfg(test)]
    pub fn for_tests() -> Self {
        Self {
            service_name: "Doposcuola".into(),
            subjects: vec!["Italiano".into(), "Matematica".into(), "Inglese".into()],
            levels: vec!["Primaria".into(), "Secondaria di primo grado".into()],
            max_group_size: 3,
            lesson_minutes: 60,
            allowance_period: PeriodKind::Month,
            allowance_hours_per_family: 0,
            allowance_hours_per_child: 8,
            cancellation_deadline_hours: 24,
            booking_horizon_days: 28,
            attendance_opens_minutes_before: 15,
            reminder_hours: 24,
            hourly_rate_cents: 2200,
            billing_basis: BillingBasis::Lesson,
            grade_scale: grade_scale(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_defaults_of_plugin_toml_are_read() {
        let raw: Raw = serde_json::from_value(serde_json::json!({
            "service_name": "Doposcuola solidale",
            "subjects": ["Italiano"],
            "levels": ["Primaria"],
            "max_group_size": 3,
            "lesson_minutes": "90",
            "allowance_period": "school_year",
            "allowance_hours_per_family": 2,
            "allowance_hours_per_child": 8,
            "cancellation_deadline_hours": 24,
            "booking_horizon_days": 28,
            "attendance_opens_minutes_before": 15,
            "reminder_hours": 24,
            "hourly_rate_cents": 2200,
            "billing_basis": "child",
        }))
        .unwrap();
        let settings = Settings::from_raw(raw).unwrap();
        assert_eq!(settings.lesson_minutes, 90);
        assert_eq!(settings.allowance_period, PeriodKind::SchoolYear);
        assert_eq!(settings.billing_basis, BillingBasis::Child);
        // 2 hours for the family and 8 for each of 3 children.
        assert_eq!(settings.rule_minutes(3), 26 * 60);
    }
}
