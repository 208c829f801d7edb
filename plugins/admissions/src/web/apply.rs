//! Applying: the form (filled in from the register for a renewal) and the submission, by form or
//! JSON.

use serde::Deserialize;
use serde_json::{Map, Value, json};
use trama_sdk::http::{Request, Response};
use trama_sdk::identity::{self, User};
use trama_sdk::input::Input;
use trama_sdk::router::Params;
use trama_sdk::submit::{Step, Submission};
use trama_sdk::{Error, Result, clock, store, t};

use super::{FormState, with_form};
use crate::application;
use crate::catalogue::ROW_FIELDS;
use crate::config::Settings;
use crate::organisation::LegalForm;
use crate::provider::{self, ProviderView};
use crate::roster;
use crate::web::applications::ApplicationView;

/// Blank rows the form offers for new catalogue entries.
const BLANK_ROWS: usize = 3;

#[derive(Deserialize)]
struct ApplyQuery {
    /// The register entry to renew.
    provider: Option<String>,
}

fn page(
    user: &User,
    settings: &Settings,
    values: Map<String, Value>,
    services: usize,
    status: u16,
    form: Option<FormState>,
) -> Result<Response> {
    let mut form = form.unwrap_or_default();
    if form.values.is_empty() {
        form.values = values;
    }
    form.form = "apply".into();
    let text = |name: &str| match form.values.get(name) {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Array(items)) => items
            .last()
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned(),
        _ => String::new(),
    };
    let list = |name: &str| -> Vec<String> {
        match form.values.get(name) {
            Some(Value::String(s)) => vec![s.clone()],
            Some(Value::Array(items)) => items
                .iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect(),
            _ => Vec::new(),
        }
    };
    let count = (services + BLANK_ROWS).min(settings.max_services.max(services));
    // Rows already typed are shown with what was typed and their problems, then blank ones.
    let rows: Vec<Value> = (1..=count)
        .map(|n| {
            let field = |f: &str| format!("service_{n}_{f}");
            json!({
                "n": n,
                "id": text(&field("id")),
                "title": text(&field("title")),
                "category": text(&field("category")),
                "description": text(&field("description")),
                "title_error": form.problems.get(&field("title")),
                "category_error": form.problems.get(&field("category")),
                "description_error": form.problems.get(&field("description")),
            })
        })
        .collect();
    let chosen = list("categories");
    let signed = list("declarations");
    let mine: Vec<ProviderView> = provider::of_user(&user.id)?
        .iter()
        .map(ProviderView::new)
        .collect();
    let context = json!({
        "network": settings.network_name,
        "ethics_version": settings.ethics_code_version,
        "ethics_paragraphs": settings.ethics_code_text.lines().map(str::trim).filter(|l| !l.is_empty()).collect::<Vec<_>>(),
        "categories": settings.categories.iter().map(|c| json!({ "name": c, "checked": chosen.contains(c) })).collect::<Vec<_>>(),
        "declarations": settings.declarations.iter().enumerate().map(|(i, text)| {
            let n = i + 1;
            json!({ "n": n, "text": text, "checked": signed.contains(&n.to_string()) })
        }).collect::<Vec<_>>(),
        "legal_forms": LegalForm::ALL.iter().map(|f| json!({ "key": f.key(), "label": f.label() })).collect::<Vec<_>>(),
        "rows": rows,
        "max_services": settings.max_services,
        "mine": mine,
        "is_member": identity::has_role(roster::ROLE),
        // Shown instead of the field: the representative is the caller, as SPID or CIE said.
        "certified_tax_code": identity::fiscal_number(),
    });
    Response::render_with_status(status, "apply.html", &with_form(context, Some(form)))
}

/// The form's values for renewing the entry `id`: the organisation and its catalogue.
fn renewal_values(user: &User, id: &str) -> Result<(Map<String, Value>, usize)> {
    let doc = provider::load(id)?;
    if doc.data.user_id != user.id {
        return Err(Error::forbidden(t!(
            "admissions.provider.managed_elsewhere"
        )));
    }
    let mut values = doc.data.org.echo();
    values.insert("categories".into(), json!(doc.data.categories));
    for (i, service) in doc.data.services.iter().enumerate() {
        let n = i + 1;
        values.insert(format!("service_{n}_id"), json!(service.id));
        values.insert(format!("service_{n}_title"), json!(service.title));
        values.insert(format!("service_{n}_category"), json!(service.category));
        values.insert(
            format!("service_{n}_description"),
            json!(service.description),
        );
    }
    Ok((values, doc.data.services.len()))
}

/// `GET /apply` (logged in): the form; `?provider=ID` fills it in to renew that entry.
pub fn form(request: Request, _: Params) -> Result<Response> {
    let user = identity::require_login()?;
    let settings = Settings::load()?;
    let query: ApplyQuery = request.parse_query()?;
    let (values, services) = match query.provider.as_deref().filter(|p| !p.is_empty()) {
        Some(id) => renewal_values(&user, id)?,
        None => (Map::new(), 0),
    };
    page(&user, &settings, values, services, 200, None)
}

/// Rows the refused form had, so it shows them all again.
fn rows_sent(input: &Input) -> usize {
    (1..=200)
        .rev()
        .find(|n| {
            ["title", "category", "description"]
                .iter()
                .any(|f| input.has(&format!("service_{n}_{f}")))
        })
        .unwrap_or(0)
}

/// `POST /apply` (form) and `POST /api/applications` (JSON, `201` with the application): the
/// fields of [`crate::organisation`], `categories`, `services` (JSON) or numbered rows (form),
/// `declarations` (the numbers of those signed: all of them), `ethics_version` and
/// `accept_ethics`. A `422` names every field to fix; a `409` says the organisation already has
/// an application under examination.
pub fn submit(request: Request, _: Params) -> Result<Response> {
    let user = identity::require_login()?;
    let settings = Settings::load()?;
    let now = clock::now_ms();
    let input = Input::from_request_with_rows(
        &request,
        &application::json_fields(),
        "services",
        "service",
        ROW_FIELDS,
    )?;
    let rows = rows_sent(&input);
    let sub = Submission::of(&request, "apply", input).with_lists(&["categories", "declarations"]);
    let show = |status, form| page(&user, &settings, Map::new(), rows, status, Some(form));
    // A person's form comes in two steps: the answers, checked and shown back as a summary,
    // then the confirmation. Programs send at once.
    let step = sub.step();
    if step == Step::Edit {
        return sub.edit(show);
    }
    // An entry already in the register keeps its catalogue ids (only its own account's).
    let existing = match sub
        .input
        .one("tax_code")
        .and_then(|t| trama_sdk::fiscal::tax_code(t).ok())
    {
        Some(tax_code) => provider::by_tax_code(&tax_code)?
            .filter(|p| p.data.user_id == user.id)
            .map(|p| p.data.services.iter().map(|s| s.id.clone()).collect())
            .unwrap_or_default(),
        None => Vec::new(),
    };
    let certified = identity::fiscal_number();
    let submission = match application::read_submission(
        &sub.input,
        certified.as_deref(),
        &settings,
        &existing,
        &mut store::new_id,
    ) {
        Ok(submission) => submission,
        Err(problems) => return sub.refused(problems, show),
    };
    if step == Step::Review {
        // Whether the organisation may apply now is said before the summary, not after it.
        return match application::kind_for(&user, &submission.org.tax_code, &settings, now) {
            Ok(_) => review(&sub, &submission, &settings),
            Err(err) => sub.failed(err, show),
        };
    }
    let outcome = application::kind_for(&user, &submission.org.tax_code, &settings, now).and_then(
        |(kind, provider)| {
            application::submit(
                &user,
                submission,
                kind,
                provider.map(|p| p.id),
                &settings,
                now,
            )
        },
    );
    sub.answer(
        outcome,
        |doc| {
            let protocol = doc.data.protocol.as_ref().map_or("", |p| p.label());
            let done = t!("admissions.done.applied", protocol = protocol);
            sub.done(
                &ApplicationView::new(&doc, None, &settings)?,
                &format!("/applications/{}", doc.id),
            )
            .map(|answer| answer.with_notice(done))
        },
        show,
    )
}

/// The summary of what the organisation is about to send (the form's second step): its answers
/// in words, what was typed carried in hidden fields, and "Conferma e invia" or "Modifica".
fn review(
    sub: &Submission,
    submission: &application::Submission,
    settings: &Settings,
) -> Result<Response> {
    let mut context = sub.review(application::summary::lines(submission));
    context.insert("network".into(), json!(settings.network_name));
    Response::render("apply_review.html", &Value::Object(context))
}
