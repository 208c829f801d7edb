//! `trama instance new NAME`: a new territory from a template — its manifest and its own theme,
//! ready for `trama serve instances/` and for a cooperative to fill in.

use std::path::{Path, PathBuf};

#[derive(Debug, thiserror::Error)]
pub enum ScaffoldError {
    #[error(
        "`{0}` is not a valid instance name: use 2 to 40 lower-case letters, digits and dashes, starting with a letter"
    )]
    Name(String),
    #[error("{} already exists: choose another name or remove it first", .0.display())]
    Exists(PathBuf),
    #[error("cannot write {}: {source}", path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// What was created.
#[derive(Debug)]
pub struct Scaffolded {
    pub instance_dir: PathBuf,
    pub theme_dir: PathBuf,
}

const INSTANCE_TOML: &str = r#"# The territory "{name}". Check it with `trama check {dir}` and serve it with
# `trama serve {dir}` (or every territory at once with `trama serve {parent}`).
[instance]
id = "{name}"
name = "{title}"
# The host names this territory answers on (without ports).
hosts = ["{name}.localhost"]
locale = "it"
theme = "{name}"

[database]
# Embedded SQLite, created on first start; for several nodes use PostgreSQL:
# url = "postgres://trama@db.example/trama"
url = "sqlite://data/trama.db"

[registry]
plugins = ["{plugins}"]
themes = "{themes}"

# How the coordination table decides on proposals (see docs/instance-guide.md).
[governance]
quorum_percent = 50
majority = "simple"
voting_window = "7d"

# The services of the territory: uncomment and fill in the settings each plugin asks for
# (see its plugin.toml). The coordination table can also enable them later by vote.
# [plugins.vouchers]
# version = "^1.0"
# capabilities = ["store", "settings", "identity", "events", "audit", "ledger", "notify", "files", "protocol"]
# [plugins.vouchers.settings]
# municipality_name = "Comune di …"
"#;

const THEME_SCSS: &str = r#"// Colours of the territory "{name}": Bootstrap Italia's own variables, the hue (0-360),
// saturation and brightness (0-100) of the primary colour; the kit derives every shade from
// them. Keep white text on the primary colour at a contrast of at least 4.5:1 (WCAG AA).
// `./dev demo`, `./dev setup` or `node themes/build/build.mjs` compile it.
$primary-h: 210;
$primary-s: 80;
$primary-b: 55;
@import '../../default/scss/main';
"#;

const LOCALE_IT: &str = r#"# Testi del territorio "{name}": sostituiscono quelli del tema predefinito con la stessa chiave.
home_intro = "I servizi di welfare di {title}, in un unico posto."
footer = "{title} · piattaforma di welfare territoriale"
"#;

const LOCALE_EN: &str = r#"# Texts of the territory "{name}": they replace the default theme's texts with the same key.
home_intro = "The welfare services of {title}, in one place."
footer = "{title} · territorial welfare platform"
"#;

fn check_name(name: &str) -> Result<(), ScaffoldError> {
    let ok = (2..=40).contains(&name.len())
        && name.starts_with(|c: char| c.is_ascii_lowercase())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    if ok {
        Ok(())
    } else {
        Err(ScaffoldError::Name(name.to_owned()))
    }
}

/// "valle-serena" → "Valle Serena".
fn title(name: &str) -> String {
    name.split('-')
        .filter(|word| !word.is_empty())
        .map(|word| {
            let mut chars = word.chars();
            chars.next().map_or_else(String::new, |first| {
                first.to_uppercase().chain(chars).collect()
            })
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// Creates `instances_dir/NAME/instance.toml` and `themes_dir/NAME/` (colours, texts), refusing
/// to overwrite anything.
pub fn new_instance(
    instances_dir: &Path,
    themes_dir: &Path,
    plugins_dir: &Path,
    name: &str,
) -> Result<Scaffolded, ScaffoldError> {
    check_name(name)?;
    let instance_dir = instances_dir.join(name);
    let theme_dir = themes_dir.join(name);
    for dir in [&instance_dir, &theme_dir] {
        if dir.exists() {
            return Err(ScaffoldError::Exists(dir.clone()));
        }
    }
    let absolute = |path: &Path| std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    let fill = |template: &str| {
        template
            .replace("{name}", name)
            .replace("{title}", &title(name))
            .replace("{dir}", &instance_dir.display().to_string())
            .replace("{parent}", &instances_dir.display().to_string())
            .replace(
                "{plugins}",
                &relative_to(&absolute(plugins_dir), &absolute(&instance_dir)),
            )
            .replace(
                "{themes}",
                &relative_to(&absolute(themes_dir), &absolute(&instance_dir)),
            )
    };
    let files = [
        (instance_dir.join("instance.toml"), fill(INSTANCE_TOML)),
        (theme_dir.join("scss/theme.scss"), fill(THEME_SCSS)),
        (theme_dir.join("locales/it.toml"), fill(LOCALE_IT)),
        (theme_dir.join("locales/en.toml"), fill(LOCALE_EN)),
    ];
    for (path, text) in files {
        let io = |source| ScaffoldError::Io {
            path: path.clone(),
            source,
        };
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(io)?;
        }
        std::fs::write(&path, text).map_err(io)?;
    }
    Ok(Scaffolded {
        instance_dir,
        theme_dir,
    })
}

/// `target` as a path relative to `base` (both absolute), so the scaffold moves with the
/// checkout; falls back to the absolute path across filesystems roots.
fn relative_to(target: &Path, base: &Path) -> String {
    let target: Vec<_> = target.components().collect();
    let base: Vec<_> = base.components().collect();
    let common = target.iter().zip(&base).take_while(|(a, b)| a == b).count();
    if common == 0 {
        return target.iter().collect::<PathBuf>().display().to_string();
    }
    let mut relative = PathBuf::new();
    for _ in common..base.len() {
        relative.push("..");
    }
    for component in &target[common..] {
        relative.push(component);
    }
    relative.display().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_become_titles_and_bad_names_are_refused() {
        assert_eq!(title("valle-serena"), "Valle Serena");
        assert!(check_name("valle-serena").is_ok());
        for bad in ["Valle", "1valle", "v", "valle_serena", "valle serena"] {
            assert!(check_name(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn paths_are_relative_to_the_instance() {
        assert_eq!(
            relative_to(Path::new("/repo/plugins"), Path::new("/repo/instances/x")),
            "../../plugins"
        );
    }

    #[test]
    fn a_scaffold_validates_and_is_never_overwritten() {
        let root = tempfile::tempdir().unwrap();
        let (instances, themes, plugins) = (
            root.path().join("instances"),
            root.path().join("themes"),
            root.path().join("plugins"),
        );
        std::fs::create_dir_all(themes.join("default")).unwrap();
        std::fs::create_dir_all(&plugins).unwrap();
        let made = new_instance(&instances, &themes, &plugins, "valle-serena").unwrap();
        let checked = trama_manifest::check(&made.instance_dir).unwrap();
        assert_eq!(checked.manifest.instance.id, "valle-serena");
        assert_eq!(checked.manifest.instance.theme, "valle-serena");
        assert!(made.theme_dir.join("scss/theme.scss").is_file());
        assert!(matches!(
            new_instance(&instances, &themes, &plugins, "valle-serena"),
            Err(ScaffoldError::Exists(_))
        ));
    }
}
