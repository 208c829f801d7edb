//! Password hashing with argon2id and its recommended parameters.

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, LazyLock};
use std::time::Duration;

use tokio::sync::Semaphore;

use super::AuthError;

/// Shortest password accepted: long passphrases beat complexity rules.
pub const MIN_PASSWORD_LEN: usize = 10;

pub fn hash(password: &str) -> Result<String, AuthError> {
    let salt = SaltString::encode_b64(&rand::random::<[u8; 16]>())
        .map_err(|err| AuthError::Hash(err.to_string()))?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|hash| hash.to_string())
        .map_err(|err| AuthError::Hash(err.to_string()))
}

/// Hashes off the async workers (argon2 is deliberately slow, tens of milliseconds) on one of
/// the bounded [`HASHERS`].
pub async fn hash_off_thread(password: &str) -> Result<String, AuthError> {
    let password = password.to_owned();
    HASHERS.run(move || hash(&password)).await?
}

/// Verifies on one of the bounded [`HASHERS`], for the same reason as [`hash_off_thread`].
pub async fn verify_off_thread(password: &str, stored: &str) -> Result<bool, AuthError> {
    let (password, stored) = (password.to_owned(), stored.to_owned());
    HASHERS.run(move || verify(&password, &stored)).await
}

/// Hashes that run at once: one per core. Each argon2id hash holds its own 19 MiB memory
/// block, so an unbounded storm of sign-ups or logins (each on its own blocking thread) took the
/// server from 200 MB to gigabytes; bounded, hashing memory stays under cores × 19 MiB.
static HASHERS: LazyLock<Hashers> = LazyLock::new(|| {
    let cores = std::thread::available_parallelism().map_or(2, usize::from);
    Hashers::new(cores, cores * QUEUE_PER_CORE)
});

/// Requests that may wait for a hasher, per core, before more are told to come back later.
const QUEUE_PER_CORE: usize = 8;

/// Longest wait for a hasher; a request still queued then is told to come back later.
const QUEUE_WAIT: Duration = Duration::from_secs(3);

/// How long a refused request is asked to wait before trying again (`Retry-After`).
pub const RETRY_AFTER_SECS: u64 = 2;

struct Hashers {
    running: Arc<Semaphore>,
    waiting: AtomicUsize,
    queue: usize,
}

/// Counts a request in the queue while it waits for a hasher.
struct Waiting<'a>(&'a AtomicUsize);

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

impl Hashers {
    fn new(running: usize, queue: usize) -> Self {
        Self {
            running: Arc::new(Semaphore::new(running)),
            waiting: AtomicUsize::new(0),
            queue,
        }
    }

    /// Runs `work` on the blocking pool once a hasher is free; [`AuthError::Busy`] when the
    /// queue is full or the wait too long, which the web layer answers with 503 and
    /// `Retry-After`.
    async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, AuthError> {
        let queued = self.waiting.fetch_add(1, Ordering::AcqRel);
        let waiting = Waiting(&self.waiting);
        if queued >= self.queue {
            return Err(AuthError::Busy);
        }
        let permit = tokio::time::timeout(QUEUE_WAIT, self.running.clone().acquire_owned())
            .await
            .map_err(|_| AuthError::Busy)?
            .map_err(|err| AuthError::Hash(err.to_string()))?;
        drop(waiting);
        let running = tokio::task::spawn_blocking(move || {
            let result = work();
            drop(permit);
            result
        });
        running
            .await
            .map_err(|err| AuthError::Hash(err.to_string()))
    }
}

pub fn verify(password: &str, stored: &str) -> bool {
    PasswordHash::new(stored)
        .map(|parsed| {
            Argon2::default()
                .verify_password(password.as_bytes(), &parsed)
                .is_ok()
        })
        .unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hash_verifies_only_its_own_password() {
        let stored = hash("correct horse battery").expect("hash");
        assert!(verify("correct horse battery", &stored));
        assert!(!verify("correct horse battery!", &stored));
        assert!(!verify("anything", "not a hash"));
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_storm_is_bounded_and_the_surplus_is_told_to_come_back() {
        // Far more verifications at once than two hashers and a queue of four hold: the queued
        // ones run (and verify), the rest are refused as busy at once rather than each taking a
        // thread and 19 MiB. Its own hashers, so that other tests never meet this storm.
        let hashers = Arc::new(Hashers::new(2, 4));
        let stored = hash("correct horse battery").expect("hash");
        let tasks: Vec<_> = (0..40)
            .map(|_| {
                let (hashers, stored) = (hashers.clone(), stored.clone());
                tokio::spawn(async move {
                    hashers
                        .run(move || verify("correct horse battery", &stored))
                        .await
                })
            })
            .collect();
        let (mut verified, mut busy) = (0, 0);
        for task in tasks {
            match task.await.expect("task") {
                Ok(true) => verified += 1,
                Err(AuthError::Busy) => busy += 1,
                other => panic!("unexpected {other:?}"),
            }
        }
        assert!(verified >= 4, "{verified} verified, {busy} busy");
        assert!(busy > 0, "{verified} verified, none refused");
        assert_eq!(
            hashers.waiting.load(Ordering::Acquire),
            0,
            "the queue drains"
        );
        assert_eq!(
            hashers.running.available_permits(),
            2,
            "every hasher is back"
        );
    }
}
