//! Web security as a visitor meets it: forms and plugin routes refuse requests forged from
//! another site (CSRF), nothing typed into any form comes back as live HTML (XSS), a session
//! planted before login or left after logout is worthless, privileged plugin pages and actions
//! refuse everyone else, and oversized bodies are refused with a clear answer.
//!
//! `cast` populates an instance of every plugin with people of every role; `crawl` reads every
//! page and form they reach; `xss` and `roles` use both.

mod body_limit;
mod cast;
mod crawl;
mod csrf;
mod roles;
mod sessions;
mod xss;

use crate::support::{HELLO, TestInstance};

/// What an attacker would type into every text field.
pub(super) const PAYLOAD: &str = r#"<script>alert("x")</script>"'><img src=x onerror=alert(1)>"#;

/// A token shaped like a real one that no browser was given.
pub(super) const WRONG_TOKEN: &str =
    "0000000000000000000000000000000000000000000000000000000000000000";

/// Hello (a copy the table may propose) plus a coordination table, for the kernel's
/// governance forms.
pub(super) fn kernel_instance(id: &str) -> TestInstance {
    TestInstance::table(
        id,
        &format!(
            r#"[governance]
quorum_percent = 50
majority = "simple"
voting_window = "1h"
{HELLO}"#
        ),
    )
}
