//! The HTML side: the page with the form and the list, the form's target, the CSV export.

use serde::Serialize;
use trama_sdk::http::{Request, Response};
use trama_sdk::router::Params;
use trama_sdk::{Error, Result, csv, t};

use crate::model::{self, GREETINGS, NewGreeting, Settings};

/// How many greetings the page lists, newest first.
const PAGE_SIZE: u32 = 100;
/// How many greetings the export reads per store query (the kernel caps a page at 1000).
const EXPORT_PAGE: u32 = 500;
/// Where the form sends people back to.
pub const HOME: &str = "/p/hello/";

#[derive(Serialize)]
struct Item {
    id: String,
    name: String,
    message: String,
    created_at: i64,
    /// `created_at` as RFC 3339 UTC text.
    created_utc: String,
}

#[derive(Serialize)]
struct IndexContext {
    greeting: String,
    max_message_length: u32,
    name_max_length: usize,
    /// How many greetings exist (the list shows at most 100).
    total: u64,
    greetings: Vec<Item>,
    /// Why the last submission was refused, in the page's locale.
    error: Option<String>,
    /// What the person typed, to fill the form again after an error.
    form: NewGreeting,
}

fn index_page(status: u16, error: Option<String>, form: NewGreeting) -> Result<Response> {
    let settings = Settings::load()?;
    let greetings = GREETINGS
        .query()
        .order_by_desc("created_at")
        .limit(PAGE_SIZE)
        .fetch()?
        .into_iter()
        .map(|doc| Item {
            created_utc: model::utc(doc.data.created_at),
            id: doc.id,
            name: doc.data.name,
            message: doc.data.message,
            created_at: doc.data.created_at,
        })
        .collect();
    let context = IndexContext {
        greeting: settings.greeting,
        max_message_length: settings.max_message_length,
        name_max_length: model::MAX_NAME_CHARS,
        total: GREETINGS.count()?,
        greetings,
        error,
        form,
    };
    Response::render_with_status(status, "index.html", &context)
}

/// `GET /`
pub fn index(_: Request, _: Params) -> Result<Response> {
    index_page(200, None, NewGreeting::default())
}

/// `POST /greet`: a missing field is a 400; a field breaking a rule shows the page again with
/// status 422, the message and what was typed; success redirects to the page.
pub fn greet(request: Request, _: Params) -> Result<Response> {
    let form: NewGreeting = request.parse_form()?;
    let settings = Settings::load()?;
    match model::create(
        form.clone(),
        &settings,
        request.locale(),
        model::Commits::Once,
    ) {
        // The next page says it was done (host API 1.8, `notice`).
        Ok(doc) => {
            Ok(Response::redirect(HOME).with_notice(t!("hello.greeted", name = doc.data.name)))
        }
        Err(Error::Invalid(message)) => index_page(422, Some(message), form),
        Err(err) => Err(err),
    }
}

/// `GET /export.csv`: every greeting, oldest first, as `greetings.csv`.
pub fn export_csv(_: Request, _: Params) -> Result<Response> {
    let mut out = String::new();
    csv::record(&mut out, &["id", "name", "message", "created_at"]);
    let mut offset = 0;
    loop {
        let page = GREETINGS
            .query()
            .order_by("created_at")
            .limit(EXPORT_PAGE)
            .offset(offset)
            .fetch()?;
        let len = page.len();
        for doc in page {
            let created = model::utc(doc.data.created_at);
            csv::record(
                &mut out,
                &[doc.id.as_str(), &doc.data.name, &doc.data.message, &created],
            );
        }
        if len < EXPORT_PAGE as usize {
            break;
        }
        offset += EXPORT_PAGE;
    }
    Ok(Response::download(
        "greetings.csv",
        "text/csv; charset=utf-8",
        out,
    ))
}
