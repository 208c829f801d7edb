//! Making the manifest's relative paths absolute.
//!
//! Paths in `instance.toml` are relative to the instance folder, not to wherever the kernel was
//! started, so that `trama serve instances/demo` works from any directory.

use std::path::{Component, Path, PathBuf};

/// `path` made absolute against `dir` (itself absolute). Existing paths are canonicalized;
/// paths that do not exist yet (a database file before the first start) are normalized
/// lexically, removing `.` and resolving `..`.
pub(crate) fn absolute(dir: &Path, path: &Path) -> PathBuf {
    let joined = dir.join(path);
    joined.canonicalize().unwrap_or_else(|_| normalize(&joined))
}

fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for component in path.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_paths_are_normalized_lexically() {
        assert_eq!(
            absolute(
                Path::new("/nonexistent/instances/demo"),
                Path::new("../../plugins/./x")
            ),
            PathBuf::from("/nonexistent/plugins/x")
        );
    }

    #[test]
    fn absolute_paths_ignore_the_instance_folder() {
        assert_eq!(
            absolute(Path::new("/nonexistent/a"), Path::new("/nonexistent/b")),
            PathBuf::from("/nonexistent/b")
        );
    }
}
