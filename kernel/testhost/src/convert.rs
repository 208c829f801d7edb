//! Between the SDK's guest types and the kernel's host types: both are generated from the same
//! WIT, with the same field and case names, and both serialize with serde, so one conversion
//! serves every type.

use serde::Serialize;
use serde::de::DeserializeOwned;

/// `value` as the other side's type of the same WIT definition.
///
/// # Panics
/// If the two do not match — which would mean the SDK and the kernel were generated from
/// different WIT, a build fault rather than a test's.
pub(crate) fn across<A: Serialize, B: DeserializeOwned>(value: A) -> B {
    let json = serde_json::to_value(value)
        .unwrap_or_else(|err| panic!("a host API value does not serialize: {err}"));
    serde_json::from_value(json).unwrap_or_else(|err| {
        panic!("the SDK's and the kernel's host API types differ ({err}): rebuild both from wit/")
    })
}
