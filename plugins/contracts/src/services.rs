//! `services`: the catalogue tells other plugins which services it offers and what happens to
//! each booking, so that casework can refer a person to a service of the catalogue and follow
//! the referral to its outcome.
//!
//! A booking event names the person by [`crate::person::key`] of the fiscal number their login
//! certified (SPID, CIE) when they booked — never the number itself — and `null` when the login
//! certified none: such a booking is followed by nobody.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use trama_sdk::events::Payload;

/// A service entered the catalogue, or an operator hid or showed it again: what a subscriber
/// needs to offer it in a list (the newest event about a service is its state).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct ServicePublished {
    pub service_id: String,
    pub provider_id: String,
    /// The provider's name as the register shows it.
    pub provider_name: String,
    pub title: String,
    /// One of the instance's categories of services.
    pub category: String,
    /// Hidden by an operator: neither found nor booked.
    pub hidden: bool,
    /// UTC milliseconds of this change: a subscriber keeps the newest.
    pub at: i64,
}

impl Payload for ServicePublished {
    const NAME: &'static str = "services.service_published";
}

/// Declares one booking event: the same fields for every change of a booking's status.
macro_rules! booking_event {
    ($(#[$doc:meta])* $name:ident = $event:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
        pub struct $name {
            pub booking_id: String,
            pub service_id: String,
            /// The service's title, for a subscriber that has not seen it published.
            pub service_title: String,
            pub provider_id: String,
            /// The key ([`crate::person::key`]) of the person who booked, when their login
            /// certified a fiscal number; `null` otherwise.
            #[serde(default)]
            pub person: Option<String>,
            /// When it starts (UTC milliseconds); `null` for a request not yet given a time.
            #[serde(default)]
            pub start_at: Option<i64>,
            /// UTC milliseconds of the change.
            pub at: i64,
        }

        impl Payload for $name {
            const NAME: &'static str = $event;
        }
    };
}

booking_event! {
    /// A person booked a seat of a slot or sent a request: the provider has to confirm it (a
    /// seat in a shared service is confirmed at once: `services.booking_confirmed` follows).
    BookingRequested = "services.booking_requested"
}

booking_event! {
    /// The provider confirmed a booking.
    BookingConfirmed = "services.booking_confirmed"
}

booking_event! {
    /// The provider declined a booking.
    BookingDeclined = "services.booking_declined"
}

booking_event! {
    /// The person cancelled their booking.
    BookingCancelled = "services.booking_cancelled"
}

booking_event! {
    /// The provider marked the booking done: the service was given.
    BookingDone = "services.booking_done"
}
