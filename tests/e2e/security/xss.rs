//! Nothing typed into any form comes back as live HTML.

use std::collections::BTreeSet;

use reqwest::Method;

use super::cast::{PLUGINS, populated};
use super::crawl::{Form, assert_escaped, crawl, fill, same_site, skipped, start_pages};
use crate::support::{Client, Server};

/// Submits `form` as `client` (with the client's own CSRF token); returns the status and the
/// HTML shown afterwards (the answer, or the page a redirect leads to).
pub(super) async fn submit(
    client: &Client,
    server: &Server,
    form: &Form,
    fields: &[(String, String)],
) -> (u16, String) {
    let token = client.csrf(server).await;
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
    let request = if form.method == Method::POST {
        client.http.post(server.url(&form.action)).form(&fields)
    } else {
        let bare = form.action.split('?').next().unwrap_or_default();
        client.http.get(server.url(bare)).query(&fields)
    };
    let response = request
        .header("accept", "text/html")
        .send()
        .await
        .expect("submit");
    let status = response.status().as_u16();
    let location = response
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .and_then(|l| same_site(server, &form.action, l));
    let mut body = response.text().await.unwrap_or_default();
    if let Some(location) = location {
        let (_, page) = client.page(server, &location).await;
        body = page;
    }
    (status, body)
}

/// Forms the crawl does not submit: logging out (the crawl would go on anonymous), switching
/// the language, and voting at the coordination table (an approved proposal would change the
/// instance under the crawl, e.g. disable a plugin).
pub(super) fn harmless_to_skip(form: &Form) -> bool {
    form.action.starts_with("/logout")
        || skipped(&form.action)
        || (form.action.starts_with("/governance/") && form.action.ends_with("/vote"))
}

#[tokio::test(flavor = "multi_thread")]
async fn nothing_typed_into_any_form_comes_back_as_live_html() {
    let (_instance, server, cast) = populated("xss").await;
    let anonymous = Client::new();
    let mut everyone: Vec<(&str, &Client)> = cast
        .privileged
        .iter()
        .map(|(role, client)| (*role, client))
        .collect();
    everyone.push(("citizen", &cast.citizen));
    everyone.push(("another citizen", &cast.stranger));
    everyone.push(("anonymous", &anonymous));

    let mut submitted = 0;
    let mut accepted = 0;
    for (who, client) in &everyone {
        let seen = crawl(client, &server, who, &start_pages()).await;
        let mut done = BTreeSet::new();
        for form in &seen.forms {
            if harmless_to_skip(form)
                || !done.insert((form.action.clone(), form.method.as_str().to_owned()))
            {
                continue;
            }
            for all_payload in [true, false] {
                let fields = fill(form, all_payload);
                let (status, body) = submit(client, &server, form, &fields).await;
                submitted += 1;
                if status < 400 {
                    accepted += 1;
                }
                assert_escaped(
                    &format!(
                        "{} {} (form of {}) as {who}, answer {status}",
                        form.method, form.action, form.page
                    ),
                    &body,
                );
            }
        }
    }
    // Then every page again, now that the forms have stored what they could.
    let mut shown_escaped = BTreeSet::new();
    for (who, client) in &everyone {
        let seen = crawl(client, &server, who, &start_pages()).await;
        for (path, body) in &seen.bodies {
            if body.contains("&lt;script&gt;alert(") {
                shown_escaped.insert(path.split('/').nth(2).unwrap_or("kernel").to_owned());
            }
        }
    }
    eprintln!(
        "XSS crawl: {submitted} submissions, {accepted} accepted; payload shown escaped in {shown_escaped:?}"
    );
    // The crawl is not vacuous: the payload went in and came back, escaped, in every plugin.
    for plugin in PLUGINS {
        assert!(
            shown_escaped.contains(plugin),
            "no page of {plugin} showed the stored payload (escaped): {shown_escaped:?}"
        );
    }
    assert!(
        accepted > 20,
        "only {accepted} of {submitted} submissions were accepted"
    );
}
