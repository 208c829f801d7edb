//! The theme's loading of catalogues from the theme and the plugins: regional variants,
//! plugin-owned tables, and which languages an instance offers.

use super::*;

/// A themes folder with a default theme speaking `it`, `en` and `de`, a theme `town`
/// speaking `it` and `en`, and a plugin folder `plugin` with `catalogue` as its `it.toml`.
fn layout(catalogue: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    let write = |path: &str, text: &str| {
        let path = dir.path().join(path);
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        std::fs::write(path, text).expect("write");
    };
    write("themes/default/templates/base.html", "{{ t.home }}");
    for code in ["it", "en", "de"] {
        write(
            &format!("themes/default/locales/{code}.toml"),
            "home = \"x\"\n",
        );
        write(&format!("plugins/shop/locales/{code}.toml"), catalogue);
    }
    write("themes/town/locales/it.toml", "home = \"Casa\"\n");
    write("themes/town/locales/en.toml", "home = \"Home\"\n");
    write("plugins/shop/templates/index.html", "{{ t.shop.title }}");
    write("plugins/pages/templates/index.html", "Solo italiano");
    dir
}

fn load(dir: &Path, theme: &str, plugins: &[&str]) -> Result<Theme, ThemeError> {
    load_in(dir, theme, "it", plugins)
}

fn load_in(dir: &Path, theme: &str, locale: &str, plugins: &[&str]) -> Result<Theme, ThemeError> {
    let dirs: Vec<PathBuf> = plugins
        .iter()
        .map(|p| dir.join("plugins").join(p))
        .collect();
    let plugins: Vec<PluginTemplates<'_>> = plugins
        .iter()
        .zip(&dirs)
        .map(|(name, dir)| PluginTemplates { name, dir })
        .collect();
    Theme::load(&dir.join("themes"), theme, locale, &plugins)
}

#[test]
fn a_regional_variant_builds_on_its_language() {
    let dir = layout("[shop]\ntitle = \"Laden\"\n");
    let variant = dir.path().join("themes/default/locales/de-AT.toml");
    std::fs::write(variant, "home = \"Startseite (AT)\"\n").expect("write");
    let italian = dir.path().join("plugins/shop/locales/it.toml");
    std::fs::write(italian, "[shop]\ntitle = \"Negozio\"\n").expect("write");
    let theme = load_in(dir.path(), DEFAULT_THEME, "de-AT", &["shop"]).expect("theme");
    assert!(theme.speaks("de-AT"), "{:?}", theme.locales());
    let at = theme.catalogue("de-AT");
    assert_eq!(at["home"], "Startseite (AT)");
    // What the variant does not say comes from German, not from Italian.
    assert_eq!(at["shop"]["title"], "Laden");
}

#[test]
fn a_plugin_may_word_only_its_own_table() {
    let dir = layout("[shop]\ntitle = \"Negozio\"\n[vouchers]\ntitle = \"rubato\"\n");
    let Err(err) = load(dir.path(), DEFAULT_THEME, &["shop"]) else {
        panic!("a catalogue writing into another plugin's table loaded");
    };
    let message = err.to_string();
    assert!(
        message.contains("`vouchers` is not this plugin's table"),
        "{message}"
    );
    assert!(message.contains("[shop]"), "{message}");
}

#[test]
fn a_language_is_offered_only_where_the_theme_and_every_plugin_speak_it() {
    let dir = layout("[shop]\ntitle = \"Negozio\"\n");
    let all = load(dir.path(), DEFAULT_THEME, &["shop"]).expect("theme");
    assert_eq!(all.locales(), ["it", "de", "en"]);
    // The town's theme has no German: its pages would be half Italian.
    let town = load(dir.path(), "town", &["shop"]).expect("theme");
    assert_eq!(town.locales(), ["it", "en"]);
    // A plugin with pages and no catalogues can only show what its templates say.
    let pages = load(dir.path(), DEFAULT_THEME, &["shop", "pages"]).expect("theme");
    assert_eq!(pages.locales(), ["it"]);
}
