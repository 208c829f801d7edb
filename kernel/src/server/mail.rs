//! Starts a mail worker ([`crate::mail::run_worker`]) for every instance the fleet serves,
//! including those a reload adds; each worker idles while its instance has no `[mail]`.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::fleet::Fleet;

/// How often the fleet is looked at for instances a reload added.
const LOOK: Duration = Duration::from_secs(1);

/// Runs until `stopped` flips, then waits for the workers it started.
pub(super) fn start(fleet: Arc<Fleet>, mut stopped: watch::Receiver<bool>) -> JoinHandle<()> {
    tokio::spawn(async move {
        let mut started: HashSet<String> = HashSet::new();
        let mut workers = Vec::new();
        loop {
            for live in fleet.instances().all() {
                if started.insert(live.current().id().to_owned()) {
                    workers.push(tokio::spawn(crate::mail::run_worker(
                        live.clone(),
                        stopped.clone(),
                    )));
                }
            }
            tokio::select! {
                _ = tokio::time::sleep(LOOK) => {}
                _ = stopped.changed() => break,
            }
        }
        for worker in workers {
            let _ = worker.await;
        }
    })
}
