//! # trama-contracts: the events between Trama's plugins, as types
//!
//! Every event a plugin of this repository publishes has one payload type here, tied to its
//! name by [`trama_sdk::events::Payload`]. The publisher hands a value of that type to
//! [`trama_sdk::events::publish_typed`], and each subscriber reads a delivered event back with
//! [`trama_sdk::events::Event::decode`]: both sides compile against the same struct, so a
//! changed payload is a compile error in every plugin it concerns instead of a subscriber that
//! silently reads `null` at run time.
//!
//! The kernel checks the same contract from its side: each publishing plugin ships the JSON
//! schema of each payload (`plugins/NAME/events/EVENT.json`, declared in its `plugin.toml` under
//! `[events.schemas]`) and refuses a publish that does not match. Those files are generated from
//! these types ([`schemas`]); the test `tests/schemas.rs` fails when a checked-in file differs
//! from what the types generate, and rewrites them with `TRAMA_BLESS=1`.
//!
//! Evolving a payload: adding an optional field (`#[serde(default)]`) keeps older subscribers
//! working, since neither the schemas nor the types refuse unknown fields; removing or retyping
//! a field is a breaking change of the publishing plugin (a new major version).
//!
//! | module | events |
//! |---|---|
//! | [`admissions`] | `admissions.provider_accredited`, `…_suspended`, `…_revoked`, `…_expired` |
//! | [`registry`] | (no event of its own) the provider register mirrored from the admissions events |
//! | [`tutoring`] | `tutoring.lesson_booked`, `…_booking_cancelled`, `…_lesson_cancelled`, `…_attendance_recorded`, `…_path_completed` (a before/after outcome) |
//! | [`vouchers`] | `vouchers.voucher_issued`, `vouchers.voucher_redeemed` |
//! | [`surveys`] | `surveys.answered` |
//! | [`services`] | `services.service_published`, `…_booking_requested`, `…_booking_confirmed`, `…_booking_declined`, `…_booking_cancelled`, `…_booking_done` |
//! | [`casework`] | `casework.case_reviewed` (a before/after outcome) |
//! | [`vouchers`] | `vouchers.voucher_issued`, `vouchers.voucher_redeemed`, `…_campaign_published`, `…_application_submitted`, `…_application_decided` |
//! | [`person`] | (no event of its own) the key that names a person in events instead of their tax code |
//! | [`hello`] | `hello.greeted` |

pub mod admissions;
pub mod casework;
pub mod hello;
pub mod person;
pub mod registry;
pub mod services;
pub mod surveys;
pub mod tutoring;
pub mod vouchers;

use trama_sdk::events::Payload;

/// One published event's schema: what a plugin folder ships as `events/NAME.json`.
#[derive(Debug, Clone, PartialEq)]
pub struct EventSchema {
    /// The dotted event name, e.g. `hello.greeted`.
    pub name: &'static str,
    /// The plugin that publishes it: the folder under `plugins/` that ships the file.
    pub plugin: &'static str,
    /// The JSON schema (draft 2020-12) of its payload.
    pub schema: serde_json::Value,
}

impl EventSchema {
    fn of<P: Payload + schemars::JsonSchema>() -> Self {
        let plugin = P::NAME.split('.').next().unwrap_or(P::NAME);
        Self {
            name: P::NAME,
            plugin,
            schema: schemars::schema_for!(P).to_value(),
        }
    }

    /// The path of the file, relative to the plugin's folder, as `[events.schemas]` names it.
    pub fn file(&self) -> String {
        format!("events/{}.json", self.name)
    }
}

/// The schema of every event in this crate, in a stable order.
pub fn schemas() -> Vec<EventSchema> {
    vec![
        EventSchema::of::<admissions::ProviderAccredited>(),
        EventSchema::of::<admissions::ProviderSuspended>(),
        EventSchema::of::<admissions::ProviderRevoked>(),
        EventSchema::of::<admissions::ProviderExpired>(),
        EventSchema::of::<tutoring::LessonBooked>(),
        EventSchema::of::<tutoring::BookingCancelled>(),
        EventSchema::of::<tutoring::LessonCancelled>(),
        EventSchema::of::<tutoring::AttendanceRecorded>(),
        EventSchema::of::<tutoring::PathCompleted>(),
        EventSchema::of::<vouchers::VoucherIssued>(),
        EventSchema::of::<vouchers::VoucherRedeemed>(),
        EventSchema::of::<surveys::SurveyAnswered>(),
        EventSchema::of::<vouchers::CampaignPublished>(),
        EventSchema::of::<vouchers::ApplicationSubmitted>(),
        EventSchema::of::<vouchers::ApplicationDecided>(),
        EventSchema::of::<services::ServicePublished>(),
        EventSchema::of::<services::BookingRequested>(),
        EventSchema::of::<services::BookingConfirmed>(),
        EventSchema::of::<services::BookingDeclined>(),
        EventSchema::of::<services::BookingCancelled>(),
        EventSchema::of::<services::BookingDone>(),
        EventSchema::of::<hello::Greeted>(),
        EventSchema::of::<casework::CaseReviewed>(),
    ]
}
