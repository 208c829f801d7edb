//! Intervals such as `7d` or `36h` in a plugin's settings, read exactly as the kernel reads a
//! job's `every` in `plugin.toml`: a whole number followed by `s`, `m`, `h` or `d`.
//!
//! ```
//! use std::time::Duration;
//! use trama_sdk::interval;
//!
//! assert_eq!(interval::parse("7d"), Ok(Duration::from_secs(7 * 24 * 3600)));
//! assert!(interval::parse("1 week").is_err());
//! ```

pub use trama_common::interval::{IntervalError, parse_interval as parse};
