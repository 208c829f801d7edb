//! Migration 20, host API 1.10: the welfare wallet (`crate::wallet`) — the purses plugins offer
//! to people, the charges other plugins draw on them, and what each purse paid of a charge.

use sea_orm_migration::prelude::*;

use super::{run_script, text_types};

pub(super) struct Wallet;

impl MigrationName for Wallet {
    fn name(&self) -> &str {
        "m20261205_000020_wallet"
    }
}

const WALLET: &str = r#"
CREATE TABLE wallet_purses (
    instance TEXT NOT NULL,
    owner TEXT NOT NULL,
    account @TEXT@ NOT NULL,
    holder TEXT NOT NULL,
    label TEXT NOT NULL,
    categories TEXT NOT NULL,
    valid_from TEXT,
    valid_until TEXT,
    withdrawn BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (instance, owner, account)
);
CREATE INDEX wallet_purses_by_holder ON wallet_purses (instance, holder);
CREATE TABLE wallet_charges (
    instance TEXT NOT NULL,
    charger TEXT NOT NULL,
    charge_key @TEXT@ NOT NULL,
    holder TEXT NOT NULL,
    category TEXT NOT NULL,
    asked BIGINT NOT NULL,
    amount BIGINT NOT NULL,
    uncovered BIGINT NOT NULL,
    receiving TEXT NOT NULL,
    memo TEXT NOT NULL,
    at BIGINT NOT NULL,
    call_id TEXT,
    PRIMARY KEY (instance, charger, charge_key),
    CHECK (amount >= 0 AND uncovered >= 0 AND uncovered <= amount AND amount <= asked)
);
CREATE INDEX wallet_charges_by_holder ON wallet_charges (instance, holder, at);
CREATE TABLE wallet_draws (
    instance TEXT NOT NULL,
    charger TEXT NOT NULL,
    charge_key @TEXT@ NOT NULL,
    seq BIGINT NOT NULL,
    owner TEXT NOT NULL,
    account TEXT NOT NULL,
    drawn BIGINT NOT NULL,
    refunded BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (instance, charger, charge_key, seq),
    CHECK (drawn > 0 AND refunded >= 0 AND refunded <= drawn)
)
"#;

#[async_trait::async_trait]
impl MigrationTrait for Wallet {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        run_script(manager, &text_types(manager, WALLET)).await
    }
}

/// Migration 22: `wallet_draws.told`, whether the purse's owner was told of the draw
/// (`crate::wallet::DRAWN`). A payment back is told only for a draw that was, so an owner that
/// starts listening (or a draw from before owners were told) never sees money come back that
/// it never saw leave.
pub(super) struct WalletTold;

impl MigrationName for WalletTold {
    fn name(&self) -> &str {
        "m20261205_000022_wallet_told"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for WalletTold {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        run_script(
            manager,
            "ALTER TABLE wallet_draws ADD COLUMN told BIGINT NOT NULL DEFAULT 0",
        )
        .await
    }
}
