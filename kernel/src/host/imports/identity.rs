//! `identity`: who is calling, their roles, and the instance's accounts by id.
use wasmtime::component::{HasSelf, Linker};

use crate::host::bindings::{identity, types};
use crate::host::call::CallState;

impl From<crate::auth::users::User> for types::User {
    fn from(user: crate::auth::users::User) -> Self {
        types::User {
            id: user.id,
            username: user.username,
            display_name: user.display_name,
            roles: user.roles,
        }
    }
}

/// Links the `identity` interface into a plugin's linker.
pub(super) fn link(linker: &mut Linker<CallState>) -> wasmtime::Result<()> {
    identity::add_to_linker::<_, HasSelf<_>>(linker, |state| state)
}

impl identity::Host for CallState {
    async fn caller(&mut self) -> wasmtime::Result<Option<types::User>> {
        Ok(self.caller.clone())
    }

    async fn has_role(&mut self, role: String) -> wasmtime::Result<bool> {
        Ok(self
            .caller
            .as_ref()
            .is_some_and(|user| user.roles.contains(&role)))
    }

    async fn find_user(&mut self, id: String) -> wasmtime::Result<Option<types::User>> {
        let ctx = &self.ctx;
        let found = crate::auth::users::find_by_id_in(&self.tx.reader(), &ctx.instance, &id).await;
        if found.is_err() {
            self.tx.note_failure();
        }
        let found = found?;
        Ok(found.map(Into::into))
    }
}
