//! Talking to plugins the way the stories do: a plugin's JSON API under `/p/<name>`, its
//! section of the kernel's `/me` page, the answers' ids and error messages, the inbox, dates.

use reqwest::Method;
use serde_json::Value as Json;

use super::{Client, Server};

/// The HTTP routes of one plugin, under `/p/<name>`.
#[derive(Clone, Copy, Debug)]
pub struct Plugin(pub &'static str);

impl Plugin {
    /// The kernel path of the plugin's `path`.
    pub fn path(self, path: &str) -> String {
        format!("/p/{}{path}", self.0)
    }

    /// POSTs `body` as JSON (with the client's CSRF token).
    pub async fn post(
        self,
        client: &Client,
        server: &Server,
        path: &str,
        body: Json,
    ) -> (u16, Json) {
        client
            .send_json(server, Method::POST, &self.path(path), &body)
            .await
    }

    /// GETs JSON.
    pub async fn get(self, client: &Client, server: &Server, path: &str) -> (u16, Json) {
        client.get_json(server, &self.path(path)).await
    }

    /// GETs a download (a CSV, a calendar, …) as text.
    pub async fn text(self, client: &Client, server: &Server, path: &str) -> (u16, String) {
        let response = client
            .http
            .get(server.url(&self.path(path)))
            .send()
            .await
            .expect("GET");
        let status = response.status().as_u16();
        (status, response.text().await.expect("body"))
    }

    /// Uploads `text` as the body of a `text/csv` request.
    pub async fn post_csv(
        self,
        client: &Client,
        server: &Server,
        path: &str,
        text: &str,
    ) -> (u16, Json) {
        let token = client.csrf(server).await;
        let response = client
            .http
            .post(server.url(&self.path(path)))
            .header("x-csrf-token", token)
            .header("content-type", "text/csv; charset=utf-8")
            .body(text.to_owned())
            .send()
            .await
            .expect("upload");
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or(Json::Null))
    }

    /// The plugin's section of the kernel's "my applications and bookings" page, as JSON
    /// (`me` is `/me`, perhaps with a query); the section must not have failed.
    pub async fn my_section(self, client: &Client, server: &Server, me: &str) -> Json {
        let (status, page) = client.get_json(server, me).await;
        assert_eq!(status, 200, "{page}");
        let section = page["services"]
            .as_array()
            .expect("services")
            .iter()
            .find(|s| s["plugin"] == self.0)
            .cloned()
            .unwrap_or(Json::Null);
        assert_eq!(section["failed"], false, "{page}");
        section
    }
}

/// `YYYY-MM-DD`, `days` after today (UTC).
pub fn today_plus(days: i64) -> String {
    (time::OffsetDateTime::now_utc().date() + time::Duration::days(days)).to_string()
}

/// `3 giugno 2025`: the date `days` after today (UTC) as Italian pages write it out.
pub fn date_in_words(days: i64) -> String {
    const MONTHS: [&str; 12] = [
        "gennaio",
        "febbraio",
        "marzo",
        "aprile",
        "maggio",
        "giugno",
        "luglio",
        "agosto",
        "settembre",
        "ottobre",
        "novembre",
        "dicembre",
    ];
    let date = time::OffsetDateTime::now_utc().date() + time::Duration::days(days);
    format!(
        "{} {} {}",
        date.day(),
        MONTHS[usize::from(u8::from(date.month())) - 1],
        date.year()
    )
}

/// The `id` of a created record.
pub fn id(answer: &Json) -> String {
    answer["id"].as_str().expect("an id").to_owned()
}

/// The message of an error answer.
pub fn message(answer: &Json) -> String {
    answer["error"]["message"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

/// The subjects of the caller's notifications (the kernel's inbox).
pub async fn inbox(client: &Client, server: &Server) -> Vec<String> {
    let (status, inbox) = client.get_json(server, "/notifications").await;
    assert_eq!(status, 200, "{inbox}");
    inbox["notifications"]
        .as_array()
        .map(|list| {
            list.iter()
                .filter_map(|n| n["subject"].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

/// The caller's notification whose subject starts with `subject`.
pub async fn notification(client: &Client, server: &Server, subject: &str) -> Json {
    let (status, inbox) = client.get_json(server, "/notifications").await;
    assert_eq!(status, 200, "{inbox}");
    inbox["notifications"]
        .as_array()
        .and_then(|list| {
            list.iter().find(|n| {
                n["subject"]
                    .as_str()
                    .is_some_and(|s| s.starts_with(subject))
            })
        })
        .cloned()
        .unwrap_or_else(|| panic!("no notification `{subject}` in {inbox}"))
}
