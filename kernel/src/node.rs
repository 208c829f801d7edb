//! The name of this kernel process among the nodes that share one database.
//!
//! Several `trama serve` processes may serve the same instances from one PostgreSQL database.
//! Each records its name on the work it claims (`job_run_log.node`, `event_deliveries.node`) and
//! in every log line, so an operator can tell which node ran a job or delivered an event, and
//! which node stopped in the middle of one. The name is `--node-id` (`TRAMA_NODE_ID`) when given,
//! otherwise `<hostname>-<pid>`, which is unique on one machine and across machines with
//! distinct host names.

use std::sync::OnceLock;

static NODE_ID: OnceLock<String> = OnceLock::new();

/// The longest node id accepted: it is stored in every claim row and printed on every log line.
pub const MAX_LEN: usize = 64;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum NodeIdError {
    #[error(
        "the node id {0:?} is not valid: use 1 to 64 letters, digits, `.`, `-` or `_` (such as `web-1`)"
    )]
    Invalid(String),
    #[error("the node id is already set to {0:?}")]
    AlreadySet(String),
}

/// Names this process. Call it once, before anything asks for [`id`].
pub fn set_id(id: &str) -> Result<(), NodeIdError> {
    if !is_valid(id) {
        return Err(NodeIdError::Invalid(id.to_owned()));
    }
    NODE_ID
        .set(id.to_owned())
        .map_err(|_| NodeIdError::AlreadySet(self::id().to_owned()))
}

/// This process's node id (`<hostname>-<pid>` unless [`set_id`] named it first).
pub fn id() -> &'static str {
    NODE_ID.get_or_init(default_id)
}

/// `<hostname>-<pid>`, with characters outside the node id alphabet replaced by `-`.
pub fn default_id() -> String {
    let host: String = hostname()
        .chars()
        .map(|c| if is_id_char(c) { c } else { '-' })
        .take(MAX_LEN - 11)
        .collect();
    let host = if host.is_empty() { "node".into() } else { host };
    format!("{host}-{}", std::process::id())
}

fn hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .or_else(|| std::env::var("HOSTNAME").ok())
        .or_else(|| std::env::var("COMPUTERNAME").ok())
        .map(|name| name.trim().to_owned())
        .unwrap_or_default()
}

fn is_id_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_')
}

fn is_valid(id: &str) -> bool {
    !id.is_empty() && id.len() <= MAX_LEN && id.chars().all(is_id_char)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_id_is_a_valid_id_ending_in_the_pid() {
        let id = default_id();
        assert!(is_valid(&id), "{id}");
        assert!(id.ends_with(&format!("-{}", std::process::id())), "{id}");
    }

    #[test]
    fn ids_with_spaces_or_control_characters_are_refused() {
        for bad in ["", "web 1", "a\nb", "nodo/1", &"x".repeat(65)] {
            assert!(!is_valid(bad), "{bad:?}");
        }
        assert!(is_valid("web-1.example_a"));
    }
}
