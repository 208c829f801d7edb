//! Several instances served by one process, or kept side by side in one folder: no two may
//! claim one host name (visitors would land on whichever opened first, against the other
//! territory's database) or one instance id (their rows would mix in a shared database).
//!
//! When two do, the *established* one keeps it and the newer one is stopped, with a fault that
//! points at the newer file's line and names the established file's line, so that whoever copied
//! a folder sees at once what to change and where.

use std::path::Path;
use std::time::SystemTime;

use crate::diagnostic::Diagnostics;
use crate::manifest::Manifest;

/// How old an instance folder is: when its manifest file was created where the filesystem
/// records it, else when it last changed. Copying a folder makes a new manifest file, so a copy
/// is always newer than the territory it was copied from.
pub fn established_at(manifest_file: &Path) -> SystemTime {
    std::fs::metadata(manifest_file)
        .and_then(|meta| meta.created().or_else(|_| meta.modified()))
        .unwrap_or(SystemTime::UNIX_EPOCH)
}

/// Every claim of `claimant` on an id or a host that `holder` already has, as faults located in
/// the claimant's file and naming the holder's file and line.
pub fn clashes(holder: &Manifest, claimant: &Manifest) -> Diagnostics {
    let mut found = Diagnostics::default();
    let at = |m: &Manifest, path: &[String]| -> String {
        let line = m
            .locator
            .line(path)
            .map(|l| format!(":{l}"))
            .unwrap_or_default();
        format!("{}{line}", m.shown_file().display())
    };
    if holder.instance.id == claimant.instance.id {
        let path = vec!["instance".to_owned(), "id".to_owned()];
        found.push(claimant.locator.diagnostic(
            &path,
            format!(
                "the instance id {:?} is already used by {}; give this instance its own id",
                claimant.instance.id,
                at(holder, &path)
            ),
        ));
    }
    for (i, host) in claimant.instance.hosts.iter().enumerate() {
        let held = holder
            .instance
            .hosts
            .iter()
            .position(|h| h.eq_ignore_ascii_case(host));
        if let Some(j) = held {
            let path = |n: usize| vec!["instance".to_owned(), "hosts".to_owned(), n.to_string()];
            found.push(claimant.locator.diagnostic(
                &path(i),
                format!(
                    "the host {host:?} is already claimed by {}, which was there first; this \
                     instance is not served until one of the two lists another host",
                    at(holder, &path(j))
                ),
            ));
        }
    }
    found
}

/// The faults of a whole fleet: each manifest, oldest first ([`established_at`], then by
/// folder), against every older one that is served. Returns the faults and, for each manifest
/// in `manifests`' order, whether it clashes (is not to be served).
pub fn fleet_clashes(manifests: &[Manifest]) -> (Diagnostics, Vec<bool>) {
    let mut order: Vec<usize> = (0..manifests.len()).collect();
    order.sort_by_cached_key(|&i| (established_at(&manifests[i].file), manifests[i].dir.clone()));
    let mut all = Diagnostics::default();
    let mut stopped = vec![false; manifests.len()];
    let mut claimed: Vec<usize> = Vec::new();
    for i in order {
        let mut own = Diagnostics::default();
        for &older in &claimed {
            for fault in clashes(&manifests[older], &manifests[i]).0 {
                own.push(fault);
            }
        }
        if own.is_empty() {
            claimed.push(i);
        } else {
            stopped[i] = true;
            all.0.extend(own.0);
        }
    }
    all.sort();
    (all, stopped)
}
