//! Redeeming vouchers at a merchant.
//!
//! A redemption is one ledger `transfer_all` of two entries, under idempotency keys made from
//! the merchant and the request id (a hidden field of the form, or `request_id` in JSON):
//!
//! - `voucher/{code}` → `merchant/{id}/owed`: the money. The voucher's account is funded, so
//!   the ledger refuses, atomically, anything beyond what is left — two hundred cashiers racing
//!   for one voucher cannot spend a cent more than it holds.
//! - `memo/counterpart` → `memo/campaign/{id}/redeemed`: a memorandum entry ("conto
//!   d'ordine") between two external accounts. It moves no real money; it keeps, atomically with
//!   the redemption, the running total spent per campaign that the dashboard shows without
//!   adding up every voucher.
//!
//! Then a `redemptions` document is created under `{merchant}-{request id}`. A retried request
//! replays the transfers (no second payment) and finds or writes the same document.

use serde::{Deserialize, Serialize};
use trama_sdk::i18n::Lang;
use trama_sdk::identity::User;
use trama_sdk::input::{Input, Problems};
use trama_sdk::ledger::{self, AccountKind, LedgerError, TransferRequest};
use trama_sdk::money::{self, format_cents};
use trama_sdk::store::{Collection, Doc};
use trama_sdk::{Error, Result, audit, events};

use crate::code;
use crate::merchant::{self, MerchantStatus};
use crate::voucher::{self, MEMO_COUNTERPART};

pub const REDEMPTIONS: Collection<Redemption> = Collection::new("redemptions");
pub const VOUCHER_REDEEMED: &str = "vouchers.voucher_redeemed";
pub const JSON_FIELDS: &[&str] = &["code", "amount", "request_id"];

/// A redemption as stored. `merchant`, `campaign`, `code` and `at` are indexed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Redemption {
    pub code: String,
    pub merchant: String,
    pub campaign: String,
    pub application: String,
    pub amount_cents: i64,
    /// What was left on the voucher when the redemption was recorded (read just after the
    /// transfer, so a redemption racing on the same voucher may already show in it).
    pub remaining_cents: i64,
    pub transfer_id: String,
    pub request_id: String,
    pub at: i64,
    pub by: String,
}

/// A redemption request, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    pub code: String,
    pub amount_cents: i64,
    pub request_id: String,
}

pub fn read(input: &Input, lang: Lang) -> std::result::Result<Request, Problems> {
    let mut problems = Problems::default();
    let code = match input.one("code") {
        None => {
            problems.push(
                "code",
                lang.pick("scrivi il codice del buono", "write the voucher's code"),
            );
            String::new()
        }
        Some(text) => code::normalize_voucher(text).unwrap_or_else(|err| {
            problems.push("code", err.describe(text, lang));
            String::new()
        }),
    };
    let amount_cents = match input.one("amount") {
        None => {
            problems.push(
                "amount",
                lang.pick("scrivi l'importo da scalare", "write the amount to take"),
            );
            0
        }
        Some(text) => match money::parse_euros(text) {
            Ok(0) => {
                problems.push(
                    "amount",
                    lang.pick(
                        "l'importo deve essere più di zero",
                        "the amount must be more than zero",
                    ),
                );
                0
            }
            Ok(cents) => cents,
            Err(err) => {
                problems.push("amount", err.describe(text, lang));
                0
            }
        },
    };
    let request_id = merchant::request_id(input, lang, &mut problems);
    if problems.is_empty() {
        Ok(Request {
            code,
            amount_cents,
            request_id,
        })
    } else {
        Err(problems)
    }
}

/// Redeems `request` at the caller's merchant. `404` for an unknown code, `403` for a caller
/// without an active merchant, `409` when the voucher holds less than asked (saying how much
/// it holds) or is spent.
pub fn redeem(caller: &User, request: Request, now: i64, lang: Lang) -> Result<Doc<Redemption>> {
    let shop = merchant::of_user(caller)?.ok_or_else(|| {
        Error::forbidden(lang.pick(
            "il tuo account non è collegato a un esercente: usa il codice che ti ha dato il Comune",
            "your account is not linked to a merchant: use the code the municipality gave you",
        ))
    })?;
    if shop.data.status != MerchantStatus::Active {
        return Err(Error::forbidden(match lang {
            Lang::It => format!(
                "l'esercente «{}» è {}: non può accettare buoni",
                shop.data.name,
                shop.data.status.label(lang).to_lowercase()
            ),
            Lang::En => format!(
                "the merchant “{}” is {}: it cannot accept vouchers",
                shop.data.name,
                shop.data.status.label(lang).to_lowercase()
            ),
        }));
    }
    let doc_id = format!("{}-{}", shop.id, request.request_id);
    if let Some(done) = REDEMPTIONS.get(&doc_id)? {
        // A retry: the same answer again, unless the request id is reused for something else.
        if done.data.code != request.code || done.data.amount_cents != request.amount_cents {
            return Err(reused(lang));
        }
        return Ok(done);
    }
    let Some(voucher) = voucher::VOUCHERS.get(&request.code)? else {
        return Err(Error::not_found(match lang {
            Lang::It => format!(
                "non esiste un buono con codice {}",
                code::display(&request.code, "")
            ),
            Lang::En => format!(
                "there is no voucher with code {}",
                code::display(&request.code, "")
            ),
        }));
    };
    let account = voucher::account(&request.code);
    let owed = merchant::owed_account(&shop.id);
    let spent = voucher::spent_account(&voucher.data.campaign);
    let key = format!("redeem/{}/{}", shop.id, request.request_id);
    let shown = code::display(&request.code, "");
    let transfers = [
        TransferRequest::new(&*account, &*owed, request.amount_cents, key.clone())
            .memo(format!("voucher {shown} at {}", shop.data.name)),
        TransferRequest::new(
            MEMO_COUNTERPART,
            &*spent,
            request.amount_cents,
            format!("{key}/memo"),
        )
        .memo(format!("spent on voucher {shown}")),
    ];
    // The shop's and the campaign's accounts are opened when they are created; should one be
    // missing (data from before that), it is opened here once and the redemption retried.
    let attempt = match ledger::transfer_all(&transfers) {
        Err(LedgerError::UnknownAccount(_)) => {
            ledger::open(&owed, AccountKind::Funded)?;
            ledger::open(MEMO_COUNTERPART, AccountKind::External)?;
            ledger::open(&spent, AccountKind::External)?;
            ledger::transfer_all(&transfers)
        }
        other => other,
    };
    let done = attempt.map_err(|err| match err {
        LedgerError::InsufficientFunds(_) => {
            let left = ledger::get(&account)
                .ok()
                .flatten()
                .map_or(0, |a| a.balance_cents);
            Error::conflict(if left == 0 {
                match lang {
                    Lang::It => format!("il buono {shown} è già stato speso per intero"),
                    Lang::En => format!("the voucher {shown} is already fully spent"),
                }
            } else {
                match lang {
                    Lang::It => format!(
                        "sul buono {shown} restano {}: non si possono scalare {}",
                        format_cents(left, lang),
                        format_cents(request.amount_cents, lang)
                    ),
                    Lang::En => format!(
                        "the voucher {shown} has {} left: {} cannot be taken",
                        format_cents(left, lang),
                        format_cents(request.amount_cents, lang)
                    ),
                }
            })
        }
        LedgerError::UnknownAccount(_) => Error::conflict(lang.pick(
            "il buono è in corso di emissione: riprova tra qualche minuto",
            "the voucher is still being issued: try again in a few minutes",
        )),
        LedgerError::Conflict(_) => reused(lang),
        other => other.into(),
    })?;
    let transfer = done
        .into_iter()
        .next()
        .ok_or_else(|| Error::internal("the ledger recorded no transfer"))?;
    let remaining_cents = ledger::get(&account)?.map_or(0, |a| a.balance_cents);
    let redemption = Redemption {
        code: request.code.clone(),
        merchant: shop.id.clone(),
        campaign: voucher.data.campaign.clone(),
        application: voucher.data.application.clone(),
        amount_cents: transfer.amount_cents,
        remaining_cents,
        transfer_id: transfer.id,
        request_id: request.request_id,
        at: now,
        by: caller.username.clone(),
    };
    let doc = match REDEMPTIONS.create(&doc_id, redemption) {
        Ok(doc) => doc,
        Err(Error::Conflict(_)) => {
            return REDEMPTIONS
                .get(&doc_id)?
                .ok_or_else(|| Error::internal(format!("redemption {doc_id} vanished")));
        }
        Err(err) => return Err(err),
    };
    events::publish(
        VOUCHER_REDEEMED,
        &serde_json::json!({
            "redemption_id": doc.id,
            "code": doc.data.code,
            "campaign_id": doc.data.campaign,
            "merchant_id": doc.data.merchant,
            "amount_cents": doc.data.amount_cents,
            "remaining_cents": doc.data.remaining_cents,
        }),
    )?;
    audit::record(
        "voucher.redeemed",
        &doc.data.code,
        &serde_json::json!({
            "merchant": doc.data.merchant,
            "amount_cents": doc.data.amount_cents,
            "remaining_cents": doc.data.remaining_cents,
            "redemption": doc.id,
        }),
    )?;
    Ok(doc)
}

/// A request id already used for a different redemption.
fn reused(lang: Lang) -> Error {
    Error::conflict(lang.pick(
        "questa richiesta è già stata usata per un'altra operazione: ricarica la pagina",
        "this request was already used for another operation: reload the page",
    ))
}

/// A redemption as pages and the API show it.
#[derive(Debug, Clone, Serialize)]
pub struct RedemptionView {
    pub id: String,
    pub code: String,
    pub code_display: String,
    pub amount_cents: i64,
    pub amount_text: String,
    pub remaining_cents: i64,
    pub remaining_text: String,
    pub at_utc: String,
}

impl RedemptionView {
    pub fn new(doc: &Doc<Redemption>, prefix: &str, lang: Lang) -> Self {
        Self {
            id: doc.id.clone(),
            code: doc.data.code.clone(),
            code_display: code::display(&doc.data.code, prefix),
            amount_cents: doc.data.amount_cents,
            amount_text: format_cents(doc.data.amount_cents, lang),
            remaining_cents: doc.data.remaining_cents,
            remaining_text: format_cents(doc.data.remaining_cents, lang),
            at_utc: trama_sdk::clock::DateTime::from_unix_ms(doc.data.at).to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_request_reads_code_amount_and_request_id() {
        let input = Input::from_pairs(&[
            ("code".into(), "bs-abcd-efgh-jkmn".into()),
            ("amount".into(), "12,50".into()),
            ("request_id".into(), "0123456789abcdef".into()),
        ]);
        assert_eq!(
            read(&input, Lang::It),
            Ok(Request {
                code: "ABCDEFGHJKMN".into(),
                amount_cents: 1250,
                request_id: "0123456789abcdef".into(),
            })
        );
        let problems = read(&Input::default(), Lang::En).unwrap_err();
        let fields: Vec<&str> = problems.0.iter().map(|p| p.field.as_str()).collect();
        assert_eq!(fields, vec!["code", "amount", "request_id"]);
    }
}
