//! A plugin page imports the default theme's macros (`{% import "ui.html" as ui %}`) under any
//! theme: an instance's theme overrides the templates it ships and falls back to the default
//! theme for the rest, `ui.html` included.

use std::path::{Path, PathBuf};

use trama::theme::{DEFAULT_THEME, PluginTemplates, Theme};

fn write(root: &Path, path: &str, text: &str) {
    let path = root.join(path);
    std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
    std::fs::write(path, text).expect("write");
}

/// A default theme with a base and a macro file, a theme `town` with its own base only, and a
/// plugin `shop` whose page uses the macro.
fn layout() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    let root = dir.path();
    write(
        root,
        "themes/default/templates/base.html",
        "<main>{% block content %}{% endblock content %}</main>",
    );
    write(
        root,
        "themes/default/templates/ui.html",
        "{% macro hello(name) %}<b>{{ name }}</b>{% endmacro hello %}",
    );
    write(root, "themes/default/locales/it.toml", "home = \"Casa\"\n");
    write(
        root,
        "themes/town/templates/base.html",
        "<div class=\"town\">{% block content %}{% endblock content %}</div>",
    );
    write(
        root,
        "plugins/shop/templates/index.html",
        "{% extends \"base.html\" %}\n{% import \"ui.html\" as ui %}\n\
         {% block content %}{{ ui::hello(name=who) }}{% endblock content %}",
    );
    dir
}

fn render(root: &Path, theme: &str) -> String {
    let dir = root.join("plugins/shop");
    let plugins = [PluginTemplates {
        name: "shop",
        dir: &dir,
    }];
    let theme = Theme::load(&root.join("themes"), theme, "it", &plugins).expect("theme loads");
    assert!(theme.has_template("ui.html"));
    theme
        .render(
            "shop/index.html",
            "it",
            &serde_json::json!({ "who": "<i>Ada</i>" }),
        )
        .expect("page renders")
}

#[test]
fn an_instance_theme_without_ui_html_uses_the_default_themes_macros() {
    let dir = layout();
    let page = render(dir.path(), "town");
    // The town's base, the default theme's macro, the argument escaped.
    assert_eq!(
        page,
        "<div class=\"town\"><b>&lt;i&gt;Ada&lt;/i&gt;</b></div>"
    );
    assert_eq!(
        render(dir.path(), DEFAULT_THEME),
        "<main><b>&lt;i&gt;Ada&lt;/i&gt;</b></main>"
    );
}

#[test]
fn an_instance_theme_may_ship_its_own_ui_html() {
    let dir = layout();
    write(
        dir.path(),
        "themes/town/templates/ui.html",
        "{% macro hello(name) %}<em>{{ name }}</em>{% endmacro hello %}",
    );
    assert_eq!(
        render(dir.path(), "town"),
        "<div class=\"town\"><em>&lt;i&gt;Ada&lt;/i&gt;</em></div>"
    );
}

/// A plugin's pages extend its frame (`<plugin>/page.html`), which extends the theme's
/// `plugin_page.html` and imports the macros: a page uses them without importing them itself,
/// inside the section the frame names, under the default theme's frame or the instance's own.
#[test]
fn a_page_takes_its_plugins_frame_and_the_macros_the_frame_imports() {
    let dir = layout();
    let root = dir.path();
    write(
        root,
        "themes/default/templates/plugin_page.html",
        "{% extends \"base.html\" %}{% block content %}<section class=\"{% block class %}{% endblock class %}\">\
         {% block page %}{% endblock page %}</section>{% endblock content %}",
    );
    // A macro of `ui.html` that calls another of its own, and a plugin's macro file that uses
    // `ui.html` too: the frame imports `ui.html` first.
    write(
        root,
        "themes/default/templates/ui.html",
        "{% macro bold(name) %}<b>{{ name }}</b>{% endmacro bold %}\
         {% macro hello(name) %}{{ self::bold(name=name) }}{% endmacro hello %}",
    );
    write(
        root,
        "plugins/shop/templates/cards.html",
        "{% import \"ui.html\" as ui %}{% macro card(name) %}[{{ ui::hello(name=name) }}]{% endmacro card %}",
    );
    write(
        root,
        "plugins/shop/templates/page.html",
        "{% extends \"plugin_page.html\" %}\n{% import \"ui.html\" as ui %}\n\
         {% import \"shop/cards.html\" as cards %}\n{% block class %}shop{% endblock class %}",
    );
    write(
        root,
        "plugins/shop/templates/index.html",
        "{% extends \"shop/page.html\" %}\n\
         {% block page %}{{ ui::hello(name=who) }}{{ cards::card(name=who) }}{% endblock page %}",
    );
    assert_eq!(
        render(root, DEFAULT_THEME),
        "<main><section class=\"shop\"><b>&lt;i&gt;Ada&lt;/i&gt;</b>[<b>&lt;i&gt;Ada&lt;/i&gt;</b>]</section></main>"
    );
    assert_eq!(
        render(root, "town"),
        "<div class=\"town\"><section class=\"shop\"><b>&lt;i&gt;Ada&lt;/i&gt;</b>[<b>&lt;i&gt;Ada&lt;/i&gt;</b>]</section></div>"
    );
    write(
        root,
        "themes/town/templates/plugin_page.html",
        "{% extends \"base.html\" %}{% block content %}<article class=\"{% block class %}{% endblock class %}\">\
         {% block page %}{% endblock page %}</article>{% endblock content %}",
    );
    assert_eq!(
        render(root, "town"),
        "<div class=\"town\"><article class=\"shop\"><b>&lt;i&gt;Ada&lt;/i&gt;</b>[<b>&lt;i&gt;Ada&lt;/i&gt;</b>]</article></div>"
    );
}

/// The repository's themes and plugins: every plugin template, with the macro files it
/// imports, compiles under every theme (tera refuses an import it cannot find).
#[test]
fn every_plugin_template_loads_under_every_theme_of_the_repository() {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("repository")
        .to_path_buf();
    let mut plugin_dirs: Vec<(String, PathBuf)> = std::fs::read_dir(repo.join("plugins"))
        .expect("plugins")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.join("templates").is_dir())
        .map(|p| {
            let name = p.file_name().expect("name").to_string_lossy().into_owned();
            (name, p)
        })
        .collect();
    plugin_dirs.sort();
    assert!(plugin_dirs.len() >= 4, "found only {plugin_dirs:?}");
    let plugins: Vec<PluginTemplates<'_>> = plugin_dirs
        .iter()
        .map(|(name, dir)| PluginTemplates { name, dir })
        .collect();
    let mut themes: Vec<String> = std::fs::read_dir(repo.join("themes"))
        .expect("themes")
        .flatten()
        .filter(|e| e.path().join("templates").is_dir())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    themes.sort();
    assert!(themes.iter().any(|t| t == DEFAULT_THEME) && themes.len() >= 2);
    for theme in &themes {
        let loaded = Theme::load(&repo.join("themes"), theme, "it", &plugins)
            .unwrap_or_else(|err| panic!("theme {theme}: {err}"));
        assert!(loaded.has_template("ui.html"), "theme {theme}");
    }
}
