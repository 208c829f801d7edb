//! Privileged plugin pages and actions refuse everyone else.

use std::collections::BTreeSet;

use reqwest::Method;

use super::cast::populated;
use super::crawl::{crawl, fill, start_pages};
use super::xss::harmless_to_skip;
use crate::support::Client;

/// Pages everyone may open by design, reached by the privileged crawl with a query a citizen's
/// own links never carry: the replay does not count them. Matched on the path without the
/// query; `{id}` stands for one record id.
pub(super) const PUBLIC_BY_DESIGN: &[&str] = &[
    // A campaign is public ("all"); its operators' filters (`?status=`, `?page=`) only act
    // for operators: the list of applications is built only when `is_operator()`
    // (plugins/vouchers/src/web/campaigns.rs).
    "/p/vouchers/campaigns/{id}",
    // The territory's published indicators and their open data: for everyone, without login
    // (kernel/src/web/indicators.rs); only validated indicators, small cells suppressed.
    "/indicators",
    "/indicators/open-data.csv",
];

/// Whether `segment` looks like a record id (the kernel's ids: 28 lower-case hex digits, maybe
/// after a prefix such as `acct-`).
pub(super) fn is_record_id(segment: &str) -> bool {
    let id = segment.rsplit('-').next().unwrap_or_default();
    id.len() >= 20 && id.chars().all(|c| c.is_ascii_hexdigit())
}

/// Kernel actions every logged-in account may take on its own records, whether or not the
/// crawl's citizen happened to have a record to act on (a committee member has notifications
/// to mark read, a citizen with none sees no such form).
pub(super) fn every_accounts_own(action: &str) -> bool {
    action == "/notifications/read"
}

pub(super) fn public_by_design(path: &str) -> bool {
    let bare: Vec<&str> = path
        .split('?')
        .next()
        .unwrap_or_default()
        .split('/')
        .collect();
    PUBLIC_BY_DESIGN.iter().any(|public| {
        let pattern: Vec<&str> = public.split('/').collect();
        pattern.len() == bare.len()
            && pattern
                .iter()
                .zip(&bare)
                .all(|(want, got)| want == got || (*want == "{id}" && is_record_id(got)))
    })
}

/// Part of the payload that survives escaping (pages) and JSON encoding (API answers): an
/// answer holding it shows somebody's records (every seeded record has it in its free text).
pub(super) const SHOWN_RECORD: &str = "alert(";

/// Whether an answer refuses: 401, 403, 404, or a redirect to the login page.
pub(super) fn refuses(status: u16, location: Option<&str>) -> bool {
    matches!(status, 401 | 403 | 404)
        || ((300..400).contains(&status) && location.is_some_and(|l| l.starts_with("/login")))
}

pub(super) fn status_and_location(response: &reqwest::Response) -> (u16, Option<String>) {
    let status = response.status().as_u16();
    let location = response
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    (status, location)
}

#[tokio::test(flavor = "multi_thread")]
async fn privileged_plugin_pages_and_actions_refuse_everyone_else() {
    let (_instance, server, cast) = populated("roles").await;
    let anonymous = Client::new();
    let citizen_view = crawl(&cast.citizen, &server, "citizen", &start_pages()).await;
    let stranger_view = crawl(&cast.stranger, &server, "another citizen", &start_pages()).await;
    let anonymous_view = crawl(&anonymous, &server, "anonymous", &start_pages()).await;
    // The privileged pages are replayed by a citizen with no records of her own (so that no
    // page is hers by right) and by an anonymous visitor.
    let others = [
        ("a citizen", &cast.stranger, &stranger_view),
        ("anonymous", &anonymous, &anonymous_view),
    ];
    let mut checked = Vec::new();
    let mut leaks = Vec::new();
    // `own_view_ok`: a 200 counts as refused when the page shows no record (the caller's own,
    // empty view of a per-person page, such as the catalogue of someone with no plan).
    let mut replay =
        async |who: &str, what: String, response: reqwest::Response, own_view_ok: bool| {
            let (status, location) = status_and_location(&response);
            let body = response.text().await.unwrap_or_default();
            let line = format!(
                "{what} as {who}: {status} {}",
                location.as_deref().unwrap_or("")
            );
            let empty_own_view = own_view_ok && status == 200 && !body.contains(SHOWN_RECORD);
            if !refuses(status, location.as_deref()) && !empty_own_view {
                leaks.push(line.clone());
            }
            checked.push(line);
        };

    let mut views = Vec::new();
    for (role, client) in &cast.privileged {
        views.push((*role, crawl(client, &server, role, &start_pages()).await));
    }
    // Last, the citizen's own pages and actions: not another citizen's to read or do.
    views.push(("citizen", citizen_view));
    for (role, view) in &views {
        let citizen = *role == "citizen";
        let replayers = if citizen { &others[..1] } else { &others[..] };
        for (path, status) in &view.pages {
            if *status != 200 || public_by_design(path) {
                continue;
            }
            for (who, other, other_view) in replayers {
                // What they reach by their own links is theirs to see.
                if other_view.pages.get(path) == Some(&200) {
                    continue;
                }
                // As a browser, and as an API client (plugins answer JSON on the same route).
                for accept in ["text/html", "application/json"] {
                    let response = other
                        .http
                        .get(server.url(path))
                        .header("accept", accept)
                        .send()
                        .await
                        .expect("GET");
                    let what = format!("GET {path} ({accept}, seen by {role})");
                    replay(who, what, response, citizen).await;
                }
            }
        }
        let mut done = BTreeSet::new();
        for form in &view.forms {
            if form.method != Method::POST
                || harmless_to_skip(form)
                || !done.insert(form.action.clone())
            {
                continue;
            }
            let fields = fill(form, false);
            // An action on the caller's own records that every account has (marking one's own
            // notifications read) is no one's privilege: only an anonymous visitor must be
            // refused it.
            let replayers: &[_] = if every_accounts_own(&form.action) {
                &others[1..]
            } else {
                replayers
            };
            for (who, other, other_view) in replayers {
                if other_view.forms.iter().any(|f| f.action == form.action) {
                    continue;
                }
                let token = other.csrf(&server).await;
                let fields: Vec<(String, String)> = fields
                    .iter()
                    .map(|(name, value)| {
                        let value = if name == "_csrf" {
                            token.clone()
                        } else {
                            value.clone()
                        };
                        (name.clone(), value)
                    })
                    .collect();
                let response = other
                    .http
                    .post(server.url(&form.action))
                    .header("accept", "text/html")
                    .form(&fields)
                    .send()
                    .await
                    .expect("POST");
                let what = format!("POST {} (form of {role} on {})", form.action, form.page);
                replay(who, what, response, false).await;
            }
        }
    }
    let report = checked.join("\n");
    assert!(
        leaks.is_empty(),
        "privileged routes answered others:\n{}\n\nall checked:\n{report}",
        leaks.join("\n")
    );
    eprintln!("role checks:\n{report}");
    assert!(checked.len() > 50, "too few routes checked:\n{report}");
}
