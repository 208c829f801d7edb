//! `trama dev`: an instance served as `trama serve` serves it, following its sources as they
//! are edited, as `spin watch` does for Spin apps.
//!
//! A watcher (`notify`, debounced so that an editor's burst of writes is one change) looks at
//! the instance's manifest, its theme's templates and catalogues, and the sources of the
//! plugins it runs. What changed decides what happens:
//! - a plugin's Rust sources (`src/`, `Cargo.toml`, `build.rs`): the plugin is rebuilt first,
//!   with cargo's progress printed; a build that fails prints cargo's errors and changes
//!   nothing, the last component keeps serving;
//! - its templates, catalogues or `plugin.toml`, the theme, the manifest: nothing to build.
//!
//! Then the instance is reloaded the way SIGHUP reloads it ([`Fleet::load`], which asks
//! [`crate::live::LiveInstance`] for a new version built from the files on disk and the
//! approved proposals): requests go on being served by the running version meanwhile, and if
//! the new one does not open (a template that does not parse, a manifest fault) the running
//! one stays and the fault is printed with its file and line.
//!
//! The fleet opens plugins with [`BuildPolicy::UseExisting`]: every build happens here, where
//! it is reported, and a plugin whose latest edit does not compile keeps its last component
//! while templates and the manifest are still reloaded around it.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Component, Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use notify_debouncer_full::notify::{RecommendedWatcher, RecursiveMode};
use notify_debouncer_full::{DebounceEventResult, Debouncer, RecommendedCache, new_debouncer};

use crate::fleet::Fleet;
use crate::instance::BuildPolicy;
use crate::server::{self, ServeError, ServeOptions};
use crate::theme::DEFAULT_THEME;

/// How long the files must stay still before a change is acted on: an editor saving writes,
/// renames and touches several files within a few milliseconds.
const DEBOUNCE: Duration = Duration::from_millis(300);

/// Serves `options.instance_dirs` with detailed error pages, building stale plugins first and
/// then following every change of their sources until the server stops.
pub async fn run(mut options: ServeOptions) -> Result<(), ServeError> {
    options.build = BuildPolicy::UseExisting;
    options.dev = true;
    for dir in &options.instance_dirs {
        build_stale(dir).await;
    }
    let follow: server::Companion = Box::new(|fleet| tokio::spawn(follow(fleet)));
    server::serve_with(options, Some(follow)).await
}

/// What one instance is made of, as files to watch.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
struct Sources {
    /// Instance folders (their `instance.toml`).
    instances: BTreeSet<PathBuf>,
    /// Theme folders: the instance's theme and the default theme under it.
    themes: BTreeSet<PathBuf>,
    /// Plugin folders by plugin name.
    plugins: BTreeMap<PathBuf, String>,
}

/// What a set of changed files asks for.
#[derive(Debug, Default, PartialEq, Eq)]
struct Plan {
    /// Plugins to rebuild (folder, name).
    build: BTreeMap<PathBuf, String>,
    /// Whether to reload the instances (always, after a successful build).
    reload: bool,
    /// Whether a manifest changed: a newly enabled plugin may need its first build.
    manifest: bool,
}

impl Sources {
    /// The files of every instance the fleet serves now, as absolute paths (the watcher
    /// reports what it was given, and edits come in through every spelling of a path).
    fn of(fleet: &Fleet) -> Self {
        let mut sources = Self::default();
        for live in fleet.instances().all() {
            let instance = live.current();
            sources.instances.insert(absolute(live.dir()));
            let themes = &instance.manifest.registry.themes;
            sources.themes.insert(absolute(&themes.join(DEFAULT_THEME)));
            sources
                .themes
                .insert(absolute(&themes.join(&instance.manifest.instance.theme)));
            for plugin in instance.plugins.values() {
                sources
                    .plugins
                    .insert(absolute(&plugin.dir), plugin.name.clone());
            }
        }
        sources
    }

    /// The folders to watch and how. Plugin folders are watched only where sources live, so
    /// that their component and a plugin's own `target/` (builds write thousands of files)
    /// never wake the watcher.
    fn watches(&self) -> BTreeMap<PathBuf, RecursiveMode> {
        let mut watches = BTreeMap::new();
        for dir in &self.instances {
            watches.insert(dir.clone(), RecursiveMode::NonRecursive);
        }
        for dir in &self.themes {
            for part in ["templates", "locales"] {
                watches.insert(dir.join(part), RecursiveMode::Recursive);
            }
        }
        for dir in self.plugins.keys() {
            watches.insert(dir.clone(), RecursiveMode::NonRecursive);
            for part in ["src", "templates", "locales"] {
                watches.insert(dir.join(part), RecursiveMode::Recursive);
            }
        }
        watches.retain(|dir, _| dir.is_dir());
        watches
    }

    /// What the change of `path` asks for, if anything.
    fn classify(&self, path: &Path, plan: &mut Plan) {
        if is_scratch(path) {
            return;
        }
        for (dir, name) in &self.plugins {
            let Some(first) = first_part(path, dir) else {
                continue;
            };
            match first.as_str() {
                "src" | "Cargo.toml" | "build.rs" => {
                    plan.build.insert(dir.clone(), name.clone());
                }
                "templates" | "locales" | trama_manifest::PLUGIN_TOML => plan.reload = true,
                // The component (written by the build), `target/`, notes.
                _ => {}
            }
            return;
        }
        for dir in &self.themes {
            if first_part(path, dir).is_some_and(|first| first == "templates" || first == "locales")
            {
                plan.reload = true;
                return;
            }
        }
        for dir in &self.instances {
            if first_part(path, dir).is_some_and(|first| first == trama_manifest::INSTANCE_TOML) {
                plan.reload = true;
                plan.manifest = true;
                return;
            }
        }
    }
}

/// The first component of `path` under `dir`, if it is under it.
fn first_part(path: &Path, dir: &Path) -> Option<String> {
    match path.strip_prefix(dir).ok()?.components().next()? {
        Component::Normal(part) => Some(part.to_string_lossy().into_owned()),
        _ => None,
    }
}

/// Editors' swap, backup and temporary files (`.index.html.swp`, `index.html~`, vim's `4913`):
/// their coming and going is not an edit.
fn is_scratch(path: &Path) -> bool {
    let Some(name) = path.file_name().map(|name| name.to_string_lossy()) else {
        return true;
    };
    name.starts_with('.')
        || name.ends_with('~')
        || name.ends_with(".swp")
        || name.ends_with(".swx")
        || name == "4913"
}

fn absolute(path: &Path) -> PathBuf {
    path.canonicalize()
        .or_else(|_| std::path::absolute(path))
        .unwrap_or_else(|_| path.to_path_buf())
}

/// Watches the fleet's sources and acts on each change until the task is aborted.
async fn follow(fleet: Arc<Fleet>) {
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let mut debouncer = match new_debouncer(DEBOUNCE, None, move |result: DebounceEventResult| {
        let _ = tx.send(result);
    }) {
        Ok(debouncer) => debouncer,
        Err(err) => {
            println!("Trama dev: cannot watch files ({err}); edits need a restart");
            return;
        }
    };
    let mut sources = Sources::of(&fleet);
    let mut watched = BTreeMap::new();
    rewatch(&mut debouncer, &mut watched, &sources);
    // Scripts and tests wait for this line to know edits are followed from now on.
    println!(
        "Trama dev: watching {} folder(s) for changes",
        watched.len()
    );
    while let Some(first) = rx.recv().await {
        let mut changed = BTreeSet::new();
        let mut batch = Some(first);
        // What arrived while the last change was being handled (a build takes a while)
        // joins this one.
        while let Some(result) = batch {
            match result {
                Ok(events) => changed.extend(
                    events
                        .into_iter()
                        .filter(|event| !event.kind.is_access())
                        .flat_map(|event| event.event.paths),
                ),
                Err(errors) => {
                    for err in errors {
                        tracing::warn!(error = %err, "file watcher");
                    }
                }
            }
            batch = rx.try_recv().ok();
        }
        let mut plan = Plan::default();
        for path in &changed {
            sources.classify(path, &mut plan);
        }
        if plan == Plan::default() {
            continue;
        }
        apply(&fleet, plan).await;
        sources = Sources::of(&fleet);
        rewatch(&mut debouncer, &mut watched, &sources);
    }
}

/// Makes the watcher watch exactly what `sources` needs: folders enabled or created since are
/// added, folders of plugins no longer served are dropped.
fn rewatch(
    debouncer: &mut Debouncer<RecommendedWatcher, RecommendedCache>,
    watched: &mut BTreeMap<PathBuf, RecursiveMode>,
    sources: &Sources,
) {
    let wanted = sources.watches();
    for (dir, mode) in watched.iter() {
        if wanted.get(dir) != Some(mode) {
            // The folder may be gone already, which ends its watch anyway.
            let _ = debouncer.unwatch(dir);
        }
    }
    watched.retain(|dir, mode| wanted.get(dir) == Some(mode));
    for (dir, mode) in wanted {
        if watched.contains_key(&dir) {
            continue;
        }
        match debouncer.watch(&dir, mode) {
            Ok(()) => {
                watched.insert(dir, mode);
            }
            Err(err) => println!("Trama dev: cannot watch {}: {err}", dir.display()),
        }
    }
}

/// Builds what the plan asks for, then reloads the fleet if anything is left to take in.
async fn apply(fleet: &Fleet, plan: Plan) {
    let mut reload = plan.reload;
    for (dir, name) in plan.build {
        println!("Trama dev: `{name}` changed, rebuilding it");
        let report = dir.clone();
        let built = tokio::task::spawn_blocking(move || {
            trama_plugin_build::build_plugin_reporting(&report, &mut |line| println!("  {line}"))
        })
        .await;
        match built {
            Ok(Ok(_)) => {
                println!("Trama dev: `{name}` built");
                reload = true;
            }
            Ok(Err(err)) => {
                println!("Trama dev: `{name}` did not build; its last build keeps serving:\n{err}")
            }
            Err(err) => println!("Trama dev: building `{name}` stopped: {err}"),
        }
    }
    if plan.manifest {
        for live in fleet.instances().all() {
            build_stale(live.dir()).await;
        }
    }
    if !reload {
        return;
    }
    let refused = fleet.load().await;
    if refused.is_empty() {
        // Scripts and tests wait for this line.
        println!("Trama dev: reloaded");
    }
    for fault in refused {
        println!(
            "Trama dev: the running version stays, the new one does not open:\n  {}",
            fault.reason
        );
    }
}

/// Builds every enabled plugin of the instance in `dir` whose component is missing or older
/// than its sources, printing cargo's progress. A manifest that does not load is left for
/// opening the instance to report; a plugin that does not build is reported and skipped.
async fn build_stale(dir: &Path) {
    let Ok(checked) = trama_manifest::check(dir) else {
        return;
    };
    let plugins: Vec<(String, PathBuf)> = checked
        .plugins
        .into_iter()
        .filter(|plugin| plugin.enabled && plugin.package.dir.join("Cargo.toml").is_file())
        .map(|plugin| (plugin.name, plugin.package.dir))
        .collect();
    for (name, dir) in plugins {
        let built = tokio::task::spawn_blocking(move || {
            trama_plugin_build::ensure_built_reporting(&dir, &mut |line| println!("  {line}"))
        })
        .await;
        match built {
            Ok(Ok(_)) => {}
            Ok(Err(err)) => println!("Trama dev: `{name}` did not build:\n{err}"),
            Err(err) => println!("Trama dev: building `{name}` stopped: {err}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sources() -> Sources {
        Sources {
            instances: [PathBuf::from("/t/instances/demo")].into(),
            themes: [
                PathBuf::from("/t/themes/default"),
                PathBuf::from("/t/themes/demo"),
            ]
            .into(),
            plugins: [(PathBuf::from("/t/plugins/hello"), "hello".to_owned())].into(),
        }
    }

    fn plan(paths: &[&str]) -> Plan {
        let sources = sources();
        let mut plan = Plan::default();
        for path in paths {
            sources.classify(Path::new(path), &mut plan);
        }
        plan
    }

    #[test]
    fn rust_sources_rebuild_their_plugin() {
        let plan = plan(&[
            "/t/plugins/hello/src/pages.rs",
            "/t/plugins/hello/Cargo.toml",
        ]);
        assert_eq!(
            plan.build.into_iter().collect::<Vec<_>>(),
            vec![(PathBuf::from("/t/plugins/hello"), "hello".to_owned())]
        );
        assert!(!plan.reload, "the reload follows a successful build only");
    }

    #[test]
    fn templates_catalogues_and_manifests_reload_without_a_build() {
        for path in [
            "/t/plugins/hello/templates/index.html",
            "/t/plugins/hello/locales/it.toml",
            "/t/plugins/hello/plugin.toml",
            "/t/themes/demo/templates/base.html",
            "/t/themes/default/locales/en.toml",
        ] {
            let plan = plan(&[path]);
            assert!(
                plan.reload && plan.build.is_empty() && !plan.manifest,
                "{path}"
            );
        }
        let plan = plan(&["/t/instances/demo/instance.toml"]);
        assert!(plan.reload && plan.manifest);
    }

    #[test]
    fn builds_databases_and_editor_files_are_ignored() {
        assert_eq!(
            plan(&[
                "/t/plugins/hello/plugin.wasm",
                "/t/plugins/hello/plugin.wasm.partial",
                "/t/plugins/hello/target/release/x",
                "/t/instances/demo/data/trama.db-wal",
                "/t/themes/demo/static/site.css",
                "/t/plugins/hello/src/.lib.rs.swp",
                "/t/plugins/hello/templates/index.html~",
                "/t/plugins/hello/templates/4913",
                "/t/elsewhere/instance.toml",
            ]),
            Plan::default()
        );
    }
}
