//! The end of every form check: the value read, or every problem found.
//!
//! A plugin reads a form field by field, pushing each problem into one [`Problems`] so that the
//! person sees them all at once, and then answers the value it built only if none was found.
//! That last step was the same five lines in every check of every plugin;
//! [`IntoResult::into_result`] is it, once.
//!
//! ```
//! use trama_sdk::checked::IntoResult;
//! use trama_sdk::input::{Input, Problems};
//!
//! fn read_name(input: &Input) -> Result<String, Problems> {
//!     let mut problems = Problems::default();
//!     let name = input.one("name").unwrap_or_default().trim().to_owned();
//!     if name.is_empty() {
//!         problems.push("name", "write a name");
//!     }
//!     problems.into_result(name)
//! }
//!
//! assert!(read_name(&Input::from_strs(&[("name", " ")])).is_err());
//! assert_eq!(read_name(&Input::from_strs(&[("name", "Anna")])).unwrap(), "Anna");
//! ```

use crate::input::Problems;

/// Problems found while checking a value.
pub trait IntoResult {
    /// `value` when no problem was found, else the problems.
    fn into_result<T>(self, value: T) -> Result<T, Problems>;
}

impl IntoResult for Problems {
    fn into_result<T>(self, value: T) -> Result<T, Problems> {
        if self.is_empty() {
            Ok(value)
        } else {
            Err(self)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_value_only_without_problems() {
        assert_eq!(Problems::default().into_result(7), Ok(7));
        let mut problems = Problems::default();
        problems.push("age", "not a number");
        let refused = problems.into_result(7).unwrap_err();
        assert_eq!(refused.for_field("age"), Some("not a number"));
    }
}
