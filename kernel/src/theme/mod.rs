//! Themes: tera templates, message catalogues and static assets.
//!
//! Lookup order for a template name is: the instance's theme, then the plugin's own templates,
//! then the default theme. Plugin templates are named `<plugin>/<path>`; a theme overrides one by
//! shipping `templates/plugins/<plugin>/<path>`.
//!
//! Each template keeps the file it came from, so that an error names the file and, as far as
//! [`diagnose`] can tell, the line: the developer edits files, not tera names.

mod catalogues;
mod diagnose;
mod filters;
mod pages;
mod privacy;
mod qr;
mod texts;

pub use diagnose::Spot;

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, Weak};
use std::time::SystemTime;

use serde_json::{Map, Value as Json};
use tera::Tera;

pub use catalogues::Catalogues;
pub use pages::Page;
pub use privacy::Notice;
pub use texts::{Rendered, Texts, markdown_to_html};
pub use trama_manifest::locales::{DEFAULT_THEME, SOURCE_LOCALE};

#[derive(Debug, thiserror::Error)]
pub enum ThemeError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}: {message}")]
    Catalogue { path: PathBuf, message: String },
    /// A template that does not parse or does not render: where it lies (the file, and the
    /// line when known) and what is wrong.
    #[error("{}", diagnose::describe(.spot.as_deref(), .message))]
    Template {
        spot: Option<Box<Spot>>,
        message: String,
    },
}

impl ThemeError {
    /// Where in a template file the error lies, if it is a template error.
    pub fn spot(&self) -> Option<&Spot> {
        match self {
            ThemeError::Template { spot, .. } => spot.as_deref(),
            _ => None,
        }
    }
}

/// The stylesheet themes/build compiles for each theme, under its `static/` folder.
pub const STYLESHEET: &str = "build/theme.css";

/// A template's text and the file it was read from.
pub(crate) struct Source {
    pub(crate) file: PathBuf,
    pub(crate) body: String,
}

/// A plugin's contribution to the theme.
pub struct PluginTemplates<'a> {
    pub name: &'a str,
    pub dir: &'a Path,
}

/// The compiled templates and catalogues of one instance.
pub struct Theme {
    tera: Tera,
    /// Every template's file and text, by tera name, to point errors at a file and line.
    sources: HashMap<String, Source>,
    catalogues: Arc<Catalogues>,
    /// The languages with a catalogue in the default theme or this one, Italian first.
    locales: Vec<String>,
    /// Static asset folders, most specific first.
    static_dirs: Vec<PathBuf>,
    /// The privacy notice people agree to, if the theme (or the default theme) has one.
    privacy: Option<Notice>,
    /// The footer's legal notes, accessibility statement and contacts.
    pages: pages::Pages,
}

/// What a theme is built from: the themes folder, the theme, the instance's language and each
/// plugin's folder.
type ThemeKey = (PathBuf, String, String, Vec<(String, PathBuf)>);
/// Every template and catalogue file the theme read, with its size and change time.
type Fingerprint = Vec<(PathBuf, u64, Option<SystemTime>)>;

/// Themes in use, shared by every instance built from the same files: parsing the templates of
/// a theme and four plugins costs tens of milliseconds and megabytes, fifty territories on one
/// server would pay it fifty times. Entries are weak, so an unused theme is freed, and checked
/// against the files, so a reload after a template edit builds a fresh one.
static SHARED: Mutex<Vec<(ThemeKey, Fingerprint, Weak<Theme>)>> = Mutex::new(Vec::new());

/// The files under `dir`, recursively, with their size and change time.
fn fingerprint(dirs: &[PathBuf]) -> Fingerprint {
    let mut files = Vec::new();
    let mut stack: Vec<PathBuf> = dirs.to_vec();
    while let Some(dir) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            match entry.metadata() {
                Ok(meta) if meta.is_dir() => stack.push(path),
                Ok(meta) => files.push((path, meta.len(), meta.modified().ok())),
                Err(_) => {}
            }
        }
    }
    files.sort();
    files
}

/// Picks the text for `locale` among a plugin's or a setting's texts by language (`title`,
/// `description` in `plugin.toml`), falling back to Italian and then to any text at all.
pub fn localized<'a>(
    texts: &'a std::collections::BTreeMap<String, String>,
    locale: &str,
) -> Option<&'a str> {
    texts
        .get(locale)
        .or_else(|| texts.get(SOURCE_LOCALE))
        .or_else(|| texts.values().next())
        .map(String::as_str)
}

impl Theme {
    /// [`Theme::load`], or the theme already built from the same, unchanged files.
    pub fn shared(
        themes_root: &Path,
        theme: &str,
        locale: &str,
        plugins: &[PluginTemplates<'_>],
    ) -> Result<Arc<Self>, ThemeError> {
        let key: ThemeKey = (
            themes_root.to_path_buf(),
            theme.to_owned(),
            locale.to_owned(),
            plugins
                .iter()
                .map(|p| (p.name.to_owned(), p.dir.to_path_buf()))
                .collect(),
        );
        let mut sources = vec![
            themes_root.join(DEFAULT_THEME).join("templates"),
            themes_root.join(DEFAULT_THEME).join("locales"),
            themes_root.join(theme).join("templates"),
            themes_root.join(theme).join("locales"),
            themes_root.join(DEFAULT_THEME).join("privacy"),
            themes_root.join(theme).join("privacy"),
            themes_root.join(DEFAULT_THEME).join("pages"),
            themes_root.join(theme).join("pages"),
        ];
        for plugin in plugins {
            sources.push(plugin.dir.join("templates"));
            sources.push(plugin.dir.join("locales"));
        }
        let prints = fingerprint(&sources);
        let mut shared = SHARED
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        shared.retain(|(_, _, theme)| theme.strong_count() > 0);
        if let Some(theme) = shared
            .iter()
            .find(|(k, p, _)| *k == key && *p == prints)
            .and_then(|(_, _, theme)| theme.upgrade())
        {
            return Ok(theme);
        }
        let theme = Arc::new(Self::load(themes_root, theme, locale, plugins)?);
        shared.push((key, prints, Arc::downgrade(&theme)));
        Ok(theme)
    }

    pub fn load(
        themes_root: &Path,
        theme: &str,
        locale: &str,
        plugins: &[PluginTemplates<'_>],
    ) -> Result<Self, ThemeError> {
        let default_dir = themes_root.join(DEFAULT_THEME);
        let theme_dir = themes_root.join(theme);
        // Later layers override earlier ones: default theme, plugin templates, default-theme
        // plugin overrides only where the plugin has no such template, then the instance theme.
        let mut templates = BTreeMap::new();
        let mut default_layer = BTreeMap::new();
        collect(&default_dir.join("templates"), "", &mut default_layer)?;
        let (default_overrides, default_own) = split_plugin_overrides(default_layer);
        // A territory's theme may build on the default theme's page rather than copy it:
        // `{% extends "default/base.html" %}` and fill its blocks.
        if theme != DEFAULT_THEME {
            for (name, source) in &default_own {
                templates.insert(
                    format!("{DEFAULT_THEME}/{name}"),
                    Source {
                        file: source.file.clone(),
                        body: source.body.clone(),
                    },
                );
            }
        }
        templates.extend(default_own);
        for plugin in plugins {
            collect(
                &plugin.dir.join("templates"),
                &format!("{}/", plugin.name),
                &mut templates,
            )?;
        }
        for (name, body) in default_overrides {
            templates.entry(name).or_insert(body);
        }
        if theme != DEFAULT_THEME {
            let mut theme_layer = BTreeMap::new();
            collect(&theme_dir.join("templates"), "", &mut theme_layer)?;
            let (overrides, own) = split_plugin_overrides(theme_layer);
            templates.extend(own);
            templates.extend(overrides);
        }
        let mut tera = Tera::default();
        tera.autoescape_on(vec![".html", ".htm", ".xml", ".svg"]);
        tera.set_escape_fn(escape_html);
        tera.register_filter("fmt", filters::fmt);
        tera.register_filter("local_time", filters::local_time);
        tera.register_filter("qr", qr::qr);
        tera.add_raw_templates(
            templates
                .iter()
                .map(|(name, source)| (name.as_str(), source.body.as_str())),
        )
        .map_err(|err| diagnose::located(&err, |name| templates.get(name)))?;

        // Italian first: every other language starts from it, so a key its catalogues lack
        // shows the Italian text instead of failing the page.
        let locales = offered(themes_root, theme, locale, plugins);
        let mut catalogues: HashMap<String, Json> = HashMap::new();
        for locale in &locales {
            // A regional variant (`de-AT`) builds on its language (`de`) when the instance has
            // it, every language on Italian; `locales` lists languages before their variants.
            let base = locale
                .split_once('-')
                .and_then(|(language, _)| catalogues.get(language))
                .or_else(|| catalogues.get(SOURCE_LOCALE));
            let mut merged = match base {
                Some(Json::Object(source)) => source.clone(),
                _ => Map::new(),
            };
            // The themes may word anything; a plugin only its own table, so that one plugin
            // cannot reword another's pages, the kernel's or the SDK's (or plant markup in a
            // message another plugin shows unescaped).
            let mut layers = vec![(default_dir.join("locales"), None)];
            layers.extend(
                plugins
                    .iter()
                    .map(|p| (p.dir.join("locales"), Some(namespace(p.name)))),
            );
            if theme != DEFAULT_THEME {
                layers.push((theme_dir.join("locales"), None));
            }
            for (dir, own) in layers {
                for file in catalogue_files(&dir, locale) {
                    merge_catalogue(&file, own.as_deref(), &mut merged)?;
                }
            }
            catalogues.insert(locale.clone(), Json::Object(merged));
        }
        let mut static_dirs = Vec::new();
        if theme != DEFAULT_THEME {
            static_dirs.push(theme_dir.join("static"));
        }
        static_dirs.push(default_dir.join("static"));
        // The stylesheet is compiled from the themes' SCSS by themes/build, not kept in git:
        // without it pages still work, unstyled, so say how to make it.
        if !static_dirs.iter().any(|dir| dir.join(STYLESHEET).is_file()) {
            tracing::warn!(
                theme,
                "static/{STYLESHEET} is missing: pages are shown unstyled until the themes are \
                 compiled (`./dev setup`, or `npm ci --prefix themes/build && node \
                 themes/build/build.mjs`)"
            );
        }
        let privacy = Notice::load(&theme_dir, &default_dir)?;
        let pages = pages::Pages::load(&theme_dir, &default_dir)?;
        Ok(Self {
            privacy,
            pages,
            tera,
            sources: templates.into_iter().collect(),
            catalogues: Arc::new(Catalogues::new(catalogues, locale)),
            locales,
            static_dirs,
        })
    }

    /// The privacy notice, if the theme has one.
    pub fn privacy(&self) -> Option<&Notice> {
        self.privacy.as_ref()
    }

    /// A page of the footer, if the theme (or the default theme) has it.
    pub fn page(&self, page: Page) -> Option<&Texts> {
        self.pages.get(page)
    }

    pub fn has_template(&self, name: &str) -> bool {
        self.tera.get_template_names().any(|t| t == name)
    }

    /// Renders `name`; `context` must be a JSON object. The locale's catalogue is added as `t`.
    pub fn render(&self, name: &str, locale: &str, context: &Json) -> Result<String, ThemeError> {
        let mut ctx =
            tera::Context::from_value(context.clone()).map_err(|err| ThemeError::Template {
                spot: None,
                message: diagnose::chain(&err).join(": "),
            })?;
        ctx.insert("t", self.catalogue(locale));
        ctx.insert("locale", locale);
        self.tera
            .render(name, &ctx)
            .map_err(|err| diagnose::located(&err, |name| self.sources.get(name)))
    }

    /// The languages this theme has catalogues for, Italian first.
    pub fn locales(&self) -> &[String] {
        &self.locales
    }

    /// Whether pages can be shown in `locale`.
    pub fn speaks(&self, locale: &str) -> bool {
        self.locales.iter().any(|l| l == locale)
    }

    /// The message catalogue of a locale (falls back to Italian).
    pub fn catalogue(&self, locale: &str) -> &Json {
        self.catalogues.of(locale)
    }

    /// Every language's catalogue, borrowed: for sentences the kernel writes itself.
    pub fn catalogues_ref(&self) -> &Catalogues {
        &self.catalogues
    }

    /// Every language's catalogue, shared with the instance's plugins (host API `i18n`).
    pub fn catalogues(&self) -> Arc<Catalogues> {
        Arc::clone(&self.catalogues)
    }

    /// Finds a static asset, refusing any path that tries to leave the theme folders.
    pub fn static_file(&self, relative: &str) -> Option<PathBuf> {
        let safe = Path::new(relative)
            .components()
            .all(|c| matches!(c, std::path::Component::Normal(_)));
        if !safe {
            return None;
        }
        self.static_dirs
            .iter()
            .map(|dir| dir.join(relative))
            .find(|path| path.is_file())
    }
}

/// Splits a theme's templates into its own and its overrides of plugin templates
/// (`plugins/<plugin>/x.html`, renamed to `<plugin>/x.html`).
fn split_plugin_overrides(
    layer: BTreeMap<String, Source>,
) -> (BTreeMap<String, Source>, BTreeMap<String, Source>) {
    let mut overrides = BTreeMap::new();
    let mut own = BTreeMap::new();
    for (name, body) in layer {
        match name.strip_prefix("plugins/") {
            Some(target) => {
                overrides.insert(target.to_owned(), body);
            }
            None => {
                own.insert(name, body);
            }
        }
    }
    (overrides, own)
}

/// Escapes text for HTML element content and quoted attributes. Unlike tera's default it leaves
/// `/` alone, which needs no escaping there and keeps links readable.
pub(crate) fn escape_html(input: &str) -> String {
    let mut out = String::with_capacity(input.len() + input.len() / 8);
    for c in input.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#x27;"),
            _ => out.push(c),
        }
    }
    out
}

fn collect(dir: &Path, prefix: &str, out: &mut BTreeMap<String, Source>) -> Result<(), ThemeError> {
    if !dir.is_dir() {
        return Ok(());
    }
    let mut stack = vec![dir.to_path_buf()];
    while let Some(current) = stack.pop() {
        let entries = std::fs::read_dir(&current).map_err(|source| ThemeError::Read {
            path: current.clone(),
            source,
        })?;
        for entry in entries {
            let path = entry
                .map_err(|source| ThemeError::Read {
                    path: current.clone(),
                    source,
                })?
                .path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            let Ok(relative) = path.strip_prefix(dir) else {
                continue;
            };
            let name = format!("{prefix}{}", relative.to_string_lossy().replace('\\', "/"));
            let body = std::fs::read_to_string(&path).map_err(|source| ThemeError::Read {
                path: path.clone(),
                source,
            })?;
            out.insert(name, Source { file: path, body });
        }
    }
    Ok(())
}

/// The languages the instance offers: those the themes have catalogues for which the
/// instance's own theme and every plugin also speak — a switcher entry that would show half
/// the pages in Italian helps no one — plus Italian (the fallback) and the instance's own
/// language, always.
fn offered(
    themes_root: &Path,
    theme: &str,
    locale: &str,
    plugins: &[PluginTemplates<'_>],
) -> Vec<String> {
    // A folder speaks a language when it has its catalogue; a plugin without catalogues
    // speaks every language if it shows no pages, else only Italian (its templates can hold
    // nothing else), and so does a theme of the instance's own that has catalogues.
    let has = |dir: &Path, code: &str| !catalogue_files(dir, code).is_empty();
    let plugin_speaks = |plugin: &PluginTemplates<'_>, code: &str| {
        let dir = plugin.dir.join("locales");
        if dir.is_dir() {
            has(&dir, code)
        } else {
            !plugin.dir.join("templates").is_dir()
        }
    };
    let own_theme = themes_root.join(theme).join("locales");
    let theme_speaks =
        |code: &str| theme == DEFAULT_THEME || !own_theme.is_dir() || has(&own_theme, code);
    trama_manifest::locales::available(themes_root, theme)
        .into_iter()
        .filter(|code| {
            code == SOURCE_LOCALE
                || code == locale
                || (theme_speaks(code) && plugins.iter().all(|p| plugin_speaks(p, code)))
        })
        .collect()
}

/// The catalogue files of `locale` in a `locales/` folder: `it.toml`, then every file of
/// `it/` by name — a large plugin splits its text by area (`it/pages.toml`, `it/errors.toml`).
fn catalogue_files(dir: &Path, locale: &str) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let single = dir.join(format!("{locale}.toml"));
    if single.is_file() {
        files.push(single);
    }
    if let Ok(entries) = std::fs::read_dir(dir.join(locale)) {
        let mut split: Vec<PathBuf> = entries
            .flatten()
            .map(|entry| entry.path())
            .filter(|path| path.extension().is_some_and(|e| e == "toml"))
            .collect();
        split.sort();
        files.extend(split);
    }
    files
}

/// The table a plugin's messages live in: its name with `-` as `_` (`corporate_plans`), as
/// templates read it (`t.corporate_plans.…`).
pub fn namespace(plugin: &str) -> String {
    plugin.replace('-', "_")
}

/// Merges the catalogue at `path` into `into`; with `only`, a catalogue whose top-level tables
/// are anything but `[only]` is refused, naming the table.
fn merge_catalogue(
    path: &Path,
    only: Option<&str>,
    into: &mut Map<String, Json>,
) -> Result<(), ThemeError> {
    if !path.is_file() {
        return Ok(());
    }
    let text = std::fs::read_to_string(path).map_err(|source| ThemeError::Read {
        path: path.to_owned(),
        source,
    })?;
    let table: toml::Table = toml::from_str(&text).map_err(|err| ThemeError::Catalogue {
        path: path.to_owned(),
        message: err.to_string(),
    })?;
    let json = serde_json::to_value(table).map_err(|err| ThemeError::Catalogue {
        path: path.to_owned(),
        message: err.to_string(),
    })?;
    if let Json::Object(map) = json {
        if let Some(own) = only
            && let Some(other) = map.keys().find(|key| key.as_str() != own)
        {
            return Err(ThemeError::Catalogue {
                path: path.to_owned(),
                message: format!(
                    "`{other}` is not this plugin's table: a plugin's messages go under `[{own}]` (a theme may reword any other)"
                ),
            });
        }
        deep_merge(into, map);
    }
    Ok(())
}

fn deep_merge(into: &mut Map<String, Json>, from: Map<String, Json>) {
    for (key, value) in from {
        match (into.get_mut(&key), value) {
            (Some(Json::Object(existing)), Json::Object(incoming)) => {
                deep_merge(existing, incoming)
            }
            (_, value) => {
                into.insert(key, value);
            }
        }
    }
}

#[cfg(test)]
mod tests;
