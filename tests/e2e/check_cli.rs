//! `trama check` tells a cooperative what is wrong with its manifest, and where.

use crate::support::{HELLO, TestInstance, trama};

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
