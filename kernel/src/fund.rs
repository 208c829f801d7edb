//! The territory's fund: the money its funders (`[budget]` of the manifest: a municipality, a
//! foundation, a company) put in, which the coordination table allocates to measures by vote.
//!
//! It lives in the kernel's own books of the double-entry ledger, the scope [`SCOPE`], which no
//! plugin can name (a plugin name has no `@`), so the same guarantees hold as for the plugins'
//! money: integer cents, a funder's fund never below zero however many nodes race for it, each
//! movement claimed once by its idempotency key.
//!
//! | movement | from → to | key |
//! |---|---|---|
//! | a deposit | `source/{funder}` (external: the funder's treasury) → `fund/{funder}` | `deposit/{form key}` |
//! | an allocation | `fund/{funder}` → `measure/{plugin}/{measure}/{funder}` (external) | `allocation/{proposal}` |
//! | an allocation the measure refused | `measure/…/{funder}` → `fund/{funder}` | `allocation/{proposal}/undo` |
//!
//! So for each funder, deposited (minus the balance of `source/…`) = allocated (the balances
//! of its `measure/…` accounts) + available (the balance of `fund/…`).

use std::collections::BTreeMap;

use sea_orm::DbErr;
use serde::Serialize;

use crate::db::Db;
use crate::ledger::{AccountKind, Ledger, LedgerError, Transfer, TransferRequest};

/// The ledger scope of the kernel's books of the fund.
pub const SCOPE: &str = "@budget";

/// Most accounts the books read (three per funder, one per funder and measure).
const MAX_ACCOUNTS: u32 = 1000;

fn source(funder: &str) -> String {
    format!("source/{funder}")
}

fn fund(funder: &str) -> String {
    format!("fund/{funder}")
}

fn measure_account(plugin: &str, measure: &str, funder: &str) -> String {
    format!("measure/{plugin}/{measure}/{funder}")
}

/// The idempotency key of proposal `number`'s allocation: the same on every node, so the
/// money moves once however many apply it.
pub fn allocation_key(number: i64) -> String {
    format!("allocation/{number}")
}

/// Whether `id` can name a measure in an account: letters, digits, `-` and `_`, at most 64.
pub fn is_measure_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 64
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// A movement and whether this request made it (`false`: its key had already moved it).
#[derive(Debug, Clone)]
pub struct Moved {
    pub transfer: Transfer,
    pub new: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum FundError {
    #[error(transparent)]
    Ledger(#[from] LedgerError),
    #[error("database: {0}")]
    Db(#[from] DbErr),
}

/// The fund of one instance.
#[derive(Debug, Clone)]
pub struct Fund {
    db: Db,
    instance: String,
    ledger: Ledger,
}

impl Fund {
    pub fn new(db: Db, instance: &str) -> Self {
        Self {
            ledger: Ledger::new(db.clone(), instance, SCOPE),
            db,
            instance: instance.to_owned(),
        }
    }

    /// Records `cents` put into `funder`'s fund, once per `key`, with the audit entry
    /// `entry` in the same transaction (written only when the money moved now).
    pub async fn deposit(
        &self,
        funder: &str,
        cents: i64,
        key: &str,
        memo: &str,
        entry: crate::audit::Entry,
    ) -> Result<Moved, FundError> {
        let request = TransferRequest {
            from: source(funder),
            to: fund(funder),
            amount: cents,
            idempotency_key: format!("deposit/{key}"),
            memo: memo.to_owned(),
        };
        self.move_once(request, Some(AccountKind::External), vec![entry])
            .await
    }

    /// Moves `cents` of `funder`'s fund to `measure` of `plugin` for proposal `number`, once,
    /// with `entries` audited in the same transaction. Refused whole
    /// ([`LedgerError::InsufficientFunds`]) if the fund no longer holds it.
    pub async fn allocate(
        &self,
        number: i64,
        funder: &str,
        plugin: &str,
        measure: &str,
        cents: i64,
        entries: Vec<crate::audit::Entry>,
    ) -> Result<Moved, FundError> {
        let request = TransferRequest {
            from: fund(funder),
            to: measure_account(plugin, measure, funder),
            amount: cents,
            idempotency_key: allocation_key(number),
            memo: format!("proposal #{number}"),
        };
        self.move_once(request, None, entries).await
    }

    /// Gives proposal `number`'s allocation back to the fund (the measure refused it), once.
    pub async fn undo(
        &self,
        number: i64,
        funder: &str,
        plugin: &str,
        measure: &str,
        cents: i64,
        entries: Vec<crate::audit::Entry>,
    ) -> Result<Moved, FundError> {
        let request = TransferRequest {
            from: measure_account(plugin, measure, funder),
            to: fund(funder),
            amount: cents,
            idempotency_key: format!("{}/undo", allocation_key(number)),
            memo: format!("proposal #{number}: refused by the measure"),
        };
        self.move_once(request, None, entries).await
    }

    /// One movement in one transaction with its audit entries, opening the accounts it needs
    /// (`from_kind`: the kind of `from` when it may need opening; `None`: it must exist, as a
    /// fund does once money was deposited). A replayed key moves nothing and audits nothing.
    async fn move_once(
        &self,
        request: TransferRequest,
        from_kind: Option<AccountKind>,
        entries: Vec<crate::audit::Entry>,
    ) -> Result<Moved, FundError> {
        let write = self.db.begin_owned_write().await?;
        let txn = write.txn();
        if let Some(previous) = self.ledger.find_in(txn, &request.idempotency_key).await? {
            write.rollback().await?;
            let same = previous.from == request.from
                && previous.to == request.to
                && previous.amount == request.amount;
            if !same {
                return Err(LedgerError::Conflict(format!(
                    "`{}` already moved another amount",
                    request.idempotency_key
                ))
                .into());
            }
            return Ok(Moved {
                transfer: previous,
                new: false,
            });
        }
        if let Some(kind) = from_kind {
            self.ledger.open_in(txn, &request.from, kind).await?;
        }
        let to_kind = if request.to.starts_with("fund/") {
            AccountKind::Funded
        } else {
            AccountKind::External
        };
        self.ledger.open_in(txn, &request.to, to_kind).await?;
        let moved = match self.ledger.transfer_all_in(txn, None, vec![request]).await {
            Ok(mut done) => done
                .pop()
                .ok_or_else(|| LedgerError::Internal("no transfer recorded".into()))?,
            Err(err) => {
                write.rollback().await?;
                return Err(err.into());
            }
        };
        crate::audit::append_in(txn, &self.instance, entries).await?;
        write.commit().await?;
        Ok(Moved {
            transfer: moved,
            new: true,
        })
    }

    /// What `funder`'s fund holds now, not yet allocated.
    pub async fn available(&self, funder: &str) -> Result<i64, FundError> {
        Ok(self
            .ledger
            .get(&fund(funder))
            .await?
            .map_or(0, |account| account.balance))
    }

    /// Every balance of the fund's books.
    pub async fn books(&self) -> Result<Books, FundError> {
        let mut books = Books::default();
        for account in self.ledger.list("", MAX_ACCOUNTS, 0).await? {
            let parts: Vec<&str> = account.name.split('/').collect();
            match parts.as_slice() {
                ["source", funder] => {
                    books
                        .deposited
                        .insert((*funder).to_owned(), -account.balance);
                }
                ["fund", funder] => {
                    books
                        .available
                        .insert((*funder).to_owned(), account.balance);
                }
                ["measure", plugin, measure, funder] => {
                    books.allocated.insert(
                        (
                            (*plugin).to_owned(),
                            (*measure).to_owned(),
                            (*funder).to_owned(),
                        ),
                        account.balance,
                    );
                }
                _ => {}
            }
        }
        Ok(books)
    }
}

/// The balances of the fund's books, in cents.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Books {
    /// By funder: everything deposited.
    pub deposited: BTreeMap<String, i64>,
    /// By funder: deposited and not yet allocated.
    pub available: BTreeMap<String, i64>,
    /// By (plugin, measure, funder): allocated by the table.
    pub allocated: BTreeMap<(String, String, String), i64>,
}

/// A measure as its plugin reports it (its `[budget] measures` route).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct Reported {
    pub id: String,
    pub title: String,
    /// Everything the measure received: its own budget and what the table allocated.
    pub budget_cents: i64,
    /// Promised to beneficiaries (vouchers issued, transfers ordered).
    pub committed_cents: i64,
    /// Actually paid out (vouchers redeemed, transfers paid).
    pub spent_cents: i64,
    /// Still to commit.
    pub remaining_cents: i64,
}

/// One measure's line of the budget page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MeasureLine {
    pub plugin: String,
    pub id: String,
    pub title: String,
    /// Allocated by the table, from every funder.
    pub allocated: i64,
    pub budget: i64,
    pub committed: i64,
    pub spent: i64,
    pub remaining: i64,
}

/// One funder's line of the budget page. Committed and spent are the funder's share of each
/// measure's: in proportion to what it allocated of the measure's budget, rounded down.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FunderLine {
    pub id: String,
    pub deposited: i64,
    pub allocated: i64,
    pub committed: i64,
    pub spent: i64,
    /// In the fund, not yet allocated.
    pub available: i64,
}

/// `part` of `whole` × `amount`, rounded down, never more than `part` (a measure reporting a
/// budget below what it was allocated is read as holding at least that).
fn share(amount: i64, part: i64, whole: i64) -> i64 {
    let whole = whole.max(part);
    if whole <= 0 || part <= 0 || amount <= 0 {
        return 0;
    }
    let shared = i128::from(amount) * i128::from(part) / i128::from(whole);
    i64::try_from(shared).unwrap_or(i64::MAX).min(part)
}

/// The budget's lines: every reported measure (by plugin, in the order given) with what the
/// table allocated to it, and every funder of `funders` (in that order) with its books and its
/// share of the measures' commitments and spending. `reported` is (plugin, measure).
pub fn lines(
    books: &Books,
    funders: &[String],
    reported: &[(String, Reported)],
) -> (Vec<MeasureLine>, Vec<FunderLine>) {
    let allocated_to = |plugin: &str, measure: &str| -> i64 {
        books
            .allocated
            .iter()
            .filter(|((p, m, _), _)| p == plugin && m == measure)
            .map(|(_, cents)| *cents)
            .sum()
    };
    let measures: Vec<MeasureLine> = reported
        .iter()
        .map(|(plugin, measure)| MeasureLine {
            plugin: plugin.clone(),
            id: measure.id.clone(),
            title: measure.title.clone(),
            allocated: allocated_to(plugin, &measure.id),
            budget: measure.budget_cents,
            committed: measure.committed_cents,
            spent: measure.spent_cents,
            remaining: measure.remaining_cents,
        })
        .collect();
    let funders = funders
        .iter()
        .map(|funder| {
            let mut line = FunderLine {
                id: funder.clone(),
                deposited: books.deposited.get(funder).copied().unwrap_or(0),
                allocated: 0,
                committed: 0,
                spent: 0,
                available: books.available.get(funder).copied().unwrap_or(0),
            };
            for ((plugin, measure, from), cents) in &books.allocated {
                if from != funder {
                    continue;
                }
                line.allocated += cents;
                if let Some(m) = measures
                    .iter()
                    .find(|m| &m.plugin == plugin && &m.id == measure)
                {
                    let whole = m.budget.max(m.allocated);
                    line.committed += share(m.committed, *cents, whole);
                    line.spent += share(m.spent, *cents, whole);
                }
            }
            line
        })
        .collect();
    (measures, funders)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reported(id: &str, budget: i64, committed: i64, spent: i64) -> Reported {
        Reported {
            id: id.into(),
            title: id.to_uppercase(),
            budget_cents: budget,
            committed_cents: committed,
            spent_cents: spent,
            remaining_cents: budget - committed,
        }
    }

    #[test]
    fn funders_carry_their_share_of_what_a_measure_committed_and_spent() {
        let mut books = Books::default();
        books.deposited.insert("comune".into(), 1_000_000);
        books.available.insert("comune".into(), 400_000);
        books.deposited.insert("fondazione".into(), 300_000);
        books.available.insert("fondazione".into(), 0);
        let key = |m: &str, f: &str| ("vouchers".to_owned(), m.to_owned(), f.to_owned());
        books.allocated.insert(key("a", "comune"), 600_000);
        books.allocated.insert(key("a", "fondazione"), 300_000);
        // Campaign a: 1.000.000 of budget (100.000 its own), 500.000 committed, 200.000 spent.
        let (measures, funders) = lines(
            &books,
            &["comune".into(), "fondazione".into(), "azienda".into()],
            &[
                (
                    "vouchers".into(),
                    reported("a", 1_000_000, 500_000, 200_000),
                ),
                ("vouchers".into(), reported("b", 50_000, 0, 0)),
            ],
        );
        assert_eq!(measures[0].allocated, 900_000);
        assert_eq!(measures[0].remaining, 500_000);
        assert_eq!(measures[1].allocated, 0);
        let comune = &funders[0];
        assert_eq!(
            (comune.deposited, comune.allocated, comune.available),
            (1_000_000, 600_000, 400_000)
        );
        assert_eq!((comune.committed, comune.spent), (300_000, 120_000));
        let fondazione = &funders[1];
        assert_eq!((fondazione.committed, fondazione.spent), (150_000, 60_000));
        // A funder that gave nothing has a line of zeros, not no line.
        assert_eq!(funders[2].deposited, 0);
        assert_eq!(funders[2].allocated, 0);
    }

    #[test]
    fn a_share_never_exceeds_what_was_allocated_and_rounds_down() {
        assert_eq!(share(100, 50, 150), 33);
        assert_eq!(share(100, 1, 3), 1, "never more than the funder gave");
        // A measure reporting less budget than it was given: the allocation is the whole.
        assert_eq!(share(1_000, 500, 100), 500);
        assert_eq!(share(0, 500, 1_000), 0);
        assert_eq!(share(i64::MAX, i64::MAX, i64::MAX), i64::MAX);
    }

    #[test]
    fn measure_ids_fit_an_account_name() {
        assert!(is_measure_id("01J9ZC-abc_1"));
        assert!(!is_measure_id("a/b"));
        assert!(!is_measure_id(""));
        assert!(!is_measure_id(&"x".repeat(65)));
    }
}
