//! Architecture invariant: the kernel's modules form layers without a cycle.
//!
//! `kernel/src/lib.rs` declares the modules in groups, lowest first, each group under a comment
//! that names its layer. A module may use its own layer and the layers below; a use of a higher
//! layer, or a cycle inside one layer, fails here with the file and the path that break it.
//! Tests inside a module (`#[cfg(test)] mod tests`, at the end of a file) may use anything.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

/// One layer of lib.rs: its heading and its modules.
struct Layer {
    name: String,
    modules: Vec<String>,
}

/// Reads the layers from lib.rs: every run of `mod` lines is a layer, named by the comment
/// right above it.
fn layers(lib: &str) -> Vec<Layer> {
    let mut layers: Vec<Layer> = Vec::new();
    let mut heading = String::new();
    let mut in_run = false;
    for line in lib.lines().map(str::trim) {
        let module = line
            .strip_prefix("pub mod ")
            .or_else(|| line.strip_prefix("pub(crate) mod "))
            .or_else(|| line.strip_prefix("mod "))
            .and_then(|rest| rest.strip_suffix(';'));
        if let Some(module) = module {
            if !in_run {
                layers.push(Layer {
                    name: heading.clone(),
                    modules: Vec::new(),
                });
                in_run = true;
            }
            if let Some(layer) = layers.last_mut() {
                layer.modules.push(module.to_owned());
            }
        } else {
            in_run = false;
            if let Some(comment) = line.strip_prefix("// ") {
                heading = comment.trim_end_matches(['.', ':']).to_owned();
            }
        }
    }
    layers
}

/// Where a line's comment starts: at `//`, unless it is part of a URL (`https://`).
fn comment_start(line: &str) -> Option<usize> {
    line.match_indices("//")
        .map(|(at, _)| at)
        .find(|&at| !line[..at].ends_with(':'))
}

/// The crate-root names a source file uses, outside comments and outside its tests: each
/// `crate::name`, `crate::{a, b}` and `super::…::name` whose `super`s climb to the crate root
/// from a module `depth` levels down (`a.rs` and `a/mod.rs` are 1, `a/b.rs` is 2). A glob
/// (`crate::*`) comes out as `*`.
fn uses(source: &str, depth: usize) -> BTreeSet<String> {
    let code = source
        .find("#[cfg(test)]\nmod tests")
        .map_or(source, |at| &source[..at]);
    let code: String = code
        .lines()
        .map(|line| match comment_start(line) {
            Some(at) => &line[..at],
            None => line,
        })
        .collect::<Vec<_>>()
        .join("\n");
    // `super::super::x` from depth 2 is `crate::x`.
    let root = "super::".repeat(depth);
    let code = code.replace(&root, "crate::");
    let mut found = BTreeSet::new();
    let mut rest = code.as_str();
    while let Some(at) = rest.find("crate::") {
        let before = rest[..at].chars().next_back();
        rest = &rest[at + "crate::".len()..];
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == '$' || c == ':') {
            continue;
        }
        if rest.starts_with('*') {
            found.insert("*".to_owned());
            continue;
        }
        if let Some(group) = rest.strip_prefix('{') {
            // `crate::{a, b::c, d}`: the first segment of every item at the top of the group.
            let mut depth = 0;
            let mut item = String::new();
            for c in group.chars() {
                match c {
                    '{' => depth += 1,
                    '}' if depth == 0 => break,
                    '}' => depth -= 1,
                    ',' if depth == 0 => {
                        found.insert(first_segment(&item));
                        item.clear();
                        continue;
                    }
                    _ => {}
                }
                item.push(c);
            }
            found.insert(first_segment(&item));
        } else {
            found.insert(first_segment(rest));
        }
    }
    found.remove("");
    found
}

/// The layers `docs/architecture.md` lists under "Layers", lowest first: each numbered item's
/// modules, written in backticks before the colon.
fn documented_layers() -> Vec<Vec<String>> {
    let doc =
        fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/architecture.md"))
            .expect("docs/architecture.md");
    let section = doc
        .split("\n## Layers\n")
        .nth(1)
        .and_then(|rest| rest.split("\n## ").next())
        .expect("a Layers section");
    let mut layers = Vec::new();
    let mut item = String::new();
    for line in section.lines() {
        let starts_item = line.split_once(". ").is_some_and(|(number, _)| {
            !number.is_empty() && number.chars().all(|c| c.is_ascii_digit())
        });
        if (starts_item || line.trim().is_empty()) && !item.is_empty() {
            layers.push(modules_named(&item));
            item.clear();
        }
        if starts_item || (!item.is_empty() && line.starts_with("   ")) {
            item.push_str(line);
            item.push(' ');
        }
    }
    if !item.is_empty() {
        layers.push(modules_named(&item));
    }
    layers
}

/// The backticked names of a layer item before its colon (`` `db`, `docstore` … : rows ``).
fn modules_named(item: &str) -> Vec<String> {
    let head = item.split(':').next().unwrap_or(item);
    let mut names: Vec<String> = head
        .split('`')
        .skip(1)
        .step_by(2)
        .map(str::to_owned)
        .collect();
    names.sort();
    names
}

fn first_segment(path: &str) -> String {
    path.trim()
        .chars()
        .take_while(|c| c.is_alphanumeric() || *c == '_')
        .collect()
}

fn rust_files(dir: &Path, into: &mut Vec<PathBuf>) {
    let entries = fs::read_dir(dir).unwrap_or_else(|err| panic!("{}: {err}", dir.display()));
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            rust_files(&path, into);
        } else if path.extension().is_some_and(|ext| ext == "rs") {
            into.push(path);
        }
    }
}

#[test]
fn kernel_modules_use_only_their_own_layer_and_those_below_without_a_cycle() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let lib = fs::read_to_string(src.join("lib.rs")).expect("lib.rs");
    let layers = layers(&lib);
    assert!(
        !lib.lines()
            .any(|line| line.trim_start().starts_with("pub use")),
        "lib.rs re-exports nothing: a name at the crate root would hide which layer it is from"
    );
    let documented = documented_layers();
    let declared: Vec<Vec<String>> = layers
        .iter()
        .map(|layer| {
            let mut modules = layer.modules.clone();
            modules.sort();
            modules
        })
        .collect();
    assert_eq!(
        declared, documented,
        "lib.rs declares the layers that docs/architecture.md lists, in the same order"
    );
    let layer_of: BTreeMap<&str, usize> = layers
        .iter()
        .enumerate()
        .flat_map(|(at, layer)| layer.modules.iter().map(move |m| (m.as_str(), at)))
        .collect();

    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let mut wrong = Vec::new();
    let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for file in &files {
        let relative = file.strip_prefix(&src).expect("under src");
        let Some(first) = relative.components().next() else {
            continue;
        };
        let module = first
            .as_os_str()
            .to_string_lossy()
            .trim_end_matches(".rs")
            .to_owned();
        // The binary (`bin/trama`) sits on top of everything.
        if module == "lib" || module == "bin" {
            continue;
        }
        let Some(&from) = layer_of.get(module.as_str()) else {
            wrong.push(format!("{} is not declared in lib.rs", relative.display()));
            continue;
        };
        let source = fs::read_to_string(file).expect("source file");
        let depth = relative.components().count()
            - usize::from(relative.file_name().is_some_and(|name| name == "mod.rs"));
        for used in uses(&source, depth) {
            let Some(&to) = layer_of.get(used.as_str()) else {
                // Only modules live at the crate root (lib.rs re-exports nothing), so any
                // other name is a way round the layers.
                wrong.push(format!(
                    "{} uses crate::{used}, which is not a module declared in lib.rs",
                    relative.display()
                ));
                continue;
            };
            if used == module {
                continue;
            }
            if to > from {
                wrong.push(format!(
                    "{} (layer \"{}\") uses crate::{used} from the higher layer \"{}\"",
                    relative.display(),
                    layers[from].name,
                    layers[to].name,
                ));
            }
            edges.entry(module.clone()).or_default().insert(used);
        }
    }

    // A cycle can only be inside one layer; look for one from every module.
    for start in edges.keys() {
        let mut path = vec![start.clone()];
        if let Some(cycle) = cycle_from(start, &edges, &mut path) {
            wrong.push(format!(
                "modules use each other in a cycle: {}",
                cycle.join(" → ")
            ));
            break;
        }
    }
    assert!(wrong.is_empty(), "layer violations:\n{}", wrong.join("\n"));
}

/// A path of uses from the last module of `path` back to `start`, if there is one.
fn cycle_from(
    start: &str,
    edges: &BTreeMap<String, BTreeSet<String>>,
    path: &mut Vec<String>,
) -> Option<Vec<String>> {
    let here = path.last()?.clone();
    for next in edges.get(&here).into_iter().flatten() {
        if next == start {
            let mut cycle = path.clone();
            cycle.push(start.to_owned());
            return Some(cycle);
        }
        if !path.contains(next) {
            path.push(next.clone());
            if let Some(cycle) = cycle_from(start, edges, path) {
                return Some(cycle);
            }
            path.pop();
        }
    }
    None
}

#[test]
fn the_layer_check_reads_grouped_and_qualified_uses_and_skips_comments_and_tests() {
    let source = "use crate::db::{Db, sql};\nuse crate::{audit, host::call::{A, B}, ledger};\n\
                  // crate::web in a comment\nfn f() { crate::clock::now_ms(); $crate::x; }\n\
                  #[cfg(test)]\nmod tests { use crate::server; }\n";
    let found: Vec<String> = uses(source, 1).into_iter().collect();
    assert_eq!(found, ["audit", "clock", "db", "host", "ledger"]);
    let nested = "use super::super::web::Page;\nuse super::sibling;\nuse crate::*;\n\
                  const URL: &str = \"https://example.org\"; fn g() { crate::links::x(); }\n";
    let found: Vec<String> = uses(nested, 2).into_iter().collect();
    assert_eq!(found, ["*", "links", "web"]);
    let lib = "// Low:\npub mod a;\nmod b;\n// High.\npub(crate) mod c;\n";
    let read = layers(lib);
    assert_eq!(read.len(), 2);
    assert_eq!(read[0].name, "Low");
    assert_eq!(read[0].modules, ["a", "b"]);
    assert_eq!(read[1].name, "High");
}
