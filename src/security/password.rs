//! bcrypt hashing (cost 12, `$2b$`, readable by the original) on a small pool
//! of dedicated threads, one per permitted concurrent hash, run at a lower
//! scheduling priority: a login storm is served at full speed while every
//! other request still gets a core when it needs one.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, mpsc};

use tokio::sync::oneshot;

use crate::metrics::metrics;

/// Cost of new hashes, as Python's `bcrypt.gensalt()`.
pub const COST: u32 = 12;

/// A cost-12 hash of a random string nobody knows: unknown users are checked
/// against it so they take as long as a wrong password.
const DECOY_HASH: &str = "$2b$12$kVHFLo8r2eE/1i1RggYyDOSBEyqrTTtKol1O0q1Baqlcaj7LVeEOu";

/// Nice value of the hashing threads (0 is normal, 19 the lowest).
const HASHING_NICENESS: i32 = 10;

type Job = Box<dyn FnOnce() + Send>;

/// Hashes that may wait per hashing thread; beyond that a request is
/// refused at once (503) instead of queueing without bound.
const QUEUE_PER_THREAD: usize = 32;

#[derive(Clone)]
pub struct PasswordHasher {
    jobs: mpsc::SyncSender<Job>,
    cost: u32,
    /// bcrypt verifications run so far (tests check unknown users cost one too).
    verifications: Arc<AtomicU64>,
}

#[derive(Debug, thiserror::Error)]
pub enum HashError {
    #[error("password hashing failed: {0}")]
    Bcrypt(#[from] bcrypt::BcryptError),
    #[error("password hashing thread unavailable")]
    Pool,
    /// The queue is full: too many logins at once.
    #[error("password hashing queue full")]
    Busy,
}

/// Lowers the calling thread's priority (Linux nice values are per thread).
fn lower_thread_priority() {
    #[cfg(target_os = "linux")]
    // SAFETY: setpriority only reads its integer arguments; who = 0 is the calling thread.
    unsafe {
        libc::setpriority(libc::PRIO_PROCESS, 0, HASHING_NICENESS);
    }
}

impl PasswordHasher {
    /// Starts `threads` hashing threads; jobs beyond that wait in a queue.
    pub fn new(threads: usize) -> Self {
        let threads = threads.max(1);
        let (jobs, queue) = mpsc::sync_channel::<Job>(threads * QUEUE_PER_THREAD);
        let queue = Arc::new(Mutex::new(queue));
        for n in 0..threads {
            let queue = queue.clone();
            let spawned = std::thread::Builder::new()
                .name(format!("bcrypt-{n}"))
                .spawn(move || {
                    lower_thread_priority();
                    loop {
                        // Ends when every sender (every PasswordHasher clone) is gone.
                        let next = queue
                            .lock()
                            .map_err(|_| ())
                            .and_then(|q| q.recv().map_err(|_| ()));
                        match next {
                            Ok(job) => job(),
                            Err(()) => break,
                        }
                    }
                });
            if let Err(err) = spawned {
                tracing::error!(error = %err, "could not start a hashing thread");
            }
        }
        PasswordHasher {
            jobs,
            cost: COST,
            verifications: Arc::new(AtomicU64::new(0)),
        }
    }

    pub fn verifications(&self) -> u64 {
        self.verifications.load(Ordering::Relaxed)
    }

    async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, HashError> {
        let (done, result) = oneshot::channel();
        let job: Job = Box::new(move || {
            // The client went away while this waited: spend no CPU on it.
            if !done.is_closed() {
                let _ = done.send(work());
            }
            metrics().bcrypt_queue_change(-1);
        });
        metrics().bcrypt_queue_change(1);
        self.jobs.try_send(job).map_err(|err| {
            metrics().bcrypt_queue_change(-1);
            match err {
                mpsc::TrySendError::Full(_) => HashError::Busy,
                mpsc::TrySendError::Disconnected(_) => HashError::Pool,
            }
        })?;
        result.await.map_err(|_| HashError::Pool)
    }

    /// True when `password` matches `hash`. A malformed hash is a mismatch,
    /// like the original; `None` (unknown user) burns the same time and fails.
    pub async fn verify(&self, password: String, hash: Option<String>) -> Result<bool, HashError> {
        let counter = self.verifications.clone();
        self.run(move || {
            counter.fetch_add(1, Ordering::Relaxed);
            let known = hash.is_some();
            let hash = hash.unwrap_or_else(|| DECOY_HASH.to_string());
            let matched =
                bcrypt::non_truncating_verify(password.as_bytes(), &hash).unwrap_or(false);
            known && matched
        })
        .await
    }

    pub async fn hash(&self, password: String) -> Result<String, HashError> {
        let cost = self.cost;
        self.run(move || hash_now(&password, cost)).await?
    }
}

/// A temporary password as the original makes them
/// (`secrets.token_urlsafe(9).upper()`): 12 characters of `[A-Z0-9_-]`.
pub fn temporary_password() -> String {
    use base64::Engine as _;
    use rand::RngCore;
    let mut bytes = [0u8; 9];
    rand::rng().fill_bytes(&mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .encode(bytes)
        .to_uppercase()
}

/// Synchronous hashing for the command line.
pub fn hash_now(password: &str, cost: u32) -> Result<String, HashError> {
    Ok(bcrypt::non_truncating_hash(password.as_bytes(), cost)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_pool_hashes_and_verifies_concurrently() {
        let hasher = PasswordHasher {
            cost: 4,
            ..PasswordHasher::new(2)
        };
        let hashes = futures_join(&hasher, 6).await;
        for (i, hash) in hashes.iter().enumerate() {
            assert!(
                hasher
                    .verify(format!("password-{i}"), Some(hash.clone()))
                    .await
                    .unwrap()
            );
            assert!(
                !hasher
                    .verify(format!("password-{i}x"), Some(hash.clone()))
                    .await
                    .unwrap()
            );
        }
        assert!(
            !hasher
                .verify("x".into(), Some("not-a-hash".into()))
                .await
                .unwrap()
        );
        assert!(!hasher.verify("x".into(), None).await.unwrap());
        assert_eq!(hasher.verifications(), 14);
    }

    async fn futures_join(hasher: &PasswordHasher, n: usize) -> Vec<String> {
        let tasks: Vec<_> = (0..n)
            .map(|i| {
                let hasher = hasher.clone();
                tokio::spawn(async move { hasher.hash(format!("password-{i}")).await.unwrap() })
            })
            .collect();
        let mut out = Vec::new();
        for task in tasks {
            out.push(task.await.unwrap());
        }
        out
    }

    #[tokio::test]
    async fn a_full_queue_refuses_at_once() {
        let hasher = PasswordHasher {
            cost: 4,
            ..PasswordHasher::new(1)
        };
        // Block the only thread, then fill its queue.
        let (release, wait) = std::sync::mpsc::channel::<()>();
        let blocker = tokio::spawn({
            let hasher = hasher.clone();
            async move { hasher.run(move || wait.recv().ok()).await }
        });
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        let queued: Vec<_> = (0..QUEUE_PER_THREAD)
            .map(|_| {
                tokio::spawn({
                    let hasher = hasher.clone();
                    async move { hasher.hash("password-1".into()).await }
                })
            })
            .collect();
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        assert!(matches!(
            hasher.hash("one-too-many".into()).await,
            Err(HashError::Busy)
        ));
        release.send(()).unwrap();
        blocker.await.unwrap().unwrap();
        for task in queued {
            assert!(task.await.unwrap().is_ok());
        }
    }

    #[test]
    fn temporary_passwords_have_the_original_shape() {
        let password = temporary_password();
        assert_eq!(password.len(), 12);
        assert!(
            password
                .chars()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '-' || c == '_')
        );
        assert_ne!(password, temporary_password());
    }

    #[test]
    fn decoy_hash_is_a_valid_cost_12_hash() {
        let parts: bcrypt::HashParts = DECOY_HASH.parse().unwrap();
        assert_eq!(parts.get_cost(), COST);
        assert!(!bcrypt::verify("", DECOY_HASH).unwrap());
    }

    #[test]
    fn hashes_made_by_python_bcrypt_verify() {
        // Made by pyca/bcrypt 5 (`bcrypt.hashpw(pw, bcrypt.gensalt(4|5))`).
        let ascii = "$2b$04$a.YoKVBvnIvIlX5qFl3Gju9muPfDkQlzcEmALUKQr6ZwAxhZ4Fj9C";
        let unicode = "$2b$05$JecsyrsdluWPJJP7GMILYuLi2bPuwv0rC61GPFg4KT1tSRQDao2qS";
        assert!(bcrypt::non_truncating_verify("admin123", ascii).unwrap());
        assert!(!bcrypt::non_truncating_verify("admin124", ascii).unwrap());
        assert!(bcrypt::non_truncating_verify("contraseña-é", unicode).unwrap());
        assert!(!bcrypt::non_truncating_verify("contrasena-e", unicode).unwrap());
    }

    #[test]
    fn new_hashes_are_2b_and_verify() {
        let ours = hash_now("admin123", 4).unwrap();
        assert!(ours.starts_with("$2b$04$"));
        assert!(bcrypt::non_truncating_verify("admin123", &ours).unwrap());
        assert!(
            hash_now(&"x".repeat(73), 4).is_err(),
            "over 72 bytes is refused, not truncated"
        );
    }
}
