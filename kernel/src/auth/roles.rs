//! Which roles exist on an instance: the kernel's own and those its enabled plugins declare in
//! `plugin.toml`. A role nobody declares protects nothing, so granting one is a typo to refuse
//! (`trama user add --role drivr` used to succeed and leave the driver locked out).

use std::collections::BTreeMap;

use super::{AuthError, KERNEL_ROLES};

/// Every role an instance knows, each with the plugins that declare it (empty for a role only
/// the kernel checks).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Declared {
    roles: BTreeMap<String, Vec<String>>,
}

impl Declared {
    /// The kernel's roles and those of `plugins`: (plugin name, roles its `plugin.toml` declares).
    pub fn new<'a, P, R>(plugins: P) -> Self
    where
        P: IntoIterator<Item = (&'a str, R)>,
        R: IntoIterator<Item = &'a String>,
    {
        let mut roles: BTreeMap<String, Vec<String>> = KERNEL_ROLES
            .iter()
            .map(|role| ((*role).to_owned(), Vec::new()))
            .collect();
        for (plugin, declared) in plugins {
            for role in declared {
                let users = roles.entry(role.clone()).or_default();
                if !users.iter().any(|name| name == plugin) {
                    users.push(plugin.to_owned());
                }
            }
        }
        Self { roles }
    }

    pub fn contains(&self, role: &str) -> bool {
        self.roles.contains_key(role)
    }

    /// Refuses a role that neither the kernel nor an enabled plugin declares, listing those
    /// that exist.
    pub fn check(&self, role: &str) -> Result<(), AuthError> {
        if self.contains(role) {
            return Ok(());
        }
        Err(AuthError::UnknownRole {
            role: role.to_owned(),
            known: self.names().collect::<Vec<_>>().join(", "),
        })
    }

    /// Role names, sorted.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.roles.keys().map(String::as_str)
    }

    /// Each role with the plugins that declare it.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &[String])> {
        self.roles
            .iter()
            .map(|(role, plugins)| (role.as_str(), plugins.as_slice()))
    }

    /// Whether only the kernel knows `role` (no enabled plugin declares it).
    pub fn is_kernel(&self, role: &str) -> bool {
        KERNEL_ROLES.contains(&role)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn declared() -> Declared {
        let rides = vec!["operator".to_owned(), "driver".to_owned()];
        let vouchers = vec!["operator".to_owned(), "merchant".to_owned()];
        Declared::new([("rides", &rides), ("vouchers", &vouchers)])
    }

    #[test]
    fn a_plugin_role_and_a_kernel_role_are_known() {
        let declared = declared();
        assert!(declared.check("driver").is_ok());
        assert!(declared.check("admin").is_ok());
        let operator: Vec<_> = declared
            .iter()
            .find(|(role, _)| *role == "operator")
            .map(|(_, plugins)| plugins.to_vec())
            .unwrap_or_default();
        assert_eq!(operator, ["rides", "vouchers"]);
    }

    #[test]
    fn a_misspelt_role_is_refused_naming_those_that_exist() {
        let err = declared().check("drivr").unwrap_err().to_string();
        assert!(err.contains("`drivr`"), "{err}");
        assert!(err.contains("driver"), "{err}");
    }
}
