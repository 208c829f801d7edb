//! Personal data under the GDPR: the privacy notice people accept (and accept again when it
//! changes), "download my data", and erasure carried out by the administrator.
//!
//! The notice itself is the theme's (`crate::theme::Notice`); plugins take part through the
//! `personal_data` route they declare in `plugin.toml` (see `docs/privacy.md`).

pub mod consent;
pub mod erasure;
pub mod export;

/// Why a download or an erasure could not be done.
#[derive(Debug, thiserror::Error)]
pub enum PrivacyError {
    #[error("database error: {0}")]
    Db(#[from] sea_orm::DbErr),
    /// A plugin did not give or erase its part; nothing is handed out or erased in its place.
    #[error("the service `{plugin}` did not answer for the person's data: {why}")]
    Service { plugin: String, why: String },
    #[error("no such account")]
    NoAccount,
    #[error("the account was erased already")]
    AlreadyErased,
    /// The account holds the administrator's role: revoke it first.
    #[error("the account is an administrator: revoke the role first")]
    HoldsAdmin,
    /// The account holds a seat on the coordination table: remove the seat first.
    #[error("the account holds a seat on the coordination table: remove the seat first")]
    HoldsSeat,
    #[error("the archive could not be written: {0}")]
    Zip(#[from] zip::result::ZipError),
    #[error("the archive could not be written: {0}")]
    Io(#[from] std::io::Error),
    #[error("{0}")]
    Internal(String),
}
