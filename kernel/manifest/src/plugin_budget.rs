//! `[budget]` of a `plugin.toml`: the plugin keeps *measures* (a voucher campaign, a service
//! with money of its own) that the coordination table may allocate the territory's fund to.
//!
//! ```toml
//! [budget]
//! measures = "/_kernel/budget/measures"     # GET: the measures and what they committed, spent
//! allocate = "/_kernel/budget/allocations"  # POST: money allocated to one of them
//! ```
//!
//! Both routes are under [`KERNEL_ONLY`]: the kernel calls them, and refuses them to anyone
//! reaching the plugin from outside, so nobody but the table can tell a plugin that money came.

use serde::Deserialize;

use crate::diagnostic::Diagnostics;
use crate::locate::Locator;

/// The first segment of the routes only the kernel may call (`/p/NAME/_kernel/…` is a 404 from
/// outside, whatever the encoding or the slashes).
pub const KERNEL_ONLY: &str = "_kernel";

/// Whether a plugin path is one of the routes only the kernel calls: its first non-empty
/// segment is [`KERNEL_ONLY`], as the SDK's router matches it (empty segments skipped).
pub fn is_kernel_only(path: &str) -> bool {
    path.split('/').find(|segment| !segment.is_empty()) == Some(KERNEL_ONLY)
}

/// The `[budget]` table of a `plugin.toml`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BudgetRoutes {
    /// `GET`: the plugin's measures, `[{id, title, committed_cents, spent_cents}]`.
    pub measures: String,
    /// `POST` (JSON `{measure, amount_cents, key, funder, proposal}`): money allocated to a
    /// measure, once per `key`; 2xx when it is there, 4xx when the measure cannot take it.
    pub allocate: String,
}

impl BudgetRoutes {
    pub(crate) fn check(&self, at: &Locator, diagnostics: &mut Diagnostics) {
        for (field, route) in [("measures", &self.measures), ("allocate", &self.allocate)] {
            let plain = route.starts_with('/')
                && !route.contains(['\\', '?', '#'])
                && !route.chars().any(|c| c.is_control() || c.is_whitespace());
            if !plain || !route.starts_with(&format!("/{KERNEL_ONLY}/")) {
                diagnostics.push(at.diagnostic(
                    &["budget", field],
                    format!(
                        "{route:?} is not a route only the kernel calls: write a path under /{KERNEL_ONLY}/, such as \"/{KERNEL_ONLY}/budget/{field}\""
                    ),
                ));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kernel_only_paths_are_found_whatever_the_slashes() {
        assert!(is_kernel_only("/_kernel/budget/allocations"));
        assert!(is_kernel_only("//_kernel/budget"));
        assert!(is_kernel_only("/_kernel"));
        assert!(!is_kernel_only("/campaigns/_kernel"));
        assert!(!is_kernel_only("/_kernelx/a"));
        assert!(!is_kernel_only("/"));
    }
}
