//! Figures published about people: counts with small cells suppressed, and averages with the
//! reader's decimal mark.
//!
//! A count from 1 to 4 is shown as `"< 5"`: in a small municipality a table that says "2
//! families with a disabled child in via Roma" points at them. Statistics offices (ISTAT's
//! rules for tables on people) suppress such cells, and so do Trama's plugins, with one
//! threshold. Never print a total beside suppressed cells: total minus the others gives them
//! back.

use crate::i18n::{self, Lang};

/// The smallest count shown as it is.
pub const SMALLEST: u64 = 5;

/// A count as published: `"0"`, `"< 5"` or the number.
pub fn cell(count: u64) -> String {
    if count > 0 && count < SMALLEST {
        format!("< {SMALLEST}")
    } else {
        count.to_string()
    }
}

/// Whether a group of `count` people is large enough to describe (an average, a median, a
/// share): at least [`SMALLEST`].
pub fn enough(count: u64) -> bool {
    count >= SMALLEST
}

/// `tenths` (a value times ten, already rounded) with one decimal and the decimal mark of the
/// language being answered: `"4,2"` in Italian, `"4.2"` in English.
pub fn one_decimal(tenths: i64) -> String {
    let mark = match i18n::current() {
        Lang::En => '.',
        Lang::It => ',',
    };
    let sign = if tenths < 0 { "-" } else { "" };
    let abs = tenths.unsigned_abs();
    format!("{sign}{}{mark}{}", abs / 10, abs % 10)
}

/// The mean of `sum` over `count`, in tenths rounded half up (`None` for no count).
pub fn mean_tenths(sum: i64, count: u64) -> Option<i64> {
    let count = i64::try_from(count).ok().filter(|c| *c > 0)?;
    Some((sum * 20 + count).div_euclid(2 * count))
}

/// `part` of `whole` as a whole percentage, rounded half up (`None` when `whole` is 0).
pub fn percent(part: u64, whole: u64) -> Option<u64> {
    (whole > 0).then(|| (part * 200 + whole) / (2 * whole))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_from_one_to_four_are_suppressed() {
        assert_eq!(cell(0), "0");
        assert_eq!(cell(1), "< 5");
        assert_eq!(cell(4), "< 5");
        assert_eq!(cell(5), "5");
        assert!(!enough(4) && enough(5));
    }

    #[test]
    fn means_and_shares_round_half_up() {
        assert_eq!(mean_tenths(21, 5), Some(42));
        assert_eq!(mean_tenths(7, 2), Some(35));
        assert_eq!(mean_tenths(1, 3), Some(3));
        assert_eq!(mean_tenths(3, 0), None);
        assert_eq!(percent(1, 3), Some(33));
        assert_eq!(percent(1, 8), Some(13));
        assert_eq!(percent(2, 0), None);
    }

    #[test]
    fn one_decimal_uses_the_readers_mark() {
        i18n::set_locale("it");
        assert_eq!(one_decimal(42), "4,2");
        i18n::set_locale("en");
        assert_eq!(one_decimal(42), "4.2");
        assert_eq!(one_decimal(-5), "-0.5");
    }
}
