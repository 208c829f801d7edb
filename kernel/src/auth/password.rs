//! Password hashing with argon2id and its recommended parameters.

use argon2::password_hash::{Output, ParamsString, PasswordHash, SaltString};
use argon2::{Algorithm, Argon2, Block, Params, Version};

use std::cell::RefCell;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, LazyLock, Mutex};
use std::time::Duration;

use tokio::sync::Semaphore;

use super::AuthError;

/// Shortest password accepted: long passphrases beat complexity rules.
pub const MIN_PASSWORD_LEN: usize = 10;

thread_local! {
    /// argon2's working memory on this thread (19 MiB with the default parameters), kept and
    /// reused hash after hash. Allocated afresh for every hash, glibc's allocator raised its
    /// mmap threshold after the first one and kept each freed block in the thread's arena:
    /// a storm of sign-ups held 400 MB with two hashes at a time. Kept here, hashing memory is
    /// exactly one block per hasher thread.
    static BLOCKS: RefCell<Vec<Block>> = const { RefCell::new(Vec::new()) };
}

/// Runs `hasher` (built with `params`) over `password` and raw `salt` into `out`, in this
/// thread's reused memory.
fn fill(
    hasher: &Argon2<'_>,
    params: &Params,
    password: &[u8],
    salt: &[u8],
    out: &mut [u8],
) -> Result<(), argon2::Error> {
    let needed = params.block_count();
    if needed > Params::default().block_count() {
        // A hash stored with costlier parameters than ours (made elsewhere): its memory is
        // not kept, so one such hash does not hold its size on the thread for good.
        let mut blocks = vec![Block::default(); needed];
        return hasher.hash_password_into_with_memory(password, salt, out, &mut blocks);
    }
    BLOCKS.with_borrow_mut(|blocks| {
        if blocks.len() < needed {
            blocks.resize(needed, Block::default());
        }
        hasher.hash_password_into_with_memory(password, salt, out, &mut blocks[..needed])
    })
}

/// Refuses a password shorter than [`MIN_PASSWORD_LEN`] characters (pages check it first, to
/// say so in the person's language).
pub fn check_strength(password: &str) -> Result<(), AuthError> {
    if password.chars().count() < MIN_PASSWORD_LEN {
        return Err(AuthError::Field(super::Field::PasswordTooShort));
    }
    Ok(())
}

/// An argon2id hash of `password` with a fresh salt and the recommended parameters, as a PHC
/// string (`$argon2id$v=19$m=19456,t=2,p=1$salt$hash`).
pub fn hash(password: &str) -> Result<String, AuthError> {
    let failed = |err: &dyn std::fmt::Display| AuthError::Hash(err.to_string());
    let salt = SaltString::encode_b64(&rand::random::<[u8; 16]>()).map_err(|e| failed(&e))?;
    let params = Params::default();
    let hasher = Argon2::new(Algorithm::Argon2id, Version::V0x13, params.clone());
    let mut raw_salt = [0u8; 64];
    let raw_salt = salt
        .as_salt()
        .decode_b64(&mut raw_salt)
        .map_err(|e| failed(&e))?;
    let output = Output::init_with(Params::DEFAULT_OUTPUT_LEN, |out| {
        fill(&hasher, &params, password.as_bytes(), raw_salt, out).map_err(Into::into)
    })
    .map_err(|e| failed(&e))?;
    let phc = PasswordHash {
        algorithm: Algorithm::Argon2id.ident(),
        version: Some(Version::V0x13.into()),
        params: ParamsString::try_from(&params).map_err(|e| failed(&e))?,
        salt: Some(salt.as_salt()),
        hash: Some(output),
    };
    Ok(phc.to_string())
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

/// Hashes that run at once: one per core, each on a thread of its own. Each argon2id hash
/// needs a 19 MiB memory block. On tokio's blocking pool every storm spread the hashes over new
/// threads, and the allocator kept a 19 MiB block in each thread's arena: a 64-connection storm
/// held 480 MB even with two hashes at a time. On a fixed set of threads the blocks are reused,
/// and hashing memory stays near cores × 19 MiB however long the storm lasts.
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

type Job = Box<dyn FnOnce() + Send>;

struct Hashers {
    /// One permit per hasher thread: a request holds one while its hash runs, so the channel
    /// never holds more jobs than there are threads to take them.
    running: Arc<Semaphore>,
    jobs: std::sync::mpsc::Sender<Job>,
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
    /// Starts `threads` hasher threads; `queue` requests may wait for them.
    fn new(threads: usize, queue: usize) -> Self {
        let (jobs, inbox) = std::sync::mpsc::channel::<Job>();
        let inbox = Arc::new(Mutex::new(inbox));
        for n in 0..threads {
            let inbox = inbox.clone();
            let started = std::thread::Builder::new()
                .name(format!("trama-hasher-{n}"))
                .spawn(move || {
                    loop {
                        // The lock is held only to take the next job, not while it runs.
                        let next = inbox
                            .lock()
                            .unwrap_or_else(std::sync::PoisonError::into_inner)
                            .recv();
                        match next {
                            // A panicking hash must not take the thread (and its permit's
                            // worth of capacity) with it: its request gets an error instead.
                            Ok(job) => {
                                if std::panic::catch_unwind(std::panic::AssertUnwindSafe(job))
                                    .is_err()
                                {
                                    tracing::error!("a password hash panicked");
                                }
                            }
                            Err(_) => break,
                        }
                    }
                });
            if let Err(err) = started {
                tracing::error!(%err, "cannot start a password hasher thread");
            }
        }
        Self {
            running: Arc::new(Semaphore::new(threads)),
            jobs,
            waiting: AtomicUsize::new(0),
            queue,
        }
    }

    /// Runs `work` on a hasher thread once one is free; [`AuthError::Busy`] when the queue is
    /// full or the wait too long, which the web layer answers with 503 and `Retry-After`.
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
        let (done, result) = tokio::sync::oneshot::channel();
        // The permit goes with the job, so it is released when the hash is done, also when
        // the request that asked for it has gone meanwhile: the thread was busy either way.
        let job: Job = Box::new(move || {
            let result = work();
            drop(permit);
            let _ = done.send(result);
        });
        self.jobs
            .send(job)
            .map_err(|_| AuthError::Hash("the password hashers have stopped".to_owned()))?;
        result
            .await
            .map_err(|_| AuthError::Hash("a password hasher stopped mid-hash".to_owned()))
    }
}

/// The most memory a stored hash may ask verification for (256 MiB, 13 times ours): a hash
/// written into the database with an absurd `m` must not take the process's memory.
const MAX_VERIFY_M_COST_KIB: u32 = 256 * 1024;

/// Whether `password` is the one `stored` (a PHC string) was made from, with the algorithm,
/// version and parameters `stored` names; compared in constant time.
pub fn verify(password: &str, stored: &str) -> bool {
    let Ok(parsed) = PasswordHash::new(stored) else {
        return false;
    };
    let (Some(salt), Some(expected)) = (parsed.salt, parsed.hash) else {
        return false;
    };
    let (Ok(algorithm), Ok(params)) = (
        Algorithm::try_from(parsed.algorithm),
        Params::try_from(&parsed),
    ) else {
        return false;
    };
    let version = match parsed.version.map(Version::try_from) {
        None => Version::default(),
        Some(Ok(version)) => version,
        Some(Err(_)) => return false,
    };
    if params.m_cost() > MAX_VERIFY_M_COST_KIB {
        return false;
    }
    let hasher = Argon2::new(algorithm, version, params.clone());
    let mut raw_salt = [0u8; 64];
    let Ok(raw_salt) = salt.decode_b64(&mut raw_salt) else {
        return false;
    };
    let mut out = vec![0u8; expected.len()];
    if fill(&hasher, &params, password.as_bytes(), raw_salt, &mut out).is_err() {
        return false;
    }
    // `Output`'s equality is constant-time.
    Output::new(&out).is_ok_and(|computed| computed == expected)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_made_by_the_argon2_crate_itself_still_verify() {
        // Accounts created before hashing reused its memory hold PHC strings made by
        // `PasswordHasher::hash_password`; and ours must read the same way to it.
        use argon2::password_hash::{PasswordHasher, PasswordVerifier};
        let salt = SaltString::encode_b64(b"0123456789abcdef").expect("salt");
        let theirs = Argon2::default()
            .hash_password(b"correct horse battery", &salt)
            .expect("hash")
            .to_string();
        assert!(verify("correct horse battery", &theirs));
        assert!(!verify("correct horse batter", &theirs));
        let ours = hash("correct horse battery").expect("hash");
        let parsed = PasswordHash::new(&ours).expect("a PHC string");
        assert!(
            Argon2::default()
                .verify_password(b"correct horse battery", &parsed)
                .is_ok()
        );
        assert!(
            ours.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
            "{ours}"
        );
        // Other parameters are read from the string (a cheaper hash made elsewhere).
        let cheap = Argon2::new(
            Algorithm::Argon2id,
            Version::V0x13,
            Params::new(1024, 1, 1, None).expect("params"),
        )
        .hash_password(b"correct horse battery", &salt)
        .expect("hash")
        .to_string();
        assert!(verify("correct horse battery", &cheap));
    }

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
