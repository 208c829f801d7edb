//! The plugin `docs/plugin-guide.md` builds (`plugins/rides`): the guide's code is the
//! plugin's, and the plugin does what the guide says — a monthly limit that holds under a
//! burst of requests, refusals next to the fields, the drivers from the kernel's roles, and a
//! spreadsheet export.

use std::path::Path;

use serde_json::{Value as Json, json};

use crate::support::{Server, TestInstance, add_user, login, repo_root, story_rates};

const RIDES: &str = r#"
[plugins.rides]
version = "^1.0"
capabilities = ["store", "settings", "identity", "audit", "clock"]
[plugins.rides.settings]
rides_per_month = 3
"#;

/// A day a week from now, `YYYY-MM-DD`: in the future, and one month for every ride.
fn next_week() -> String {
    let date = time::OffsetDateTime::now_utc().date() + time::Duration::days(7);
    format!(
        "{:04}-{:02}-{:02}",
        date.year(),
        u8::from(date.month()),
        date.day()
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn the_guides_plugin_keeps_its_monthly_limit_under_a_burst_and_serves_operators() {
    let instance = TestInstance::new("rides", &story_rates(RIDES));
    add_user(&instance, "anna", "citizen");
    add_user(&instance, "otto", "operator");
    add_user(&instance, "dario", "driver");
    let server = Server::start(&[instance.path()]);
    let anna = login(&server, "anna").await;
    let day = next_week();

    // Ten requests at once for a limit of three: exactly three rides, seven clear refusals.
    let token = anna.csrf(&server).await;
    let url = server.url("/p/rides/api/rides");
    let mut burst = tokio::task::JoinSet::new();
    for i in 0..10 {
        let (http, url, token) = (anna.http.clone(), url.clone(), token.clone());
        let body =
            json!({ "destination": format!("Ambulatorio {i}"), "date": day, "time": "10:00" });
        burst.spawn(async move {
            let response = http
                .post(url)
                .header("x-csrf-token", token)
                .json(&body)
                .send()
                .await
                .expect("POST");
            let status = response.status().as_u16();
            (status, response.json::<Json>().await.unwrap_or(Json::Null))
        });
    }
    let answers = burst.join_all().await;
    let created = answers.iter().filter(|(status, _)| *status == 201).count();
    let refused: Vec<&Json> = answers
        .iter()
        .filter(|(status, _)| *status == 422)
        .map(|(_, body)| body)
        .collect();
    assert_eq!((created, refused.len()), (3, 7), "{answers:?}");
    assert!(
        refused[0]["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("limite di 3 al mese")),
        "{answers:?}"
    );

    // A form with mistakes comes back with each one next to its field, in Italian.
    let response = anna
        .post_form(
            &server,
            "/p/rides/rides",
            &[("date", &day), ("time", "9.30")],
        )
        .await;
    assert_eq!(response.status().as_u16(), 422);
    let page = response.text().await.expect("page");
    assert!(page.contains("scrivi dove devi andare"), "{page}");
    assert!(
        page.contains("scrivi l&#x27;ora come 09:30") || page.contains("scrivi l'ora come 09:30"),
        "{page}"
    );
    let (status, page) = anna.page(&server, "/p/rides/").await;
    assert_eq!(status, 200);
    assert!(
        page.contains("Ambulatorio") && page.contains("<strong>0</strong>"),
        "{page}"
    );

    // Drivers come from the kernel's roles; only operators see them and the export.
    let (status, _) = anna.get_json(&server, "/p/rides/api/drivers").await;
    assert_eq!(status, 403);
    let otto = login(&server, "otto").await;
    let (status, drivers) = otto.get_json(&server, "/p/rides/api/drivers").await;
    assert_eq!(status, 200);
    assert_eq!(drivers, json!([{ "username": "dario", "name": "dario" }]));
    let csv = otto
        .http
        .get(server.url("/p/rides/rides.csv"))
        .send()
        .await
        .expect("export")
        .text()
        .await
        .expect("csv");
    assert!(
        csv.starts_with("\u{feff}quando;chi;destinazione\r\n"),
        "{csv}"
    );
    assert_eq!(csv.lines().count(), 4, "{csv}");
    assert!(csv.contains(" 10:00;"), "Rome time as typed: {csv}");
}

/// The guide shows the plugin's code through `<!-- include: FILE#ANCHOR -->` markers, each
/// followed by a fenced block that must equal the region between `ANCHOR: NAME` and
/// `ANCHOR_END: NAME` in that file: the guide cannot drift from code that CI compiles.
/// `TRAMA_BLESS=1` rewrites the blocks from the code instead of failing.
#[test]
fn the_plugin_guide_shows_the_code_of_the_rides_plugin_as_it_is() {
    let root = repo_root();
    let path = root.join("docs/plugin-guide.md");
    let guide = std::fs::read_to_string(&path).expect("guide");
    let bless = std::env::var_os("TRAMA_BLESS").is_some_and(|v| v == "1");
    let mut includes = 0;
    let mut drifted = Vec::new();
    let mut out: Vec<String> = Vec::new();
    let mut lines = guide.lines().enumerate();
    while let Some((number, line)) = lines.next() {
        out.push(line.to_owned());
        let Some(target) = line
            .trim()
            .strip_prefix("<!-- include: ")
            .and_then(|rest| rest.strip_suffix(" -->"))
        else {
            continue;
        };
        let (file, anchor) = target.split_once('#').expect("FILE#ANCHOR");
        let fence = lines.next().map(|(_, l)| l).unwrap_or_default();
        assert!(
            fence.starts_with("```"),
            "guide line {}: no code block after the include",
            number + 2
        );
        out.push(fence.to_owned());
        let shown: Vec<&str> = lines
            .by_ref()
            .map(|(_, l)| l)
            .take_while(|l| !l.starts_with("```"))
            .collect();
        let source =
            std::fs::read_to_string(root.join(file)).unwrap_or_else(|err| panic!("{file}: {err}"));
        let code = region(&source, anchor, Path::new(file));
        if shown.join("\n") != code {
            drifted.push(format!(
                "docs/plugin-guide.md line {}: the block differs from {file}#{anchor}",
                number + 1
            ));
        }
        out.extend(code.lines().map(str::to_owned));
        out.push("```".to_owned());
        includes += 1;
    }
    assert!(includes >= 6, "the guide includes {includes} regions");
    if bless {
        let mut text = out.join("\n");
        text.push('\n');
        std::fs::write(&path, text).expect("rewrite the guide");
    } else {
        assert!(
            drifted.is_empty(),
            "{} (TRAMA_BLESS=1 rewrites them)",
            drifted.join("\n")
        );
    }
}

/// The lines between `ANCHOR: name` and `ANCHOR_END: name`, without other anchor lines.
fn region(source: &str, anchor: &str, file: &Path) -> String {
    let start = format!("ANCHOR: {anchor}");
    let end = format!("ANCHOR_END: {anchor}");
    let mut inside = false;
    let mut out = Vec::new();
    for line in source.lines() {
        if line.trim_end().ends_with(&start) {
            inside = true;
        } else if line.trim_end().ends_with(&end) {
            return out.join("\n");
        } else if inside && !line.contains("ANCHOR") {
            out.push(line);
        }
    }
    panic!("{}: no region `{anchor}`", file.display());
}
