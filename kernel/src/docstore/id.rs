//! Document identifiers.

/// Makes a unique identifier that sorts by creation time: 12 hex digits of milliseconds, 4 of a
/// counter within that millisecond (so ids made one after the other in this process sort in that
/// order even when the clock has not moved), then 12 random hex digits.
pub fn new_id() -> String {
    static LAST: std::sync::Mutex<(i64, u16)> = std::sync::Mutex::new((0, 0));
    let now = crate::clock::now_ms().max(0);
    let (ms, seq) = {
        let mut last = LAST
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        // A clock that steps back keeps the last millisecond, so order survives it too.
        if now > last.0 {
            *last = (now, 0);
        } else {
            last.1 = last.1.wrapping_add(1);
        }
        *last
    };
    format!(
        "{ms:012x}{seq:04x}{:012x}",
        rand::random::<u64>() & 0xffff_ffff_ffff
    )
}

#[cfg(test)]
mod tests {
    #[test]
    fn ids_made_in_a_row_sort_in_that_order() {
        let ids: Vec<String> = (0..1000).map(|_| super::new_id()).collect();
        let mut sorted = ids.clone();
        sorted.sort();
        assert_eq!(ids, sorted);
        assert!(ids.iter().all(|id| id.len() == 28));
    }
}
