//! Allocation proposals: the table moves an amount from a funder's fund (`[budget]` of the
//! manifest, [`crate::fund`]) to a *measure* of a plugin (a voucher campaign), which the plugin
//! lists and receives through the routes of its `plugin.toml` `[budget]`, called only by the
//! kernel.
//!
//! An allocation moves money, not configuration: its one change records the terms (path
//! [`PATH`]), which the overlay skips. Applying it, on whichever node claims it:
//! 1. the kernel's leg, `fund/{funder}` → `measure/…`, keyed by the proposal's number and
//!    audited in the same transaction; refused whole if the fund no longer holds the amount,
//!    and the proposal fails with that reason;
//! 2. the plugin's leg, its `allocate` route with the same key, which it honours once;
//! 3. if the plugin refuses (the campaign was withdrawn), the kernel's leg is given back under a
//!    key of its own and the proposal fails with the plugin's reason; if the plugin cannot answer
//!    now, the claim is given back and the next pass tries again — both legs are idempotent, so
//!    a node stopped anywhere in between leaves nothing moved twice.

use serde::{Deserialize, Serialize};
use serde_json::{Value as Json, json};

use super::{Draft, GovernanceError, Refusal, Words};
use crate::board::{Board, Change, Claim, Proposal};
use crate::fund::{Fund, FundError, Reported, allocation_key, is_measure_id};
use crate::host::bindings::types::{HttpRequest, HttpResponse, PluginError};
use crate::instance::{Handled, Instance, LoadedPlugin};
use crate::ledger::LedgerError;

/// The kind of proposal.
pub const KIND: &str = "allocate";

/// Where the terms sit among a proposal's changes.
pub const PATH: [&str; 2] = ["budget", "allocation"];

/// What an allocation moves, as voted: kept with the proposal, so every node applies the same.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Terms {
    pub funder: String,
    pub funder_name: String,
    pub plugin: String,
    pub measure: String,
    pub measure_title: String,
    pub cents: i64,
}

impl Terms {
    fn change(&self) -> Change {
        Change {
            path: PATH.iter().map(|s| (*s).to_owned()).collect(),
            value: json!(self),
            before: None,
        }
    }

    /// The terms of allocation proposal `proposal`.
    pub fn of(proposal: &Proposal) -> Option<Terms> {
        let change = proposal.changes.first()?;
        (change.path == PATH).then_some(())?;
        serde_json::from_value(change.value.clone()).ok()
    }
}

/// The measures of one plugin, or why it could not list them.
pub struct Measures {
    pub plugin: String,
    pub measures: Result<Vec<Reported>, String>,
}

/// Asks every plugin with `[budget]` routes for its measures, in plugin order.
pub async fn measures(instance: &Instance) -> Vec<Measures> {
    let mut all = Vec::new();
    for plugin in instance.plugins.values() {
        let Some(routes) = &plugin.budget else {
            continue;
        };
        let locale = instance.manifest.instance.locale.clone();
        let request = kernel_request("GET", &routes.measures, Vec::new(), locale);
        let measures = match instance.handle(plugin, request, None, Vec::new()).await {
            Ok(Ok(Handled {
                response: HttpResponse::Json(reply),
                ..
            })) if reply.status == 200 => serde_json::from_str::<Vec<Reported>>(&reply.body)
                .map_err(|err| format!("its list of measures is not readable: {err}"))
                .map(|listed| {
                    listed
                        .into_iter()
                        .filter(|measure| is_measure_id(&measure.id))
                        .collect()
                }),
            Ok(Ok(_)) => Err("it did not answer a list of measures".to_owned()),
            Ok(Err(err)) => Err(said(&err)),
            Err(err) => Err(err.to_string()),
        };
        if let Err(why) = &measures {
            tracing::warn!(instance = %instance.id(), plugin = %plugin.name, %why, "the plugin's measures could not be listed");
        }
        all.push(Measures {
            plugin: plugin.name.clone(),
            measures,
        });
    }
    all
}

fn kernel_request(method: &str, path: &str, body: Vec<u8>, locale: String) -> HttpRequest {
    HttpRequest {
        method: method.to_owned(),
        path: path.to_owned(),
        query: Vec::new(),
        headers: vec![
            ("accept".into(), "application/json".into()),
            ("content-type".into(), "application/json".into()),
        ],
        form: Vec::new(),
        body,
        locale,
    }
}

fn said(err: &PluginError) -> String {
    match err {
        PluginError::BadRequest(m)
        | PluginError::Unauthenticated(m)
        | PluginError::Forbidden(m)
        | PluginError::NotFound(m)
        | PluginError::Conflict(m)
        | PluginError::Invalid(m)
        | PluginError::Internal(m) => m.clone(),
    }
}

/// A refusal of the allocation form's `field`, said by `governance_budget.{key}`.
fn refuse(
    words: &Words<'_>,
    field: &'static str,
    key: &str,
    args: &[(&str, String)],
) -> GovernanceError {
    Refusal::at(field, words.say(&format!("governance_budget.{key}"), args)).into()
}

/// Checks an allocation as the member filled it in and returns its one change and the exact
/// record the members vote on (in place of a manifest's diff). Refusals name the field.
pub async fn check(
    instance: &Instance,
    draft: &Draft,
    words: &Words<'_>,
) -> Result<(Vec<Change>, String), GovernanceError> {
    let budget = &instance.manifest.budget;
    let funder_id = draft.funder.trim();
    if budget.funders.is_empty() {
        return Err(refuse(words, "funder", "no_funders", &[]));
    }
    if funder_id.is_empty() {
        return Err(refuse(words, "funder", "no_funder", &[]));
    }
    let Some(funder) = budget.funder(funder_id) else {
        return Err(refuse(
            words,
            "funder",
            "unknown_funder",
            &[("funder", format!("«{funder_id}»"))],
        ));
    };
    let chosen = draft.measure.trim();
    let Some((plugin, measure_id)) = chosen.split_once('/') else {
        return Err(refuse(words, "measure", "no_measure", &[]));
    };
    let listed = measures(instance).await;
    let measure = listed
        .iter()
        .filter(|m| m.plugin == plugin)
        .filter_map(|m| m.measures.as_ref().ok())
        .flatten()
        .find(|m| m.id == measure_id);
    let Some(measure) = measure else {
        return Err(refuse(
            words,
            "measure",
            "unknown_measure",
            &[("measure", format!("«{chosen}»"))],
        ));
    };
    let typed = draft.amount.trim();
    let cents = match trama_common::money::parse_euros(typed) {
        Ok(cents) if cents > 0 => cents,
        Ok(_) => return Err(refuse(words, "amount", "amount_zero", &[])),
        Err(_) => {
            return Err(refuse(
                words,
                "amount",
                "amount_malformed",
                &[("amount", format!("«{typed}»"))],
            ));
        }
    };
    let available = Fund::new(instance.db.clone(), instance.id())
        .available(&funder.id)
        .await
        .map_err(fund_error)?;
    if cents > available {
        return Err(refuse(
            words,
            "amount",
            "amount_over_fund",
            &[
                ("amount", words.euros(cents)),
                ("funder", format!("«{}»", funder.name)),
                ("available", words.euros(available)),
            ],
        ));
    }
    let promised = promised(instance, &funder.id).await?;
    if promised > 0 && cents > available - promised {
        return Err(refuse(
            words,
            "amount",
            "amount_over_promised",
            &[
                ("amount", words.euros(cents)),
                ("funder", format!("«{}»", funder.name)),
                ("available", words.euros(available)),
                ("promised", words.euros(promised)),
                ("left", words.euros((available - promised).max(0))),
            ],
        ));
    }
    let terms = Terms {
        funder: funder.id.clone(),
        funder_name: funder.name.clone(),
        plugin: plugin.to_owned(),
        measure: measure.id.clone(),
        measure_title: measure.title.clone(),
        cents,
    };
    Ok((vec![terms.change()], record(&terms)))
}

/// What allocation proposals still to be decided or carried out ask of `funder`'s fund, in
/// cents: the fund does not hold it for them until they are applied, so without this two
/// proposals voted side by side could each pass the check above and the second fail after its
/// vote.
async fn promised(instance: &Instance, funder: &str) -> Result<i64, GovernanceError> {
    use crate::board::Status;
    let board = Board::new(instance.db.clone(), instance.id());
    let mut total = 0i64;
    for status in [Status::Open, Status::Approved, Status::Applying] {
        for proposal in board.with_status(status).await? {
            if let Some(terms) = Terms::of(&proposal).filter(|t| t.funder == funder) {
                total = total.saturating_add(terms.cents);
            }
        }
    }
    Ok(total)
}

/// The exact record of an allocation, as the diff is for a change of configuration: the two
/// accounts and the amount in cents, the same in every language.
fn record(terms: &Terms) -> String {
    format!(
        "fund/{funder} -{cents}\nmeasure/{plugin}/{measure}/{funder} +{cents}\n",
        funder = terms.funder,
        plugin = terms.plugin,
        measure = terms.measure,
        cents = terms.cents,
    )
}

fn fund_error(err: FundError) -> GovernanceError {
    match err {
        FundError::Db(err) => GovernanceError::Db(err),
        FundError::Ledger(err) => GovernanceError::Conflict(err.to_string()),
    }
}

/// How the plugin took an allocation.
enum Taken {
    Yes,
    /// It refused it, saying why: the kernel's leg is given back.
    Refused(String),
    /// It could not answer now: try again on the next pass.
    Later(String),
}

async fn hand_over(
    instance: &Instance,
    plugin: &LoadedPlugin,
    number: i64,
    terms: &Terms,
) -> Taken {
    let Some(routes) = &plugin.budget else {
        return Taken::Refused(format!(
            "the service `{}` no longer takes money",
            terms.plugin
        ));
    };
    let body = json!({
        "measure": terms.measure,
        "amount_cents": terms.cents,
        "key": allocation_key(number),
        "funder": terms.funder,
        "funder_name": terms.funder_name,
        "proposal": number,
    });
    let locale = instance.manifest.instance.locale.clone();
    let request = kernel_request(
        "POST",
        &routes.allocate,
        body.to_string().into_bytes(),
        locale,
    );
    match instance.handle(plugin, request, None, Vec::new()).await {
        Ok(Ok(Handled {
            response: HttpResponse::Json(reply),
            ..
        })) => match reply.status {
            200..=299 => Taken::Yes,
            400..=499 => Taken::Refused(
                serde_json::from_str::<Json>(&reply.body)
                    .ok()
                    .and_then(|answer| answer["error"]["message"].as_str().map(str::to_owned))
                    .unwrap_or(reply.body),
            ),
            status => Taken::Later(format!("it answered {status}")),
        },
        Ok(Ok(_)) => Taken::Later("it did not answer JSON".to_owned()),
        Ok(Err(PluginError::Internal(why))) => Taken::Later(why),
        Ok(Err(err)) => Taken::Refused(said(&err)),
        Err(err) => Taken::Later(err.to_string()),
    }
}

fn entry(instance: &Instance, action: &str, number: i64, detail: Json) -> crate::audit::Entry {
    crate::audit::Entry {
        instance: instance.id().to_owned(),
        actor: None,
        plugin: None,
        action: action.to_owned(),
        subject: format!("proposal/{number}"),
        detail: detail.to_string(),
    }
}

/// Applies claimed allocation proposal `number` (see the module's steps).
pub(super) async fn apply(
    instance: &Instance,
    board: &Board,
    number: i64,
    claim: Claim,
    proposal: &Proposal,
) -> Result<(), GovernanceError> {
    let outcome = proposal.outcome.clone().unwrap_or_else(|| json!({}));
    let catalogues = instance.theme.catalogues();
    let words = Words {
        catalogues: &catalogues,
        locale: &instance.manifest.instance.locale,
    };
    let Some(terms) = Terms::of(proposal) else {
        let reason = "the terms of the allocation are unreadable".to_owned();
        return super::not_applied(instance, board, number, claim, outcome, reason).await;
    };
    let fund = Fund::new(instance.db.clone(), instance.id());
    let detail = json!(terms);
    let moved = fund
        .allocate(
            number,
            &terms.funder,
            &terms.plugin,
            &terms.measure,
            terms.cents,
            vec![entry(instance, "budget.allocated", number, detail.clone())],
        )
        .await;
    match moved {
        Ok(_) => {}
        Err(FundError::Ledger(
            LedgerError::InsufficientFunds(_) | LedgerError::UnknownAccount(_),
        )) => {
            let available = fund.available(&terms.funder).await.map_err(fund_error)?;
            let reason = words.say(
                "governance_budget.fund_short",
                &[
                    ("funder", format!("«{}»", terms.funder_name)),
                    ("available", words.euros(available)),
                    ("amount", words.euros(terms.cents)),
                ],
            );
            return super::not_applied(instance, board, number, claim, outcome, reason).await;
        }
        Err(err) => return Err(fund_error(err)),
    }
    let taken = match instance.plugins.get(&terms.plugin) {
        Some(plugin) => hand_over(instance, plugin, number, &terms).await,
        None => Taken::Refused(format!("the service `{}` is not running", terms.plugin)),
    };
    match taken {
        Taken::Yes => {
            let mut outcome = outcome;
            outcome["allocated_cents"] = json!(terms.cents);
            if board.finish_allocated(number, &outcome, claim).await? {
                tracing::info!(instance = %instance.id(), proposal = number, cents = terms.cents, "allocation applied");
                super::audit(
                    instance,
                    None,
                    "governance.applied",
                    number,
                    json!({ "allocation": terms }),
                )
                .await?;
            }
            Ok(())
        }
        Taken::Refused(why) => {
            fund.undo(
                number,
                &terms.funder,
                &terms.plugin,
                &terms.measure,
                terms.cents,
                vec![entry(
                    instance,
                    "budget.returned",
                    number,
                    json!({ "allocation": detail, "reason": why }),
                )],
            )
            .await
            .map_err(fund_error)?;
            let reason = words.say("governance_budget.measure_refused", &[("reason", why)]);
            super::not_applied(instance, board, number, claim, outcome, reason).await
        }
        Taken::Later(why) => Err(GovernanceError::Conflict(format!(
            "the service `{}` could not take allocation #{number} now: {why}",
            terms.plugin
        ))),
    }
}
