//! Two instance folders claiming one host name: the territory that was there first keeps it,
//! the copy is not served, and both `trama check` and `trama serve` say which two files and
//! lines clash, so that whoever copied the folder knows what to change.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use crate::many::Visitor;
use crate::support::{HELLO, Server, cache_dir, repo_root, trama};

/// Writes `root/FOLDER/instance.toml` for instance `id` named `name`, answering on `hosts`
/// (line 4).
fn write(root: &Path, folder: &str, id: &str, name: &str, hosts: &str) {
    let dir = root.join(folder);
    std::fs::create_dir_all(&dir).expect("mkdir");
    let manifest = format!(
        "[instance]\nid = \"{id}\"\nname = \"{name}\"\nhosts = [{hosts}]\n\n\
         [registry]\nplugins = [\"{}\"]\nthemes = \"{}\"\n{HELLO}",
        repo_root().join("plugins").display(),
        repo_root().join("themes").display(),
    );
    std::fs::write(dir.join("instance.toml"), manifest).expect("write manifest");
}

/// An established territory and, created later, a copy that still claims its host (and its
/// id). The copy's folder sorts first, so an alphabetical order would let it win.
fn established_and_copy() -> tempfile::TempDir {
    let root = tempfile::tempdir().expect("tempdir");
    write(
        root.path(),
        "zona-storica",
        "storica",
        "Territorio storico",
        r#""storica.localhost", "comune.localhost""#,
    );
    std::thread::sleep(Duration::from_millis(50));
    write(
        root.path(),
        "a-copia",
        "storica",
        "Territorio copiato",
        r#""copia.localhost", "COMUNE.localhost""#,
    );
    root
}

#[test]
fn check_of_a_folder_of_instances_names_both_files_and_lines_of_a_clash() {
    let root = established_and_copy();
    let output = trama()
        .arg("check")
        .arg(root.path())
        .output()
        .expect("trama check");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success(), "{stderr}");
    let copy = root.path().join("a-copia/instance.toml");
    let established = root.path().join("zona-storica/instance.toml");
    let host_line = stderr
        .lines()
        .find(|l| l.contains("instance.hosts[1]"))
        .unwrap_or_else(|| panic!("a fault about the host: {stderr}"));
    assert!(
        host_line.starts_with(&format!("{}:4: ", copy.display())),
        "{host_line}"
    );
    assert!(
        host_line.contains(&format!("{}:4", established.display())),
        "names the established file and line: {host_line}"
    );
    assert!(host_line.contains("\"COMUNE.localhost\""), "{host_line}");
    let id_line = stderr
        .lines()
        .find(|l| l.contains("instance.id"))
        .unwrap_or_else(|| panic!("a fault about the id: {stderr}"));
    assert!(
        id_line.starts_with(&format!("{}:2: ", copy.display())),
        "{id_line}"
    );

    // Once the copy has its own id and host, the fleet passes.
    write(
        root.path(),
        "a-copia",
        "copia",
        "Copia",
        r#""copia.localhost""#,
    );
    let output = trama()
        .arg("check")
        .arg(root.path())
        .output()
        .expect("trama check");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(String::from_utf8_lossy(&output.stdout).contains("2 instance(s)"));
}

#[tokio::test(flavor = "multi_thread")]
async fn serve_keeps_the_host_with_the_established_territory_and_stops_the_copy() {
    // The territory is served first (its database records it), then copied; then its own
    // manifest is edited, so that by file times it now looks the newer of the two.
    let root = tempfile::tempdir().expect("tempdir");
    let established = r#""storica.localhost", "comune.localhost""#;
    write(
        root.path(),
        "zona-storica",
        "storica",
        "Territorio storico",
        established,
    );
    drop(Server::start(&[&root.path().join("zona-storica")]));
    write(
        root.path(),
        "a-copia",
        "storica",
        "Territorio copiato",
        r#""copia.localhost", "COMUNE.localhost""#,
    );
    std::thread::sleep(Duration::from_millis(50));
    let manifest = root.path().join("zona-storica/instance.toml");
    let text = std::fs::read_to_string(&manifest).expect("read");
    std::fs::remove_file(&manifest).expect("an editor that writes a new file");
    std::fs::write(
        &manifest,
        text.replace("Territorio storico", "Territorio storico (rivisto)"),
    )
    .expect("write");
    crate::support::build_plugins_of(&[root.path()]);
    let mut child = trama()
        .arg("serve")
        .arg(root.path())
        .args(["--listen", "127.0.0.1:0", "--no-build", "--cache-dir"])
        .arg(cache_dir())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn trama serve");
    let stderr = child.stderr.take().expect("stderr");
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if line.contains("not served") {
                let _ = tx.send(line);
            }
        }
    });
    let stdout = child.stdout.take().expect("stdout");
    let base = BufReader::new(stdout)
        .lines()
        .map_while(Result::ok)
        .find_map(|line| line.strip_prefix("Trama listening on ").map(str::to_owned))
        .expect("the server starts");
    let server = Server::adopt(child, base);
    let refusal = rx
        .recv_timeout(Duration::from_secs(30))
        .expect("the copy's refusal is logged");
    let copy = root.path().join("a-copia");
    assert!(refusal.contains(&copy.display().to_string()), "{refusal}");
    assert!(refusal.contains("zona-storica"), "{refusal}");

    // The shared host still reaches the established territory; the copy's own host reaches
    // nothing.
    let visitor = Visitor::new(&server, "comune.localhost");
    let page = visitor.page("/").await;
    assert!(page.contains("Territorio storico (rivisto)"), "{page}");
    let (status, _) = Visitor::new(&server, "copia.localhost")
        .get("/session")
        .await;
    assert_eq!(status, 404);
}
