//! Identity: accounts with argon2 password hashes, roles per instance, login sessions, and
//! logins through OpenID Connect providers with the fiscal number they assert bound to the
//! account.

pub mod accounts;
pub mod bindings;
pub mod devices;
pub mod fiscal;
pub mod oidc;
pub mod password;
pub mod recovery;
pub mod roles;
pub mod sessions;
pub mod throttle;
pub mod tokens;
pub mod users;

/// Roles the kernel knows; plugins may declare more in `plugin.toml`.
pub const KERNEL_ROLES: &[&str] = &[
    "citizen",
    "operator",
    "provider",
    "merchant",
    "company_hr",
    "committee",
    "governance",
    "scientific_committee",
    "admin",
];

#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    #[error("the username `{0}` is already taken")]
    UsernameTaken(String),
    #[error("{0}")]
    Invalid(String),
    /// A field of an account form that does not meet its rule; pages say so in the person's
    /// language through the catalogue key [`Field::key`].
    #[error("{0}")]
    Field(Field),
    /// A role that neither the kernel nor an enabled plugin declares.
    #[error(
        "no enabled plugin and not the kernel declare the role `{role}`; the roles are: {known}"
    )]
    UnknownRole { role: String, known: String },
    /// The account was disabled by an administrator.
    #[error("the account is disabled")]
    Disabled,
    /// No account with this id on the instance.
    #[error("no such account")]
    NoAccount,
    /// The change would leave the instance without an administrator.
    #[error("the instance must keep at least one administrator")]
    LastAdmin,
    #[error("database error: {0}")]
    Db(#[from] sea_orm::DbErr),
    #[error("password hashing failed: {0}")]
    Hash(String),
    /// Every hasher is busy and the queue is full: try again in a moment.
    #[error("too many logins and sign-ups at once")]
    Busy,
}

/// The account form rules a person can break.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Field {
    #[error(
        "the username must be 3 to 64 characters: lower-case letters, digits, '.', '_', '-' or '@'"
    )]
    Username,
    #[error("the display name must be 1 to 100 characters")]
    DisplayName,
    #[error(
        "the password must be at least {} characters long",
        password::MIN_PASSWORD_LEN
    )]
    PasswordTooShort,
    #[error("this is not an e-mail address")]
    Address,
}

impl Field {
    /// The theme catalogue's message for it.
    pub fn key(&self) -> &'static str {
        match self {
            Field::Username => "problem_username",
            Field::DisplayName => "problem_display_name",
            Field::PasswordTooShort => "problem_password_short",
            Field::Address => "problem_address",
        }
    }
}
