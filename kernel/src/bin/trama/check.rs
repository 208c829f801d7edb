//! `trama check`: an instance, or a fleet of them, checked as `trama serve` would open it.

use std::path::Path;

use anyhow::bail;
use trama::db::Db;
use trama::host::PluginHost;
use trama::instance::BuildPolicy;

/// `trama check DIR`: one instance folder, or a folder of instances (the whole fleet: every
/// instance, then the hosts and ids they claim, which must not clash).
pub async fn check(path: &Path, host: &PluginHost, policy: BuildPolicy) -> anyhow::Result<()> {
    if path.join(trama_manifest::INSTANCE_TOML).is_file() || !path.is_dir() {
        return match check_one(path, host, policy).await {
            Some(_) => Ok(()),
            None => bail!("problems found in {}", path.display()),
        };
    }
    let dirs = trama::fleet::discover(&[path.to_path_buf()]);
    if dirs.is_empty() {
        bail!(
            "{} holds no instance: no {} in it or in its folders",
            path.display(),
            trama_manifest::INSTANCE_TOML
        );
    }
    let mut manifests = Vec::new();
    let mut broken = 0;
    for dir in &dirs {
        match check_one(dir, host, policy).await {
            Some(manifest) => manifests.push(manifest),
            None => broken += 1,
        }
    }
    let (clashes, _) = trama_manifest::fleet_clashes(&manifests);
    for diagnostic in clashes.iter() {
        eprintln!("{diagnostic}");
    }
    if broken > 0 || !clashes.is_empty() {
        bail!(
            "{} of {} instance(s) in {} have problems; {} clash(es) of hosts or ids",
            broken,
            dirs.len(),
            path.display(),
            clashes.len()
        );
    }
    println!(
        "{} instance(s) in {}: every host and id is claimed once",
        dirs.len(),
        path.display()
    );
    Ok(())
}

/// Checks one instance folder as `serve` would open it, printing what it found; its manifest
/// when it is valid.
async fn check_one(
    instance: &Path,
    host: &PluginHost,
    policy: BuildPolicy,
) -> Option<trama_manifest::Manifest> {
    let overlay = approved_changes(instance).await;
    let checked = match trama_manifest::check_with_overlay(instance, &overlay) {
        Ok(checked) => checked,
        Err(diagnostics) => {
            for diagnostic in &diagnostics.0 {
                eprintln!("{diagnostic}");
            }
            eprintln!(
                "{} problem(s) found in {}",
                diagnostics.0.len(),
                instance.display()
            );
            return None;
        }
    };
    let faults = trama::instance::check_servable(host, &checked, policy);
    // Each fault names the file to change itself (a plugin.toml, a template, a catalogue).
    for fault in &faults {
        eprintln!("{fault}");
    }
    if !faults.is_empty() {
        eprintln!(
            "{} problem(s) found in {}",
            faults.len(),
            instance.display()
        );
        return None;
    }
    let approved = match overlay.changes().len() {
        0 => String::new(),
        n => format!(" with {n} change(s) approved by the coordination table"),
    };
    println!(
        "{}: instance `{}` is valid{approved}",
        checked.manifest.file.display(),
        checked.manifest.instance.id
    );
    for plugin in &checked.plugins {
        let state = if plugin.enabled {
            "enabled, linked"
        } else {
            "disabled"
        };
        println!(
            "  {} {} ({state}) from {}",
            plugin.name,
            plugin.package.meta.plugin.version,
            plugin.package.dir.display()
        );
    }
    // The client secrets are the server's business: a machine that only checks need not hold
    // them, but whoever runs this where the server runs learns which one is missing.
    for provider in checked.manifest.identity.providers.values() {
        if let Err(missing) = provider.client_secret() {
            println!("  note: {missing} (trama check does not need it)");
        }
    }
    Some(checked.manifest)
}

/// The changes the coordination table approved for the instance in `dir`, read from its
/// database without creating or migrating it; none when it has no database yet. A database
/// that cannot be reached is a warning: the file alone is then checked.
async fn approved_changes(dir: &Path) -> trama_manifest::Overlay {
    let Ok(manifest) = trama_manifest::load(dir) else {
        // The check that follows reports the manifest's faults.
        return trama_manifest::Overlay::new();
    };
    let url = manifest.database_url();
    let read = async {
        match Db::open_existing(&url).await? {
            Some(db) => {
                trama::board::Board::new(db, &manifest.instance.id)
                    .overlay()
                    .await
            }
            None => Ok(trama_manifest::Overlay::new()),
        }
    };
    match read.await {
        Ok(overlay) => overlay,
        Err(err) => {
            eprintln!(
                "{}: warning: the changes approved by the coordination table could not be read \
                 from {} ({err}); the file alone is checked",
                manifest.shown_file().display(),
                trama_manifest::redact_url(&url)
            );
            trama_manifest::Overlay::new()
        }
    }
}
