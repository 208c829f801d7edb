//! Campaigns written as rulebooks: the creation form (a shipped template or the operator's own
//! TOML), the simulator that applies a rulebook to a household before anything is published,
//! and the export of a campaign's rulebook, so territories share their notices.

use serde_json::{Value, json};
use trama_sdk::http::{Request, Response};
use trama_sdk::i18n::{self, Lang};
use trama_sdk::input::{FormState, Input, Problems};
use trama_sdk::money::format_cents;
use trama_sdk::router::Params;
use trama_sdk::{Result, clock, t};

use super::{OPERATORS, lang, with_form};
use crate::campaign::{self, Measure, QuestionView};
use crate::rulebook::{self, Decision, Outcome, Rulebook, answer, expr::Engine};

/// The shipped templates, `{key, title}`, for the pickers.
fn templates() -> Vec<Value> {
    rulebook::TEMPLATES
        .iter()
        .filter_map(|(key, _)| {
            let book = rulebook::template(key)?;
            Some(json!({ "key": key, "title": book.title.get() }))
        })
        .collect()
}

/// The page that creates a campaign from a rulebook, `status` with `form` after a refusal.
pub fn new_page(status: u16, form: Option<FormState>) -> Result<Response> {
    let today = clock::today();
    let measures: Vec<Value> = Measure::ALL
        .iter()
        .map(|m| json!({ "key": m.key(), "label": m.label() }))
        .collect();
    let context = json!({
        "measures": measures,
        "templates": templates(),
        "shop_choices": super::shops::choices()?,
        "methods": super::campaigns::methods(),
        "defaults": {
            "opens_on": today.to_string(),
            "closes_on": today.add_days(30).to_string(),
        },
    });
    Response::render_with_status(status, "campaign_rulebook.html", &with_form(context, form))
}

/// `GET /campaigns/new-rulebook` (operators)
pub fn new_form(request: Request, _: Params) -> Result<Response> {
    OPERATORS.require(lang(&request))?;
    new_page(200, None)
}

/// `GET /campaigns/{id}/rulebook.toml`: the campaign's rulebook, to share or start from.
pub fn export(request: Request, params: Params) -> Result<Response> {
    OPERATORS.require(lang(&request))?;
    let id = params.get("id")?;
    let doc = campaign::load(id)?;
    let Some(book) = &doc.data.rulebook else {
        return Err(trama_sdk::Error::not_found(t!(
            "vouchers.rulebook.none",
            title = doc.data.title
        )));
    };
    Ok(Response::download(
        format!("rulebook-{id}.toml"),
        "application/toml; charset=utf-8",
        book.to_toml(),
    ))
}

/// The rulebook a simulation runs: a campaign's (`campaign`), the operator's TOML
/// (`rulebook`) or a shipped template (`template`).
fn chosen(input: &Input) -> std::result::Result<Option<(Rulebook, Option<String>)>, Problems> {
    let mut problems = Problems::default();
    if let Some(id) = input.one("campaign") {
        let doc = campaign::load(id).map_err(|err| {
            problems.push("campaign", err.to_string());
            problems.clone()
        })?;
        return Ok(doc.data.rulebook.map(|book| (book, Some(doc.id))));
    }
    if let Some(text) = input.one("rulebook") {
        return Rulebook::from_toml(text).map(|book| Some((book, None)));
    }
    if let Some(name) = input.one("template") {
        return match rulebook::template(name) {
            Some(book) => Ok(Some((book, None))),
            None => {
                let names: Vec<&str> = rulebook::TEMPLATES.iter().map(|(key, _)| *key).collect();
                problems.push(
                    "template",
                    t!(
                        "vouchers.problems.one_of",
                        text = name,
                        list = names.join(", ")
                    ),
                );
                Err(problems)
            }
        };
    }
    Ok(None)
}

/// The outcome in words, for the page and the API.
fn outcome_view(outcome: &Outcome, lang: Lang) -> Value {
    let decision = match outcome.decision {
        Decision::Eligible => t!("vouchers.simulate.eligible"),
        Decision::Ineligible => t!("vouchers.simulate.ineligible"),
        Decision::Review => t!("vouchers.simulate.review"),
    };
    let steps: Vec<Value> = outcome
        .steps
        .iter()
        .map(|step| {
            let result = match (step.held, step.cents) {
                (Some(held), _) => i18n::yes_no(lang, held),
                (None, Some(cents)) => format_cents(cents, lang),
                (None, None) => step.result.clone(),
            };
            json!({
                "at": step.at,
                "label": step.label.get(),
                "result": result,
                "held": step.held,
                "error": step.error,
            })
        })
        .collect();
    json!({
        "decision": outcome.decision,
        "decision_label": decision,
        "amount_cents": outcome.amount_cents,
        "amount_text": format_cents(outcome.amount_cents, lang),
        "failed": outcome.failed.iter().map(|l| l.get()).collect::<Vec<_>>(),
        "review": outcome.review.iter().map(|l| l.get()).collect::<Vec<_>>(),
        "priority": outcome.priority,
        "steps": steps,
    })
}

/// `GET`/`POST /simulate` (operators) and `POST /api/simulate`: applies a rulebook to the
/// household typed, without storing anything. The form carries the rulebook along, so the
/// operator tries household after household; `run` marks a form whose answers are to be
/// assessed (the first visit only shows the questions).
pub fn simulate(request: Request, _: Params) -> Result<Response> {
    let lang = lang(&request);
    OPERATORS.require(lang)?;
    let mut input = if *request.method() == trama_sdk::http::Method::Get {
        Input::from_pairs(request.query())
    } else {
        Input::from_pairs(request.form())
    };
    if !request.body().is_empty() && request.form().is_empty() {
        input = read_json(&request)?;
    }
    let json_wanted = input.json || request.path().starts_with("/api/");
    let (book, campaign) = match chosen(&input) {
        Ok(Some(found)) => found,
        Ok(None) => {
            let mut problems = Problems::default();
            problems.push("rulebook", t!("vouchers.simulate.nothing"));
            return refuse(problems, json_wanted, &input, lang);
        }
        Err(problems) => return refuse(problems, json_wanted, &input, lang),
    };
    let mut problems = Problems::default();
    let run = json_wanted || input.has("run");
    let mut outcome = Value::Null;
    if run {
        let answers = answer::read_all(&book.questions, &input, &mut problems);
        if problems.is_empty() {
            let engine = Engine::new(&book)
                .map_err(|found| trama_sdk::Error::invalid(found.summary(lang)))?;
            let day = input
                .one("day")
                .and_then(|d| clock::Date::parse(d).ok())
                .unwrap_or_else(clock::today);
            outcome = outcome_view(&engine.evaluate(&book, &answers, day), lang);
        } else if json_wanted {
            return problems.into_json_response(lang);
        }
    }
    if json_wanted {
        return Response::json(&outcome);
    }
    let form = (!problems.is_empty() || run)
        .then(|| FormState::new("simulate", &problems, input.echo(), lang));
    // Documents do not change an outcome: the simulator does not ask for them.
    let questions: Vec<QuestionView> = book
        .questions
        .iter()
        .filter(|q| q.accepts().is_none())
        .map(QuestionView::new)
        .collect();
    let context = json!({
        "title": book.title.get(),
        "summary": book.summary.get(),
        "campaign": campaign,
        "rulebook_toml": if campaign.is_none() { book.to_toml() } else { String::new() },
        "questions": questions,
        "outcome": outcome,
        "today": clock::today().to_string(),
    });
    let status = if problems.is_empty() { 200 } else { 422 };
    Response::render_with_status(status, "simulate.html", &with_form(context, form))
}

/// A JSON simulation: `{campaign | rulebook | template, day?, <answers>, household: [...]}`.
fn read_json(request: &Request) -> Result<Input> {
    let Ok(Value::Object(members)) = serde_json::from_slice::<Value>(request.body()) else {
        return Input::from_json(request.body(), &[]);
    };
    let mut allowed: Vec<String> = ["campaign", "rulebook", "template", "day"]
        .iter()
        .map(|s| (*s).to_owned())
        .collect();
    let mut rows = None;
    let probe = Input::from_strs(
        &members
            .iter()
            .filter_map(|(k, v)| Some((k.as_str(), v.as_str()?)))
            .filter(|(k, _)| ["campaign", "rulebook", "template"].contains(k))
            .collect::<Vec<_>>(),
    );
    if let Ok(Some((book, _))) = chosen(&probe) {
        allowed.extend(book.questions.iter().map(|q| q.key.clone()));
        rows = book.members_question().map(|q| q.key.clone());
    }
    let allowed: Vec<&str> = allowed.iter().map(String::as_str).collect();
    match rows {
        Some(rows) => Input::from_json_with_rows(
            request.body(),
            &allowed,
            &rows,
            &rows,
            &answer::MEMBER_FIELDS,
        ),
        None => Input::from_json(request.body(), &allowed),
    }
}

fn refuse(problems: Problems, json_wanted: bool, input: &Input, lang: Lang) -> Result<Response> {
    if json_wanted {
        return problems.into_json_response(lang);
    }
    let form = FormState::new("simulate", &problems, input.echo(), lang);
    let context = json!({ "templates": templates(), "questions": [], "outcome": null });
    Response::render_with_status(422, "simulate.html", &with_form(context, Some(form)))
}
