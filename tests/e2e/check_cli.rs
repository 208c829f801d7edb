//! `trama check` tells a cooperative what is wrong with its manifest, and where.

use crate::support::{HELLO, TestInstance, build_named_plugins, repo_root, trama};

#[test]
fn check_accepts_a_good_manifest_and_names_file_line_and_key_of_faults() {
    let good = TestInstance::new("good", HELLO);
    let output = trama()
        .arg("check")
        .arg(good.path())
        .output()
        .expect("trama check");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let said = String::from_utf8_lossy(&output.stdout);
    assert!(said.contains("hello 1.0.0 (enabled, linked)"), "{said}");
    let created: Vec<_> = walk(good.path())
        .into_iter()
        .filter(|file| file.extension().is_some_and(|ext| ext == "db"))
        .collect();
    assert!(
        created.is_empty(),
        "checking an instance never served creates no database: {created:?}"
    );

    let bad = TestInstance::new(
        "bad",
        r#"
[plugins.hello]
version = "^7.0"
capabilities = ["store"]
"#,
    );
    let output = trama()
        .arg("check")
        .arg(bad.path())
        .output()
        .expect("trama check");
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    let line = stderr
        .lines()
        .find(|l| l.contains("plugins.hello"))
        .unwrap_or_default();
    assert!(
        line.contains("instance.toml:13:"),
        "file and line are named: {stderr}"
    );
    assert!(
        stderr.contains("1.0.0"),
        "available versions are listed: {stderr}"
    );
}

/// A plugin.toml whose `api` allows older kernels than its component needs would fail to link
/// there with an obscure message: `trama check` (and `serve`) refuse it here, naming the file.
#[test]
fn an_api_requirement_older_than_the_component_is_refused_naming_the_plugin_toml() {
    build_named_plugins(&["hello"]);
    let registry = tempfile::tempdir().expect("tempdir");
    let copy = registry.path().join("hello");
    std::fs::create_dir_all(&copy).expect("mkdir");
    let hello = repo_root().join("plugins/hello");
    let meta = std::fs::read_to_string(hello.join("plugin.toml")).expect("plugin.toml");
    let api = trama_manifest::HOST_API_VERSION;
    let current = format!("api = \"^{}.{}\"", api.major, api.minor);
    assert!(meta.contains(&current), "{meta}");
    std::fs::write(
        copy.join("plugin.toml"),
        meta.replace(&current, "api = \"^1.0\""),
    )
    .expect("write");
    std::fs::copy(hello.join("plugin.wasm"), copy.join("plugin.wasm")).expect("copy");
    copy_dir(&hello.join("events"), &copy.join("events"));
    let said = refused_check("old-api", "plugins", registry.path());
    assert!(
        said.contains(&format!("built against host API {api}"))
            && said.contains(&copy.join("plugin.toml").display().to_string())
            && said.contains(&format!("set api = \"^{}.{}\"", api.major, api.minor)),
        "{said}"
    );
}

/// A theme whose template does not parse stops `serve`; `trama check` says so first, naming
/// the template's file, line and column.
#[test]
fn a_broken_theme_template_fails_the_check() {
    let themes = tempfile::tempdir().expect("tempdir");
    let default = themes.path().join("default");
    copy_dir(&repo_root().join("themes/default"), &default);
    std::fs::write(
        default.join("templates/home.html"),
        "{% extends \"base.html\" %}{% block content %}{% if %}{% endblock %}",
    )
    .expect("write");
    let said = refused_check("broken-theme", "themes", themes.path());
    let place = format!("{}:1:", default.join("templates/home.html").display());
    assert!(said.contains(&place), "no `{place}` in: {said}");
}

/// Runs `trama check` on a hello instance whose registry folder `folder` (`plugins` or
/// `themes`) is `replacement` instead of the repository's, expects it to fail, and returns what
/// it said.
fn refused_check(id: &str, folder: &str, replacement: &std::path::Path) -> String {
    let instance = TestInstance::new(id, HELLO);
    let manifest_path = instance.path().join("instance.toml");
    let manifest = std::fs::read_to_string(&manifest_path).expect("instance.toml");
    std::fs::write(
        &manifest_path,
        manifest.replace(
            &repo_root().join(folder).display().to_string(),
            &replacement.display().to_string(),
        ),
    )
    .expect("write");
    let output = trama()
        .arg("check")
        .arg(instance.path())
        .output()
        .expect("trama check");
    assert!(!output.status.success(), "{id} passed the check");
    String::from_utf8_lossy(&output.stderr).into_owned()
}

fn copy_dir(from: &std::path::Path, to: &std::path::Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for entry in std::fs::read_dir(from).expect("read_dir").flatten() {
        let path = entry.path();
        let target = to.join(entry.file_name());
        if path.is_dir() {
            copy_dir(&path, &target);
        } else {
            std::fs::copy(&path, &target).expect("copy");
        }
    }
}

#[test]
fn plugin_build_accepts_a_folder_relative_to_the_current_directory() {
    crate::support::build_named_plugins(&["hello"]);
    let output = trama()
        .current_dir(crate::support::repo_root())
        .args(["plugin", "build", "plugins/hello"])
        .output()
        .expect("trama plugin build");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(String::from_utf8_lossy(&output.stdout).contains("plugins/hello/plugin.wasm"));
}

/// Every file under `dir`.
fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            files.extend(walk(&path));
        } else {
            files.push(path);
        }
    }
    files
}
