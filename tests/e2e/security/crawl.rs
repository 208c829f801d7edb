//! Reading every page a person reaches by following links, and every form on them.

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use reqwest::Method;
use scraper::{ElementRef, Html, Selector};

use super::PAYLOAD;
use super::cast::{PERSON_TAX_CODE, PLUGINS, VAT};
use crate::support::{Client, PASSWORD, Server, today_plus};

/// One input of a form.
#[derive(Clone, Debug)]
pub(super) enum Input {
    /// Typed by a person: text, textarea, search… (`kind` is the input type).
    Typed { kind: String, value: String },
    /// Sent as it is: hidden fields (the CSRF token, request ids).
    Fixed(String),
    /// A checkbox or radio button; radios of one name keep the first.
    Choice { radio: bool, value: String },
    /// A `<select>`: its options' values.
    Select(Vec<String>),
}

#[derive(Clone, Debug)]
pub(super) struct Form {
    /// The page the form was found on.
    pub(super) page: String,
    pub(super) method: Method,
    /// Path and query the form submits to.
    pub(super) action: String,
    pub(super) inputs: Vec<(String, Input)>,
}

/// Same-site path and query of `href` seen on `page`, without the fragment.
pub(super) fn same_site(server: &Server, page: &str, href: &str) -> Option<String> {
    let base = reqwest::Url::parse(&server.url(page)).ok()?;
    let url = base.join(href).ok()?;
    if url.origin() != base.origin() {
        return None;
    }
    Some(match url.query() {
        Some(query) => format!("{}?{query}", url.path()),
        None => url.path().to_owned(),
    })
}

/// Links a crawl does not follow: downloads (not HTML), assets, and switching the language
/// (the same pages again).
pub(super) fn skipped(path: &str) -> bool {
    let bare = path.split('?').next().unwrap_or_default();
    bare.starts_with("/static/")
        || bare.ends_with(".csv")
        || bare.ends_with(".ics")
        || path.contains("lang=")
}

pub(super) fn selector(css: &str) -> Selector {
    Selector::parse(css).expect("a valid selector")
}

/// The links and forms of a page.
pub(super) fn read_page(server: &Server, page: &str, html: &str) -> (Vec<String>, Vec<Form>) {
    let document = Html::parse_document(html);
    let links = document
        .select(&selector("a[href]"))
        .filter_map(|a| a.value().attr("href"))
        .filter_map(|href| same_site(server, page, href))
        .filter(|path| !skipped(path))
        .collect();
    let mut forms = Vec::new();
    for form in document.select(&selector("form")) {
        let method = match form.value().attr("method").map(str::to_ascii_lowercase) {
            Some(m) if m == "post" => Method::POST,
            _ => Method::GET,
        };
        let Some(action) = same_site(server, page, form.value().attr("action").unwrap_or(""))
        else {
            continue;
        };
        let inputs = form
            .select(&selector("input[name], textarea[name], select[name]"))
            .filter_map(read_input)
            .collect();
        forms.push(Form {
            page: page.to_owned(),
            method,
            action,
            inputs,
        });
    }
    (links, forms)
}

pub(super) fn read_input(element: ElementRef<'_>) -> Option<(String, Input)> {
    let name = element.value().attr("name")?.to_owned();
    let value = element.value().attr("value").unwrap_or_default().to_owned();
    let input = match element.value().name() {
        "textarea" => Input::Typed {
            kind: "textarea".into(),
            value: element.text().collect(),
        },
        "select" => Input::Select(
            element
                .select(&selector("option"))
                .map(|o| {
                    o.value()
                        .attr("value")
                        .map_or_else(|| o.text().collect(), str::to_owned)
                })
                .collect(),
        ),
        _ => match element
            .value()
            .attr("type")
            .unwrap_or("text")
            .to_ascii_lowercase()
            .as_str()
        {
            "hidden" => Input::Fixed(value),
            "checkbox" => Input::Choice {
                radio: false,
                value: if value.is_empty() { "on".into() } else { value },
            },
            "radio" => Input::Choice { radio: true, value },
            "submit" | "button" | "file" | "image" | "reset" => return None,
            other => Input::Typed {
                kind: other.to_owned(),
                value,
            },
        },
    };
    Some((name, input))
}

/// What a person would plausibly type in a field of this name and type, so that forms get
/// past validation and store the payload in their free-text fields.
pub(super) fn plausible(name: &str, kind: &str, current: &str) -> String {
    let name = name.to_ascii_lowercase();
    match kind {
        "email" => return "persona@example.org".into(),
        "tel" => return "+39 055 123456".into(),
        "url" => return "https://example.org".into(),
        "password" => return PASSWORD.into(),
        "date" => return today_plus(3),
        "month" => return today_plus(0)[..7].to_owned(),
        "time" => return "16:00".into(),
        "number" if !current.is_empty() => return current.into(),
        "number" => return "2".into(),
        _ => {}
    }
    if name.contains("representative_tax_code") || name == "tax_code" {
        PERSON_TAX_CODE.into()
    } else if name.contains("vat") {
        VAT.into()
    } else if [
        "amount",
        "price",
        "budget",
        "per_",
        "max_amount",
        "isee",
        "credit",
    ]
    .iter()
    .any(|part| name.contains(part))
    {
        "10,00".into()
    } else if [
        "hours",
        "capacity",
        "year",
        "size",
        "days",
        "dependants",
        "minors",
    ]
    .iter()
    .any(|part| name.contains(part))
    {
        "2".into()
    } else if name.contains("postcode") {
        "52025".into()
    } else if name.contains("province") {
        "AR".into()
    } else if name == "start" {
        "16:00".into()
    } else if name.contains("date") || name.ends_with("_on") || name == "from" || name == "to" {
        today_plus(3)
    } else if ["opening", "availability"]
        .iter()
        .any(|part| name.contains(part))
    {
        "lun-dom 08:00-20:00".into()
    } else if ["username"].contains(&name.as_str()) {
        "cittadina".into()
    } else {
        PAYLOAD.into()
    }
}

/// The fields to submit: `all_payload` types the payload into every typed field; otherwise
/// only free text gets it and the rest [`plausible`] values.
pub(super) fn fill(form: &Form, all_payload: bool) -> Vec<(String, String)> {
    let mut fields = Vec::new();
    let mut radios = BTreeSet::new();
    for (name, input) in &form.inputs {
        let value = match input {
            Input::Fixed(value) => value.clone(),
            Input::Typed { kind, value } => match kind.as_str() {
                "password" => PASSWORD.into(),
                _ if all_payload => PAYLOAD.into(),
                _ => plausible(name, kind, value),
            },
            Input::Choice { radio, value } => {
                if *radio && !radios.insert(name.clone()) {
                    continue;
                }
                value.clone()
            }
            Input::Select(options) => options
                .iter()
                .find(|o| !o.is_empty())
                .cloned()
                .unwrap_or_default(),
        };
        fields.push((name.clone(), value));
    }
    fields
}

/// Fails if `body` holds the payload as live markup: the script or the image verbatim, or any
/// element the payload could have created (a script running `alert`, an `onerror` handler).
pub(super) fn assert_escaped(what: &str, body: &str) {
    for live in [
        r#"<script>alert("x")</script>"#,
        "<img src=x onerror=alert(1)>",
    ] {
        assert!(
            !body.contains(live),
            "{what} shows the payload unescaped ({live}):\n{body}"
        );
    }
    let document = Html::parse_document(body);
    let injected = document.select(&selector("[onerror]")).count()
        + document
            .select(&selector("script"))
            .filter(|s| s.text().collect::<String>().contains("alert("))
            .count();
    assert_eq!(injected, 0, "{what} holds injected elements:\n{body}");
}

/// What a crawl saw: each page's status, and the forms on the pages.
#[derive(Default)]
pub(super) struct Crawl {
    pub(super) pages: BTreeMap<String, u16>,
    pub(super) bodies: BTreeMap<String, String>,
    pub(super) forms: Vec<Form>,
}

/// The route of a link: its path and the names of its query parameters. Links differing only in
/// the values (pages, months) are the same route; a crawl follows a few of each.
pub(super) fn route(path: &str) -> String {
    let (bare, query) = path.split_once('?').unwrap_or((path, ""));
    let mut names: Vec<&str> = query
        .split('&')
        .filter_map(|pair| pair.split('=').next())
        .collect();
    names.sort_unstable();
    format!("{bare}?{}", names.join("&"))
}

/// Every page reachable by following links from `starts`, fetched as a browser; every HTML
/// answer is checked with [`assert_escaped`]. Bounded so that paging links (a month before
/// the month before…) cannot run away.
pub(super) async fn crawl(client: &Client, server: &Server, who: &str, starts: &[String]) -> Crawl {
    const MAX_PAGES: usize = 400;
    const VARIANTS_PER_ROUTE: usize = 3;
    let mut seen = Crawl::default();
    let mut queue: VecDeque<String> = starts.iter().cloned().collect();
    let mut queued: BTreeSet<String> = queue.iter().cloned().collect();
    let mut variants: BTreeMap<String, usize> = BTreeMap::new();
    while let Some(path) = queue.pop_front() {
        assert!(
            seen.pages.len() < MAX_PAGES,
            "the crawl as {who} found more than {MAX_PAGES} pages: {:?}",
            seen.pages.keys().collect::<Vec<_>>()
        );
        let response = client
            .http
            .get(server.url(&path))
            .header("accept", "text/html")
            .send()
            .await
            .expect("GET");
        let status = response.status().as_u16();
        let location = response
            .headers()
            .get("location")
            .and_then(|v| v.to_str().ok())
            .and_then(|l| same_site(server, &path, l));
        let is_html = response
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("text/html"));
        let body = response.text().await.unwrap_or_default();
        seen.pages.insert(path.clone(), status);
        let mut found = Vec::new();
        if let Some(location) = location {
            found.push(location);
        }
        if is_html {
            assert_escaped(&format!("GET {path} as {who}"), &body);
            let (links, forms) = read_page(server, &path, &body);
            found.extend(links);
            seen.forms.extend(forms);
            seen.bodies.insert(path.clone(), body);
        }
        for link in found {
            if skipped(&link) || queued.contains(&link) {
                continue;
            }
            let count = variants.entry(route(&link)).or_default();
            if *count < VARIANTS_PER_ROUTE {
                *count += 1;
                queued.insert(link.clone());
                queue.push_back(link);
            }
        }
    }
    seen
}

pub(super) fn start_pages() -> Vec<String> {
    let mut starts: Vec<String> = [
        "/",
        "/me",
        "/notifications",
        "/governance",
        "/login",
        "/signup",
    ]
    .into_iter()
    .map(str::to_owned)
    .collect();
    starts.extend(PLUGINS.iter().map(|p| format!("/p/{p}/")));
    starts
}
