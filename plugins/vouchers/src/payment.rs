//! How a campaign pays its support: vouchers valid for a number of days or until a date, in
//! one or more instalments a number of days apart. Each voucher carries its own window, set at
//! issue; a shop cannot redeem it outside it (checked in the instance's time zone), and what is
//! left on a voucher past its window goes back to the campaign's budget (the `lapse-vouchers`
//! job, [`crate::lapse`]), where it can fund the next in the ranking.
//!
//! A campaign written as a rulebook may pay by bank transfer instead ([`method`]): each
//! instalment is then a payment order due on its day ([`crate::transfer`]), and the validity
//! of vouchers has no meaning.

use serde::{Deserialize, Serialize};
use trama_sdk::clock::Date;
use trama_sdk::input::{Input, Problems};
use trama_sdk::t;

pub mod method;

pub use method::{Method, Payee};

/// Most instalments a campaign pays in.
pub const MAX_INSTALMENTS: u32 = 12;
/// Longest validity and gap between instalments, in days (ten years).
const MAX_DAYS: u32 = 3650;

/// The campaign's terms of payment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Payment {
    /// Days a voucher can be spent from the day it becomes valid, that day included.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub valid_days: Option<u32>,
    /// Last day any voucher can be spent, `YYYY-MM-DD`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub valid_until: Option<String>,
    /// The award is paid in this many equal parts (the cents left over go to the first).
    #[serde(default = "one")]
    pub instalments: u32,
    /// Days between one instalment and the next.
    #[serde(default = "thirty")]
    pub every_days: u32,
    /// Vouchers (the default, and what campaigns from before 1.4 pay) or a bank transfer.
    #[serde(default)]
    pub method: Method,
    /// Where a transfer goes; `None` for vouchers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payee: Option<Payee>,
}

fn one() -> u32 {
    1
}
fn thirty() -> u32 {
    30
}

impl Default for Payment {
    fn default() -> Self {
        Self {
            valid_days: None,
            valid_until: None,
            instalments: 1,
            every_days: 30,
            method: Method::Vouchers,
            payee: None,
        }
    }
}

/// When a voucher can be spent: from `from` to `until`, both included.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Window {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub until: Option<String>,
}

impl Window {
    /// Why a voucher cannot be spent on `today`, or `None` when it can.
    pub fn refusal(&self, today: Date) -> Option<String> {
        let today = today.to_string();
        if let Some(from) = self.from.as_deref().filter(|from| today.as_str() < *from) {
            return Some(t!("vouchers.payment.not_yet", from = in_words(from)));
        }
        if let Some(until) = self
            .until
            .as_deref()
            .filter(|until| today.as_str() > *until)
        {
            return Some(t!("vouchers.payment.expired", until = in_words(until)));
        }
        None
    }

    /// The window in words, or `None` when a voucher never expires.
    pub fn describe(&self) -> Option<String> {
        match (&self.from, &self.until) {
            (Some(from), Some(until)) => Some(t!(
                "vouchers.payment.window",
                from = in_words(from),
                until = in_words(until)
            )),
            (None, Some(until)) => Some(t!("vouchers.payment.until", until = in_words(until))),
            (Some(from), None) => Some(t!("vouchers.payment.from", from = in_words(from))),
            (None, None) => None,
        }
    }
}

/// `YYYY-MM-DD` as the caller's language writes dates (`DD/MM/YYYY` in Italian).
fn in_words(day: &str) -> String {
    crate::rulebook::answer::show_date(day, trama_sdk::i18n::current())
}

impl Payment {
    /// Reads the terms from a campaign's form or JSON: `valid_days`, `valid_until`,
    /// `instalments`, `instalment_days`, `payment_method`, `payee_iban_question` and
    /// `payee_name_question`, each optional.
    pub fn read(input: &Input, problems: &mut Problems) -> Self {
        let mut payment = Payment::default();
        (payment.method, payment.payee) = method::read(input, problems);
        let mut number = |field: &str, min: u32, max: u32| -> Option<u32> {
            let text = input.one(field)?;
            match text.parse::<u32>() {
                Ok(n) if (min..=max).contains(&n) => Some(n),
                _ => {
                    problems.push(
                        field,
                        t!(
                            "vouchers.problems.whole_number",
                            text = text,
                            min = min,
                            max = max
                        ),
                    );
                    None
                }
            }
        };
        payment.valid_days = number("valid_days", 1, MAX_DAYS);
        if let Some(n) = number("instalments", 1, MAX_INSTALMENTS) {
            payment.instalments = n;
        }
        if let Some(n) = number("instalment_days", 1, MAX_DAYS) {
            payment.every_days = n;
        }
        if let Some(text) = input.one("valid_until") {
            match Date::parse(text) {
                Ok(day) => payment.valid_until = Some(day.to_string()),
                Err(_) => problems.push(
                    "valid_until",
                    t!("vouchers.problems.date_malformed", text = text),
                ),
            }
        }
        payment
    }

    /// Checks the terms against the campaign's closing day: every instalment must still be
    /// spendable on its first day, even when the closing runs on `closes_on`'s next day.
    pub fn check(&self, closes_on: Date, problems: &mut Problems) {
        let Some(until) = self.valid_until.as_deref() else {
            return;
        };
        let gap = i64::from(self.instalments.saturating_sub(1)) * i64::from(self.every_days);
        let last_start = closes_on.add_days(1 + gap).to_string();
        if until < last_start.as_str() {
            problems.push(
                "valid_until",
                t!(
                    "vouchers.payment.until_too_early",
                    day = in_words(&last_start)
                ),
            );
        }
    }

    /// The award `amount_cents` as instalments: equal parts, the cents left over in the first.
    pub fn parts(&self, amount_cents: i64) -> Vec<i64> {
        let n = i64::from(self.instalments.max(1));
        let part = amount_cents / n;
        let first = amount_cents - part * (n - 1);
        std::iter::once(first)
            .chain(std::iter::repeat_n(
                part,
                usize::try_from(n - 1).unwrap_or(0),
            ))
            .filter(|cents| *cents > 0)
            .collect()
    }

    /// The window of the vouchers of instalment `k` (from 0), issued on `issued_on`.
    pub fn window(&self, issued_on: Date, k: u32) -> Window {
        let offset = i64::from(k) * i64::from(self.every_days);
        let start = issued_on.add_days(offset);
        let by_days = self
            .valid_days
            .map(|days| start.add_days(i64::from(days) - 1).to_string());
        let until = match (by_days, &self.valid_until) {
            (Some(a), Some(b)) => Some(if a < *b { a } else { b.clone() }),
            (a, b) => a.or_else(|| b.clone()),
        };
        Window {
            from: (k > 0).then(|| start.to_string()),
            until,
        }
    }

    /// The day instalment `k` (from 0) of an award made on `issued_on` is due.
    pub fn due_on(&self, issued_on: Date, k: u32) -> Date {
        issued_on.add_days(i64::from(k) * i64::from(self.every_days))
    }

    /// The terms in words, for the campaign's page.
    pub fn describe(&self) -> Vec<String> {
        let mut lines = Vec::new();
        if self.method == Method::Transfer {
            lines.push(t!("vouchers.transfer.paid_by_transfer"));
        }
        if self.instalments > 1 {
            lines.push(t!(
                "vouchers.payment.instalments",
                n = self.instalments,
                days = self.every_days
            ));
        }
        if let Some(days) = self.valid_days {
            lines.push(t!("vouchers.payment.valid_days", days = days));
        }
        if let Some(until) = &self.valid_until {
            lines.push(t!("vouchers.payment.valid_until", until = in_words(until)));
        }
        lines
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CLOSED: Date = Date {
        year: 2026,
        month: 1,
        day: 23,
    };

    #[test]
    fn an_award_splits_into_equal_instalments_with_the_odd_cents_first() {
        let two = Payment {
            instalments: 2,
            ..Payment::default()
        };
        assert_eq!(two.parts(20_000), vec![10_000, 10_000]);
        assert_eq!(two.parts(20_001), vec![10_001, 10_000]);
        let three = Payment {
            instalments: 3,
            ..Payment::default()
        };
        assert_eq!(three.parts(10_000), vec![3_334, 3_333, 3_333]);
        assert_eq!(three.parts(2), vec![2], "no empty instalment");
        assert_eq!(Payment::default().parts(12_345), vec![12_345]);
    }

    #[test]
    fn each_instalment_has_its_own_window() {
        let terms = Payment {
            valid_days: Some(90),
            instalments: 2,
            every_days: 30,
            ..Payment::default()
        };
        assert_eq!(
            terms.window(CLOSED, 0),
            Window {
                from: None,
                until: Some("2026-04-22".to_owned())
            },
            "23 January + 89 days"
        );
        assert_eq!(
            terms.window(CLOSED, 1),
            Window {
                from: Some("2026-02-22".to_owned()),
                until: Some("2026-05-22".to_owned())
            }
        );
        // A last day for every voucher cuts the windows short.
        let capped = Payment {
            valid_until: Some("2026-03-31".to_owned()),
            ..terms
        };
        assert_eq!(
            capped.window(CLOSED, 1).until.as_deref(),
            Some("2026-03-31")
        );
    }

    #[test]
    fn a_voucher_is_refused_before_and_after_its_window() {
        let window = Window {
            from: Some("2026-02-22".to_owned()),
            until: Some("2026-05-22".to_owned()),
        };
        let day = |m, d| Date {
            year: 2026,
            month: m,
            day: d,
        };
        assert!(
            window
                .refusal(day(2, 21))
                .is_some_and(|r| r.contains("22/02/2026"))
        );
        assert_eq!(window.refusal(day(2, 22)), None);
        assert_eq!(window.refusal(day(5, 22)), None);
        assert!(
            window
                .refusal(day(5, 23))
                .is_some_and(|r| r.contains("22/05/2026"))
        );
    }
}
