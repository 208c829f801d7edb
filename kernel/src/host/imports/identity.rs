//! `identity`: who is calling, their roles, their fiscal number, and the instance's accounts by
//! id.
use wasmtime::component::{HasSelf, Linker};

use crate::host::bindings::{identity, types};
use crate::host::call::{CallState, visible_roles};

/// Most accounts one `holders` call returns; a plugin pages through more.
const MAX_HOLDERS: u32 = 500;

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
        // The caller's roles are already only the declared ones (see `CallState::new`): asking
        // for another is a fault in the plugin, worth a line in the log.
        if !self.ctx.roles.contains(&role) {
            tracing::warn!(plugin = %self.ctx.plugin, role = %super::clip(role.clone(), super::MAX_LABEL), "has_role asks for a role the plugin does not declare in plugin.toml");
        }
        Ok(self
            .caller
            .as_ref()
            .is_some_and(|user| user.roles.contains(&role)))
    }

    async fn holders(
        &mut self,
        role: String,
        limit: u32,
        offset: u32,
    ) -> wasmtime::Result<Result<Vec<types::User>, String>> {
        let ctx = self.ctx.clone();
        if !ctx.roles.contains(&role) {
            // Listing people is personal data: only the plugin's own roles, and the attempt
            // to reach another is audited like an undeclared collection.
            let refusal = format!(
                "identity: role `{}` is not declared in [plugin] roles of plugin.toml",
                super::clip(role.clone(), super::MAX_LABEL)
            );
            self.note_refusal(refusal);
            return Ok(Err(format!(
                "role `{role}` is not declared in [plugin] roles of plugin `{}`'s plugin.toml",
                ctx.plugin
            )));
        }
        let limit = limit.min(MAX_HOLDERS);
        let found =
            crate::auth::users::holders_in(&self.tx.reader(), &ctx.instance, &role, limit, offset)
                .await;
        if found.is_err() {
            self.tx.note_failure();
        }
        Ok(Ok(found?
            .into_iter()
            .map(|user| visible_roles(user.into(), &ctx.roles))
            .collect()))
    }

    async fn locale_of(&mut self, id: String) -> wasmtime::Result<Option<String>> {
        let ctx = self.ctx.clone();
        let found = crate::auth::users::locale_in(&self.tx.reader(), &ctx.instance, &id).await;
        if found.is_err() {
            self.tx.note_failure();
        }
        // Only a language the instance still speaks: a choice made before a catalogue was
        // removed reads as the instance's own language.
        Ok(found?.filter(|code| ctx.catalogues.speaks(code)))
    }

    async fn fiscal_number(&mut self) -> wasmtime::Result<Option<String>> {
        // Only the caller's own: a plugin learns a fiscal number from the person it belongs
        // to, never by asking about another account.
        let Some(caller) = self.caller.as_ref().map(|user| user.id.clone()) else {
            return Ok(None);
        };
        let instance = self.ctx.instance.clone();
        let found =
            crate::auth::bindings::fiscal_number_of(&self.tx.reader(), &instance, &caller).await;
        if found.is_err() {
            self.tx.note_failure();
        }
        Ok(found?)
    }

    async fn find_user(&mut self, id: String) -> wasmtime::Result<Option<types::User>> {
        let ctx = &self.ctx;
        let found = crate::auth::users::find_by_id_in(&self.tx.reader(), &ctx.instance, &id).await;
        if found.is_err() {
            self.tx.note_failure();
        }
        let declared = &self.ctx.roles;
        Ok(found?.map(|user| visible_roles(user.into(), declared)))
    }
}
