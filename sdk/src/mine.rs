//! The answer to `GET /api/mine`, which the kernel's "my applications and bookings" page
//! (`/me`) gathers from every plugin that declares `[plugin] mine` in `plugin.toml`: a list of
//! `{title, status, href}` in the request's language. Every plugin answers in this one shape,
//! and the kernel shows at most [`MOST`] items of each, so both live here rather than in each
//! plugin.

use serde::Serialize;

/// The kernel shows at most this many items per plugin.
pub const MOST: usize = 50;

/// One line of `/me`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Item {
    pub title: String,
    pub status: String,
    pub href: String,
    /// When it last changed, or when it takes place, in ms: for the order (newest first); not
    /// sent.
    #[serde(skip)]
    pub at: i64,
}

/// `items` newest first by [`Item::at`] (items of the same moment keep their order), at most
/// [`MOST`]: what the kernel shows.
pub fn newest_first(mut items: Vec<Item>) -> Vec<Item> {
    items.sort_by_key(|item| std::cmp::Reverse(item.at));
    items.truncate(MOST);
    items
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(title: &str, at: i64) -> Item {
        Item {
            title: title.into(),
            status: String::new(),
            href: String::new(),
            at,
        }
    }

    #[test]
    fn the_newest_come_first_and_no_more_than_the_kernel_shows() {
        let items: Vec<Item> = (0..60).map(|n| item("x", n)).collect();
        let shown = newest_first(items);
        assert_eq!(shown.len(), MOST);
        assert_eq!(shown[0].at, 59);
        let tie = newest_first(vec![item("a", 1), item("b", 1)]);
        assert_eq!(tie[0].title, "a");
        assert!(
            !serde_json::to_string(&tie[0])
                .unwrap_or_default()
                .contains("\"at\"")
        );
    }
}
