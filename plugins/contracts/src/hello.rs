//! `hello`: the example plugin.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use trama_sdk::events::Payload;

/// A greeting was created.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Greeted {
    /// The greeting's document id.
    pub id: String,
    /// Who was greeted.
    pub name: String,
}

impl Payload for Greeted {
    const NAME: &'static str = "hello.greeted";
}
