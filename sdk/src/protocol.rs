//! Protocol numbers: what a person sends — an application, a request for admission, a request
//! for reimbursement — registered in the instance's register of what it receives (registro di
//! protocollo), with a number like `2026/000123` and the date and time of receipt to put on the
//! receipt. Capability `protocol`, host API 1.8: set `api = "^1.8"` or later.
//!
//! The kernel keeps one sequence per instance and calendar year (Europe/Rome), shared by all
//! its plugins, so a number names one document of the territory whichever service received it.
//! The number is taken in the call's transaction: two people sending at once get consecutive
//! numbers, never the same one, and a call that fails or refuses the request (a form shown
//! again with its problems) gives its number back. Register in the
//! call that stores what was sent, and keep the [`Protocol`] in it:
//!
//! ```no_run
//! use serde::{Deserialize, Serialize};
//! use trama_sdk::protocol::{self, Protocol};
//!
//! #[derive(Serialize, Deserialize)]
//! struct Application {
//!     // Applications stored before protocol numbers existed have none.
//!     #[serde(default, skip_serializing_if = "Option::is_none")]
//!     protocol: Option<Protocol>,
//! }
//!
//! # fn submit() -> trama_sdk::Result<()> {
//! let receipt = protocol::register("vouchers application 01J9")?;
//! assert!(receipt.label().starts_with("20"));
//! # Ok(()) }
//! ```

use serde::{Deserialize, Serialize};

use crate::host::protocol as wit;
use crate::{Error, Result};

/// A registration: what a receipt shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Protocol {
    /// `2026/000123`, as people quote it (kept with the numbers, so that a stored document
    /// says what its receipt said).
    pub label: String,
    /// The calendar year in Europe/Rome of the registration.
    pub year: u32,
    /// The number within the year, from 1.
    pub number: u64,
    /// Unix milliseconds of receipt, from the kernel's clock (pages show it in Rome's time).
    pub at: i64,
}

impl Protocol {
    /// The number as people read and quote it: `2026/000123`.
    pub fn label(&self) -> &str {
        &self.label
    }

    fn from_wit(entry: wit::Entry) -> Self {
        Self {
            label: format!("{}/{:06}", entry.year, entry.number),
            year: entry.year,
            number: entry.number,
            at: entry.at,
        }
    }
}

/// Registers what this call receives: `subject` says what it is in a few words for the
/// register (`vouchers application 01J9…`), never a person's data (at most 200 bytes).
pub fn register(subject: &str) -> Result<Protocol> {
    wit::register(subject)
        .map(Protocol::from_wit)
        .map_err(|err| Error::internal(format!("the protocol register: {err}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_number_reads_with_its_year_and_six_digits() {
        let entry = wit::Entry {
            year: 2026,
            number: 123,
            at: 0,
        };
        assert_eq!(Protocol::from_wit(entry).label(), "2026/000123");
    }
}
