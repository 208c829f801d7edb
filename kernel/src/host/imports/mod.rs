//! The host side of every import in the `trama:plugin` world, one module per capability.
//!
//! Each module implements its interface's `Host` trait on [`CallState`] and has a `link`
//! function; [`link`] picks it by [`Capability`], with a match the compiler checks for
//! exhaustiveness. Adding a capability therefore touches its WIT, its variant in
//! `trama_manifest::Capability`, one module here and the SDK: the compiler points at a variant
//! this match forgets, and the test below at a WIT interface without a variant (or a variant
//! missing from `Capability::ALL`).
//!
//! Every function is async: it runs on the call's fiber and awaits kernel services (the
//! database) there, so a plugin waiting for a query holds no thread.

mod audit;
mod clock;
mod events;
mod files;
mod i18n;
mod identity;
mod ledger;
mod log;
mod notice;
mod notify;
mod protocol;
mod seal;
mod settings;
mod store;
mod wallet;

use trama_manifest::Capability;
use wasmtime::component::{HasSelf, Linker};

use super::bindings::types;
use super::call::CallState;

/// Longest audit action or subject, and the longest collection name quoted in a refusal, in
/// bytes.
const MAX_LABEL: usize = 200;

/// Links the interface of `capability` into a plugin's linker.
pub(super) fn link(capability: Capability, linker: &mut Linker<CallState>) -> wasmtime::Result<()> {
    match capability {
        Capability::Store => store::link(linker),
        Capability::Settings => settings::link(linker),
        Capability::Identity => identity::link(linker),
        Capability::Events => events::link(linker),
        Capability::Audit => audit::link(linker),
        Capability::Log => log::link(linker),
        Capability::Clock => clock::link(linker),
        Capability::Ledger => ledger::link(linker),
        Capability::Notify => notify::link(linker),
        Capability::I18n => i18n::link(linker),
        Capability::Files => files::link(linker),
        Capability::Notice => notice::link(linker),
        Capability::Protocol => protocol::link(linker),
        Capability::Seal => seal::link(linker),
        Capability::Wallet => wallet::link(linker),
    }
}

/// Links the shared `types` interface, which every plugin imports.
pub(super) fn link_types(linker: &mut Linker<CallState>) -> wasmtime::Result<()> {
    types::add_to_linker::<_, HasSelf<_>>(linker, |state| state)
}

impl types::Host for CallState {}

/// Most refusals one call keeps for the audit log.
const MAX_REFUSALS_PER_CALL: usize = 20;

impl CallState {
    /// Keeps `refusal` (something the plugin tried to reach beyond its grant) for the audit
    /// log, written when the call ends: refusing is not enough, an operator must learn that a
    /// plugin probes.
    fn note_refusal(&mut self, refusal: String) {
        if self.refusals.len() < MAX_REFUSALS_PER_CALL {
            self.refusals.push(refusal);
        }
    }
}

/// Cuts `text` to at most `max` bytes (an ellipsis included) on a character boundary, control characters (which a
/// label has no use for, and PostgreSQL cannot store as NUL) made spaces.
fn clip(text: String, max: usize) -> String {
    let mut text = if text.chars().any(char::is_control) {
        text.chars()
            .map(|c| if c.is_control() { ' ' } else { c })
            .collect()
    } else {
        text
    };
    if text.len() > max {
        // Room for the ellipsis: the result is at most `max` bytes.
        let mut end = max.saturating_sub('…'.len_utf8());
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        text.truncate(end);
        text.push('…');
    }
    text
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;

    /// The interfaces `wit/plugin.wit`'s world imports, read from the file.
    fn world_imports() -> BTreeSet<String> {
        let wit =
            std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../wit/plugin.wit"))
                .expect("wit/plugin.wit");
        let world = wit
            .split("world plugin {")
            .nth(1)
            .and_then(|rest| rest.split('}').next())
            .expect("the plugin world");
        world
            .lines()
            .filter_map(|line| line.trim().strip_prefix("import "))
            .map(|name| name.trim_end_matches(';').trim().to_owned())
            .collect()
    }

    /// The WIT world, the `Capability` enum and the host's modules name the same interfaces,
    /// and each links: an interface added to the WIT without a capability (or the reverse)
    /// fails here, not at a plugin's first call.
    #[test]
    fn every_interface_of_the_world_is_a_capability_the_host_links() {
        let imports = world_imports();
        let capabilities: BTreeSet<String> = Capability::ALL
            .iter()
            .map(|c| c.as_str().to_owned())
            .collect();
        assert_eq!(imports, capabilities);
        let engine = wasmtime::Engine::default();
        for capability in Capability::ALL {
            let mut linker: Linker<CallState> = Linker::new(&engine);
            link(capability, &mut linker)
                .unwrap_or_else(|err| panic!("`{capability}` does not link: {err}"));
        }
    }
}
