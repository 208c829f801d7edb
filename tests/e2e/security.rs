//! Web security as a visitor meets it: forms and plugin routes refuse requests forged from
//! another site (CSRF), nothing typed into any form comes back as live HTML (XSS), a session
//! planted before login or left after logout is worthless, privileged plugin pages and actions refuse everyone else, and oversized bodies are refused
//! with a clear answer.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::path::Path;

use reqwest::Method;
use scraper::{ElementRef, Html, Selector};
use serde_json::{Value as Json, json};

use crate::support::{
    Client, HELLO, PASSWORD, Server, TestInstance, add_user, bare_client, cookie_value, login,
    login_with_cookies, refusal, set_cookie, sign_up, trama, user_csrf, whoami,
};

/// What an attacker would type into every text field.
const PAYLOAD: &str = r#"<script>alert("x")</script>"'><img src=x onerror=alert(1)>"#;

/// A token shaped like a real one that no browser was given.
const WRONG_TOKEN: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// Hello plus a coordination table, for the kernel's governance forms.
fn kernel_instance(id: &str) -> TestInstance {
    TestInstance::new(
        id,
        &format!(
            r#"[governance]
quorum_percent = 50
majority = "simple"
voting_window = "1h"
{HELLO}"#
        ),
    )
}

/// Makes `username` (created with [`add_user`] and role `governance`) a member of the table.
fn add_member(instance: &Path, username: &str) {
    let output = trama()
        .args(["governance", "add-member"])
        .arg(instance)
        .args(["--username", username, "--organisation", "Comune di Prova"])
        .output()
        .expect("add-member");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// Posts a form as a browser would, with `token` as `_csrf` (or none).
async fn post_form_with(
    client: &Client,
    server: &Server,
    path: &str,
    token: Option<&str>,
    fields: &[(&str, &str)],
) -> reqwest::Response {
    let mut form: Vec<(&str, &str)> = token.map(|t| vec![("_csrf", t)]).unwrap_or_default();
    form.extend_from_slice(fields);
    client
        .http
        .post(server.url(path))
        .header("accept", "text/html")
        .form(&form)
        .send()
        .await
        .expect("POST form")
}

/// Sends JSON as an API client would, with `token` as `X-CSRF-Token` (or none).
async fn send_json_with(
    client: &Client,
    server: &Server,
    path: &str,
    token: Option<&str>,
    body: &Json,
) -> (u16, Json) {
    let mut request = client.http.post(server.url(path)).json(body);
    if let Some(token) = token {
        request = request.header("x-csrf-token", token);
    }
    let response = request.send().await.expect("POST JSON");
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Json::Null))
}

/// Every forged variant (no token, a made-up one, another visitor's) is refused with 403 and
/// changes nothing; `accepted` is then expected with the client's own token.
async fn forged_forms_refused(
    client: &Client,
    other: &Client,
    server: &Server,
    path: &str,
    fields: &[(&str, &str)],
) {
    let theirs = other.csrf(server).await;
    assert_ne!(
        theirs,
        client.csrf(server).await,
        "two visitors, two tokens"
    );
    for (what, token) in [
        ("no token", None),
        ("a made-up token", Some(WRONG_TOKEN)),
        ("another visitor's token", Some(theirs.as_str())),
    ] {
        let response = post_form_with(client, server, path, token, fields).await;
        assert_eq!(
            response.status().as_u16(),
            403,
            "POST {path} with {what} must be refused"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn forms_and_plugin_routes_refuse_requests_forged_from_another_site() {
    let instance = kernel_instance("csrf");
    add_user(&instance, "membro", "governance");
    add_member(instance.path(), "membro");
    add_user(&instance, "altro", "citizen");
    let server = Server::start(&[instance.path()]);

    // Login and sign-up, anonymous: the double-submit cookie must match the form.
    let visitor = Client::new();
    let stranger = Client::new();
    let credentials = [("username", "membro"), ("password", PASSWORD)];
    forged_forms_refused(&visitor, &stranger, &server, "/login", &credentials).await;
    assert_eq!(whoami(&visitor, &server).await, None);
    let signup = [
        ("display_name", "Nuova Persona"),
        ("username", "nuova"),
        ("password", PASSWORD),
        ("password_confirm", PASSWORD),
    ];
    forged_forms_refused(&visitor, &stranger, &server, "/signup", &signup).await;
    let response = visitor.post_form(&server, "/signup", &signup).await;
    assert_eq!(
        response.status().as_u16(),
        303,
        "the refused sign-ups created nothing"
    );
    assert_eq!(whoami(&visitor, &server).await.as_deref(), Some("nuova"));

    // Logged in: the token derives from the session; another account's token is refused.
    let member = login(&server, "membro").await;
    let other = login(&server, "altro").await;
    forged_forms_refused(&member, &other, &server, "/notifications/read", &[]).await;
    let response = member.post_form(&server, "/notifications/read", &[]).await;
    assert_eq!(response.status().as_u16(), 303);

    let proposal = [
        ("kind", "settings"),
        ("plugin", "hello"),
        ("key", "greeting"),
        ("value", "Salve"),
        ("rationale", "un saluto più formale"),
    ];
    forged_forms_refused(&member, &other, &server, "/governance/proposals", &proposal).await;
    let (_, listing) = member.get_json(&server, "/governance").await;
    assert_eq!(
        listing["open"].as_array().map(Vec::len),
        Some(0),
        "refused proposals were not filed: {listing}"
    );
    let response = member
        .post_form(&server, "/governance/proposals", &proposal)
        .await;
    assert_eq!(
        response.status().as_u16(),
        303,
        "with its token it is filed"
    );
    let location = response
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let vote = format!("{location}/vote");
    forged_forms_refused(&member, &other, &server, &vote, &[("choice", "approve")]).await;
    let response = member
        .post_form(&server, &vote, &[("choice", "approve")])
        .await;
    assert_eq!(
        response.status().as_u16(),
        303,
        "with its token the vote counts"
    );

    // Plugin routes: forms (`_csrf`) and JSON (`X-CSRF-Token`).
    let greeting = [("name", "Forgiato"), ("message", "da un altro sito")];
    forged_forms_refused(&member, &other, &server, "/p/hello/greet", &greeting).await;
    let body = json!({"name": "Forgiato", "message": "da un altro sito"});
    let theirs = other.csrf(&server).await;
    for (what, token) in [
        ("no token", None),
        ("a made-up token", Some(WRONG_TOKEN)),
        ("another visitor's token", Some(theirs.as_str())),
    ] {
        let (status, answer) =
            send_json_with(&member, &server, "/p/hello/api/greetings", token, &body).await;
        assert_eq!(status, 403, "JSON with {what}: {answer}");
        assert_eq!(answer["error"]["kind"], "csrf", "{answer}");
    }
    let (_, count) = member.get_json(&server, "/p/hello/api/count").await;
    assert_eq!(count["greetings"], 0, "nothing forged was stored: {count}");
    let response = member.post_form(&server, "/p/hello/greet", &greeting).await;
    assert_eq!(response.status().as_u16(), 303, "the real form works");
    let (status, _) = member
        .send_json(&server, Method::POST, "/p/hello/api/greetings", &body)
        .await;
    assert_eq!(status, 201, "the real API call works");

    // Logout last: a forged one leaves the session alone.
    forged_forms_refused(&member, &other, &server, "/logout", &[]).await;
    assert_eq!(whoami(&member, &server).await.as_deref(), Some("membro"));
    let response = member.post_form(&server, "/logout", &[]).await;
    assert_eq!(response.status().as_u16(), 303);
    assert_eq!(whoami(&member, &server).await, None);
}

async fn user_of_session(http: &reqwest::Client, server: &Server, token: &str) -> Json {
    let session: Json = http
        .get(server.url("/session"))
        .header("cookie", format!("trama_session={token}"))
        .send()
        .await
        .expect("GET /session")
        .json()
        .await
        .expect("JSON");
    session["user"].clone()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_session_planted_before_login_or_left_after_logout_is_worthless() {
    let instance = TestInstance::new("fixation", HELLO);
    add_user(&instance, "vittima", "citizen");
    add_user(&instance, "attaccante", "citizen");
    let server = Server::start(&[instance.path()]);
    let http = bare_client();

    // The attacker logs in and plants their own session cookie in the victim's browser (from
    // a sibling subdomain, say), hoping to share whatever the victim does next.
    let first = http.get(server.url("/session")).send().await.expect("GET");
    let csrf_cookie = set_cookie(&first, "trama_csrf").expect("an anonymous CSRF cookie");
    assert!(csrf_cookie.contains("HttpOnly"), "{csrf_cookie}");
    assert!(csrf_cookie.contains("SameSite=Lax"), "{csrf_cookie}");
    let attacker = login_with_cookies(
        &http,
        &server,
        &format!("trama_csrf={}", cookie_value(&csrf_cookie)),
        "attaccante",
    )
    .await;
    assert_eq!(attacker.status().as_u16(), 303);
    let session_cookie = set_cookie(&attacker, "trama_session").expect("a session cookie");
    assert!(session_cookie.contains("HttpOnly"), "{session_cookie}");
    assert!(session_cookie.contains("SameSite=Lax"), "{session_cookie}");
    assert!(session_cookie.contains("Path=/"), "{session_cookie}");
    let planted = cookie_value(&session_cookie);
    assert_eq!(
        user_of_session(&http, &server, &planted).await["username"],
        "attaccante"
    );

    let victim = login_with_cookies(
        &http,
        &server,
        &format!("trama_session={planted}"),
        "vittima",
    )
    .await;
    assert_eq!(victim.status().as_u16(), 303);
    let fresh = cookie_value(&set_cookie(&victim, "trama_session").expect("a new session"));
    assert_ne!(fresh, planted, "login must issue a new session token");
    assert_eq!(
        user_of_session(&http, &server, &fresh).await["username"],
        "vittima"
    );
    assert_eq!(
        user_of_session(&http, &server, &planted).await,
        Json::Null,
        "the planted token is no longer valid"
    );

    // A made-up token planted before login is simply replaced.
    let made_up = "f".repeat(64);
    let response = login_with_cookies(
        &http,
        &server,
        &format!("trama_session={made_up}"),
        "vittima",
    )
    .await;
    let after = cookie_value(&set_cookie(&response, "trama_session").expect("a session"));
    assert_ne!(after, made_up);

    // Logout ends the session on the server: replaying the old cookie gets nothing.
    let csrf = user_csrf(&http, &server, &fresh).await;
    let logout = http
        .post(server.url("/logout"))
        .header("cookie", format!("trama_session={fresh}"))
        .form(&[("_csrf", csrf.as_str())])
        .send()
        .await
        .expect("POST /logout");
    assert_eq!(logout.status().as_u16(), 303);
    assert_eq!(user_of_session(&http, &server, &fresh).await, Json::Null);
    let mine = http
        .get(server.url("/me"))
        .header("cookie", format!("trama_session={fresh}"))
        .header("accept", "text/html")
        .send()
        .await
        .expect("GET /me");
    let status = mine.status().as_u16();
    let location = mine
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    assert!(
        status == 401 || (status == 303 && location.starts_with("/login")),
        "the old cookie reaches /me: {status} {location}"
    );
    // The other session of the same account is untouched.
    assert_eq!(
        user_of_session(&http, &server, &after).await["username"],
        "vittima"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn an_oversized_body_is_refused_with_413_and_a_clear_answer() {
    let instance = TestInstance::new("limits", HELLO);
    add_user(&instance, "anna", "citizen");
    let server = Server::start(&[instance.path()]);
    let anna = login(&server, "anna").await;
    let token = anna.csrf(&server).await;
    let big = "x".repeat(2 * 1024 * 1024);

    for path in ["/login", "/notifications/read", "/p/hello/greet"] {
        // A browser gets a page saying what went wrong…
        let response = anna
            .http
            .post(server.url(path))
            .header("accept", "text/html")
            .form(&[("_csrf", token.as_str()), ("message", big.as_str())])
            .send()
            .await
            .expect("POST");
        assert_eq!(response.status().as_u16(), 413, "{path}");
        let content_type = response
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        assert!(
            content_type.starts_with("text/html"),
            "{path}: {content_type}"
        );
        let page = response.text().await.expect("page");
        assert!(
            page.contains("La richiesta è troppo grande"),
            "{path}: {page}"
        );

        // …an API client the JSON envelope.
        let response = anna
            .http
            .post(server.url(path))
            .header("x-csrf-token", token.as_str())
            .header("content-type", "application/json")
            .body(format!("{{\"message\": \"{big}\"}}"))
            .send()
            .await
            .expect("POST");
        assert_eq!(
            refusal(response).await,
            (413, "payload_too_large".into()),
            "{path}"
        );
    }
    // Just under the limit, the plugin gets the request and answers for itself.
    let under = "x".repeat(1024 * 1024 - 200);
    let response = anna
        .http
        .post(server.url("/p/hello/api/greetings"))
        .header("x-csrf-token", token.as_str())
        .json(&json!({"name": "Lunga", "message": under}))
        .send()
        .await
        .expect("POST");
    assert_eq!(response.status().as_u16(), 422, "the plugin's own answer");
}

// --- Crawling every page and form, as every role ------------------------------------------

/// Every plugin of `plugins/` a territory would run, configured as their own tests do.
const ALL_PLUGINS: &str = r#"
[governance]
quorum_percent = 50
majority = "simple"
voting_window = "1h"

[plugins.hello]
version = "^1.0"
capabilities = ["store", "settings", "identity", "events", "audit", "log", "clock", "notify"]

[plugins.vouchers]
version = "^1.0"
capabilities = ["store", "settings", "identity", "events", "audit", "ledger", "log", "clock"]
[plugins.vouchers.settings]
municipality_name = "Comune di Prova"

[plugins.tutoring]
version = "^1.0"
capabilities = ["store", "settings", "identity", "events", "audit", "log", "clock", "notify"]
[plugins.tutoring.settings]
service_name = "Doposcuola di Prova"
subjects = ["Italiano", "Matematica"]
levels = ["Primaria", "Secondaria di primo grado"]

[plugins.admissions]
version = "^1.0"
capabilities = ["store", "settings", "identity", "events", "audit", "notify", "log", "clock"]
[plugins.admissions.settings]
network_name = "Rete di prova"
ethics_code_version = "2025-1"
categories = ["alimentari", "doposcuola"]
declarations = ["Dichiaro la regolarità contributiva (DURC)."]

[plugins.corporate-plans]
version = "^1.0"
capabilities = ["store", "settings", "identity", "events", "audit", "ledger", "notify", "log", "clock"]
[plugins.corporate-plans.settings]
cooperative_name = "Cooperativa di prova"
"#;

const PLUGINS: [&str; 5] = [
    "hello",
    "vouchers",
    "tutoring",
    "admissions",
    "corporate-plans",
];

/// Valid identifiers (their check characters are right).
const PERSON_TAX_CODE: &str = "RSSMRA85T10A562S";
const VAT: &str = "01234567897";
const OTHER_VAT: &str = "02760100962";
const THIRD_VAT: &str = "09876543217";

fn day(n: i64) -> String {
    (time::OffsetDateTime::now_utc().date() + time::Duration::days(n)).to_string()
}

/// Everyone the crawl logs in as. The privileged ones are every role a plugin (or the kernel)
/// defines; `cittadina` has data of her own (an application, a child, a booking…) and
/// `estranea` is another citizen with none.
struct Cast {
    privileged: Vec<(&'static str, Client)>,
    citizen: Client,
    stranger: Client,
}

/// A territory with every plugin, its people, and records in every plugin whose free-text
/// fields hold [`PAYLOAD`] (so that every list and detail page has something to escape).
async fn populated(id: &str) -> (TestInstance, Server, Cast) {
    let instance = TestInstance::new(id, ALL_PLUGINS);
    for (user, role) in [
        ("operatrice", "operator"),
        ("amministra", "admin"),
        ("comitato", "committee"),
        ("bottega", "merchant"),
        ("insegnante", "tutor"),
        ("risorse", "company_hr"),
        ("fornitore", "citizen"),
        ("membro", "governance"),
    ] {
        add_user(&instance, user, role);
    }
    add_member(instance.path(), "membro");
    let server = Server::start(&[instance.path()]);
    let operator = login(&server, "operatrice").await;
    let citizen = sign_up(&server, "cittadina", PAYLOAD).await;
    let stranger = sign_up(&server, "estranea", "Estranea").await;
    let merchant = login(&server, "bottega").await;
    let tutor = login(&server, "insegnante").await;
    let hr = login(&server, "risorse").await;
    let committee = login(&server, "comitato").await;
    let provider = login(&server, "fornitore").await;
    let post = async |client: &Client, path: &str, body: Json| -> Json {
        let (status, answer) = client.send_json(&server, Method::POST, path, &body).await;
        assert!(status < 300, "seeding {path}: {status} {answer}");
        answer
    };

    post(
        &citizen,
        "/p/hello/api/greetings",
        json!({"name": PAYLOAD, "message": PAYLOAD}),
    )
    .await;

    // Vouchers: a campaign, an application, a merchant linked to its account.
    let campaign = post(
        &operator,
        "/p/vouchers/api/campaigns",
        json!({
            "title": PAYLOAD,
            "measure": "food",
            "opens_on": day(-1),
            "closes_on": day(10),
            "budget": "700,00",
            "fields": ["household_size", "isee"],
            "isee_max": "15.000",
            "residence_required": false,
            "base_amounts": ["150", "250"],
            "denominations": "50; 20; 10",
            "ranking": ["isee_asc"],
            "review_rules": [],
        }),
    )
    .await;
    let campaign = campaign["id"].as_str().expect("campaign id").to_owned();
    post(
        &citizen,
        &format!("/p/vouchers/api/campaigns/{campaign}/applications"),
        json!({"tax_code": PERSON_TAX_CODE, "household_size": 2, "isee": "9.000"}),
    )
    .await;
    let shop = post(
        &operator,
        "/p/vouchers/api/merchants",
        json!({"name": PAYLOAD, "vat_number": VAT, "address": PAYLOAD}),
    )
    .await;
    post(
        &merchant,
        "/p/vouchers/api/merchant/claim",
        json!({"code": shop["claim_code"]}),
    )
    .await;

    // Tutoring: a room, a tutor linked to their account, a child booked into a group.
    let space = post(
        &operator,
        "/p/tutoring/api/spaces",
        json!({"name": PAYLOAD, "address": PAYLOAD, "capacity": 10, "opening": ["lun-dom 08:00-20:00"]}),
    )
    .await;
    let teacher = post(
        &operator,
        "/p/tutoring/api/tutors",
        json!({"name": PAYLOAD, "subjects": ["Matematica"], "levels": ["Primaria"], "availability": ["lun-dom 08:00-20:00"]}),
    )
    .await;
    post(
        &tutor,
        "/p/tutoring/api/tutor/claim",
        json!({"code": teacher["claim_code"]}),
    )
    .await;
    let child = post(
        &citizen,
        "/p/tutoring/api/family/children",
        json!({"first_name": PAYLOAD, "last_name": PAYLOAD, "level": "Primaria", "subjects": ["Matematica"]}),
    )
    .await;
    post(
        &citizen,
        "/p/tutoring/api/bookings",
        json!({"child": child["id"], "subject": "Matematica", "tutor": teacher["id"], "space": space["id"], "date": day(3), "start": "16:00"}),
    )
    .await;

    // Admissions: an application with a comment of the committee.
    let application = post(
        &provider,
        "/p/admissions/api/applications",
        json!({
            "legal_name": PAYLOAD,
            "legal_form": "company",
            "tax_code": OTHER_VAT,
            "vat_number": OTHER_VAT,
            "street": PAYLOAD,
            "postcode": "52025",
            "city": PAYLOAD,
            "province": "AR",
            "email": "info@bottega.example",
            "phone": "+39 055 123456",
            "representative_name": PAYLOAD,
            "representative_tax_code": PERSON_TAX_CODE,
            "categories": ["alimentari"],
            "services": [{"title": PAYLOAD, "category": "alimentari", "description": PAYLOAD}],
            "declarations": [1],
            "ethics_version": "2025-1",
            "accept_ethics": true,
        }),
    )
    .await;
    let application = application["id"]
        .as_str()
        .expect("application id")
        .to_owned();
    post(
        &committee,
        &format!("/p/admissions/api/applications/{application}/comments"),
        json!({"text": PAYLOAD}),
    )
    .await;

    // Corporate plans: a company with its HR office, a provider with a service, a plan with
    // the citizen enrolled.
    let company = post(
        &operator,
        "/p/corporate-plans/api/companies",
        json!({"name": PAYLOAD, "vat_number": THIRD_VAT}),
    )
    .await;
    post(
        &hr,
        "/p/corporate-plans/api/hr/claim",
        json!({"code": company["hr_code"]}),
    )
    .await;
    let company = company["id"].as_str().expect("company id").to_owned();
    post(
        &operator,
        &format!("/p/corporate-plans/api/companies/{company}/deposits"),
        json!({"amount": 5000, "reference": PAYLOAD, "request_id": "deposit-0001"}),
    )
    .await;
    let gym = post(
        &operator,
        "/p/corporate-plans/api/providers",
        json!({"legal_name": PAYLOAD, "vat_number": VAT, "categories": ["sport"]}),
    )
    .await;
    let gym = gym["id"].as_str().expect("provider id").to_owned();
    post(
        &operator,
        &format!("/p/corporate-plans/api/providers/{gym}/services"),
        json!({"title": PAYLOAD, "category": "sport", "price": "10,00"}),
    )
    .await;
    let year = time::OffsetDateTime::now_utc().year();
    let plan = post(
        &hr,
        "/p/corporate-plans/api/plans",
        json!({
            "title": PAYLOAD,
            "year": year,
            "budget": "3.000",
            "level_credits": ["Q1 = 1.000"],
            "per_dependant": "100",
            "max_dependants": 2,
            "categories": ["sport"],
            "refund_share": "33,33",
            "request_id": "plan-0001",
        }),
    )
    .await;
    let plan = plan["id"].as_str().expect("plan id").to_owned();
    let enrolment = post(
        &hr,
        &format!("/p/corporate-plans/api/plans/{plan}/enrolments"),
        json!({"username": "cittadina", "full_name": PAYLOAD, "level": "Q1"}),
    )
    .await;
    post(
        &citizen,
        &format!(
            "/p/corporate-plans/api/enrolments/{}/activate",
            enrolment["id"].as_str().expect("enrolment id")
        ),
        json!({"code": enrolment["activation_code"]}),
    )
    .await;

    let cast = Cast {
        privileged: vec![
            ("operator", operator),
            ("admin", login(&server, "amministra").await),
            ("committee", committee),
            ("merchant", merchant),
            ("tutor", tutor),
            ("company_hr", hr),
            ("governance", login(&server, "membro").await),
        ],
        citizen,
        stranger,
    };
    (instance, server, cast)
}

/// One input of a form.
#[derive(Clone, Debug)]
enum Input {
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
struct Form {
    /// The page the form was found on.
    page: String,
    method: Method,
    /// Path and query the form submits to.
    action: String,
    inputs: Vec<(String, Input)>,
}

/// Same-site path and query of `href` seen on `page`, without the fragment.
fn same_site(server: &Server, page: &str, href: &str) -> Option<String> {
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
fn skipped(path: &str) -> bool {
    let bare = path.split('?').next().unwrap_or_default();
    bare.starts_with("/static/")
        || bare.ends_with(".csv")
        || bare.ends_with(".ics")
        || path.contains("lang=")
}

fn selector(css: &str) -> Selector {
    Selector::parse(css).expect("a valid selector")
}

/// The links and forms of a page.
fn read_page(server: &Server, page: &str, html: &str) -> (Vec<String>, Vec<Form>) {
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

fn read_input(element: ElementRef<'_>) -> Option<(String, Input)> {
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
fn plausible(name: &str, kind: &str, current: &str) -> String {
    let name = name.to_ascii_lowercase();
    match kind {
        "email" => return "persona@example.org".into(),
        "tel" => return "+39 055 123456".into(),
        "url" => return "https://example.org".into(),
        "password" => return PASSWORD.into(),
        "date" => return day(3),
        "month" => return day(0)[..7].to_owned(),
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
        day(3)
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
fn fill(form: &Form, all_payload: bool) -> Vec<(String, String)> {
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
fn assert_escaped(what: &str, body: &str) {
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
struct Crawl {
    pages: BTreeMap<String, u16>,
    bodies: BTreeMap<String, String>,
    forms: Vec<Form>,
}

/// The route of a link: its path and the names of its query parameters. Links differing only in
/// the values (pages, months) are the same route; a crawl follows a few of each.
fn route(path: &str) -> String {
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
async fn crawl(client: &Client, server: &Server, who: &str, starts: &[String]) -> Crawl {
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

fn start_pages() -> Vec<String> {
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

/// Submits `form` as `client` (with the client's own CSRF token); returns the status and the
/// HTML shown afterwards (the answer, or the page a redirect leads to).
async fn submit(
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
fn harmless_to_skip(form: &Form) -> bool {
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

/// Pages everyone may open by design, reached by the privileged crawl with a query a citizen's
/// own links never carry: the replay does not count them. Matched on the path without the
/// query; `{id}` stands for one record id.
const PUBLIC_BY_DESIGN: &[&str] = &[
    // A campaign is public ("all"); its operators' filters (`?status=`, `?page=`) only act
    // for operators: the list of applications is built only when `is_operator()`
    // (plugins/vouchers/src/web/campaigns.rs).
    "/p/vouchers/campaigns/{id}",
];

/// Whether `segment` looks like a record id (the kernel's ids: 28 lower-case hex digits, maybe
/// after a prefix such as `acct-`).
fn is_record_id(segment: &str) -> bool {
    let id = segment.rsplit('-').next().unwrap_or_default();
    id.len() >= 20 && id.chars().all(|c| c.is_ascii_hexdigit())
}

/// Kernel actions every logged-in account may take on its own records, whether or not the
/// crawl's citizen happened to have a record to act on (a committee member has notifications
/// to mark read, a citizen with none sees no such form).
fn every_accounts_own(action: &str) -> bool {
    action == "/notifications/read"
}

fn public_by_design(path: &str) -> bool {
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
const SHOWN_RECORD: &str = "alert(";

/// Whether an answer refuses: 401, 403, 404, or a redirect to the login page.
fn refuses(status: u16, location: Option<&str>) -> bool {
    matches!(status, 401 | 403 | 404)
        || ((300..400).contains(&status) && location.is_some_and(|l| l.starts_with("/login")))
}

fn status_and_location(response: &reqwest::Response) -> (u16, Option<String>) {
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
