//! Nothing to see: this crate only asks cargo for dependency features (see its `Cargo.toml`).
