//! The host API keeps its promise: every released minor of `trama:plugin` is kept in
//! `wit/history/`, each only adds to the one before, the newest is the one the kernel speaks,
//! and a component built against 1.0.0 — kept built in `tests/fixtures/api-1.0` — still loads
//! and runs on this kernel.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use trama::host::bindings::types::{HttpRequest, HttpResponse};
use trama::host::call::{CallSetup, PluginContext};
use trama::host::{PluginHost, call};
use trama_manifest::{Capability, HOST_API_VERSION};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// `wit/history/plugin@X.Y.Z.wit` by version.
fn history() -> BTreeMap<semver::Version, String> {
    let dir = repo().join("wit/history");
    std::fs::read_dir(&dir)
        .expect("wit/history")
        .map(|entry| entry.expect("entry").path())
        .filter_map(|path| {
            let name = path.file_name()?.to_str()?.to_owned();
            let version = name.strip_prefix("plugin@")?.strip_suffix(".wit")?;
            let version = semver::Version::parse(version).expect("a version in the file name");
            Some((version, std::fs::read_to_string(&path).expect("read")))
        })
        .collect()
}

/// The declarations of a WIT text (`name: func(…)`, records, variants…), one per line,
/// without comments or blank lines.
fn declarations(wit: &str) -> BTreeSet<String> {
    wit.lines()
        .map(str::trim)
        .filter(|line| !line.is_empty() && !line.starts_with("//") && !line.starts_with("package"))
        .map(str::to_owned)
        .collect()
}

#[test]
fn every_released_minor_is_kept_and_each_only_adds() {
    let history = history();
    let versions: Vec<String> = history.keys().map(ToString::to_string).collect();
    for minor in 0..=HOST_API_VERSION.minor {
        let version = semver::Version::new(1, minor, 0);
        let text = history
            .get(&version)
            .unwrap_or_else(|| panic!("wit/history has no plugin@{version}.wit: {versions:?}"));
        assert!(
            text.contains(&format!("package trama:plugin@{version};")),
            "plugin@{version}.wit declares another package"
        );
    }
    let current = std::fs::read_to_string(repo().join("wit/plugin.wit")).expect("wit/plugin.wit");
    assert_eq!(
        history.get(&HOST_API_VERSION),
        Some(&current),
        "wit/plugin.wit is the kernel's {HOST_API_VERSION}, kept as it is in wit/history"
    );
    let texts: Vec<(&semver::Version, BTreeSet<String>)> = history
        .iter()
        .map(|(version, text)| (version, declarations(text)))
        .collect();
    for pair in texts.windows(2) {
        let ((older, before), (newer, after)) = (&pair[0], &pair[1]);
        let removed: Vec<&String> = before.difference(after).collect();
        assert!(
            removed.is_empty(),
            "{newer} removes or changes what {older} had: {removed:#?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_component_built_against_1_0_0_runs_on_this_kernel() {
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/api-1.0");
    let dir = tempfile::tempdir().expect("tempdir");
    let host = PluginHost::new(&dir.path().join("cache")).expect("host");
    let component = host
        .load_component(&fixture.join("plugin.wasm"))
        .expect("the kept 1.0.0 component loads");
    let imports: Vec<String> = component
        .component_type()
        .imports(host.engine())
        .map(|(name, _)| name.to_owned())
        .collect();
    assert!(
        imports
            .iter()
            .any(|name| name == "trama:plugin/store@1.0.0"),
        "the fixture imports the 1.0.0 interfaces: {imports:?}"
    );
    let granted: BTreeSet<Capability> = [Capability::Store, Capability::Clock].into();
    let pre = host
        .prepare("api-one", &component, &granted)
        .expect("a 1.0.0 component links against this kernel");

    let url = format!("sqlite://{}?mode=rwc", dir.path().join("old.db").display());
    let db = trama::db::Db::connect(&url).await.expect("database");
    let collections = Arc::new(BTreeMap::from([("notes".to_owned(), BTreeSet::new())]));
    let docs = trama::docstore::DocStore::new(db.clone(), "old", "api-one", collections);
    let ctx = Arc::new(PluginContext {
        instance: "old".into(),
        plugin: "api-one".into(),
        version: semver::Version::new(1, 0, 0),
        docs: docs.clone(),
        ledger: trama::ledger::Ledger::new(db.clone(), "old", "api-one"),
        outbox: trama::notify::Outbox::new(db.clone(), "old", "api-one"),
        db,
        settings: "{}".into(),
        memory_cap: 64 << 20,
        publishes: BTreeSet::new(),
        event_schemas: trama_manifest::EventSchemas::default(),
        roles: BTreeSet::new(),
        catalogues: Arc::default(),
        events_wake: Arc::default(),
        sealer: None,
        files_sealer: None,
    });
    let request = HttpRequest {
        method: "GET".into(),
        path: "/note".into(),
        query: Vec::new(),
        headers: Vec::new(),
        form: Vec::new(),
        body: Vec::new(),
        locale: "it".into(),
    };
    let setup = CallSetup {
        caller: None,
        deadline: Duration::from_secs(30),
        subscribers: Arc::default(),
        uploads: Vec::new(),
    };
    let outcome = call::call(
        host.engine().clone(),
        pre,
        ctx,
        setup,
        Result::is_ok,
        move |store, plugin| {
            Box::pin(async move {
                plugin
                    .trama_plugin_handler()
                    .call_handle(store, &request)
                    .await
            })
        },
    )
    .await;
    assert!(outcome.committed, "the call's write is committed");
    let answer = outcome
        .result
        .expect("the call runs")
        .expect("the plugin answers");
    let HttpResponse::Json(reply) = answer else {
        panic!("GET /note answers JSON");
    };
    let body: serde_json::Value = serde_json::from_str(&reply.body).expect("JSON");
    assert_eq!(body["api"], "1.0.0", "{body}");
    assert_eq!(body["version"], 1, "{body}");
    assert!(
        body["read"]
            .as_str()
            .unwrap_or_default()
            .contains("written_at"),
        "the plugin read its own write: {body}"
    );
    let stored = docs
        .get("notes", "first")
        .await
        .expect("read")
        .expect("stored");
    assert_eq!(stored.version, 1);
}
