//! A short-lived cache of serialised response bodies per company, for hot
//! read-only lists (the catalogue). Every write of this process forgets the
//! company's entry at once; other instances see a write after `ttl` at most.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::body::Bytes;
use uuid::Uuid;

pub struct BodyCache {
    ttl: Duration,
    entries: Mutex<HashMap<Uuid, (Instant, u64, Bytes)>>,
    /// Bumped by every invalidation, so a body computed from data read
    /// before a write is never stored after it.
    generation: std::sync::atomic::AtomicU64,
}

impl BodyCache {
    pub fn new(ttl: Duration) -> Self {
        BodyCache {
            ttl,
            entries: Mutex::new(HashMap::new()),
            generation: Default::default(),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<Uuid, (Instant, u64, Bytes)>> {
        self.entries
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The cached body, if fresh.
    pub fn get(&self, company_id: Uuid) -> Option<Bytes> {
        let entries = self.lock();
        let (at, _, body) = entries.get(&company_id)?;
        (at.elapsed() < self.ttl).then(|| body.clone())
    }

    /// The generation to pass to `put` for data read from now on.
    pub fn generation(&self) -> u64 {
        self.generation.load(std::sync::atomic::Ordering::SeqCst)
    }

    /// Stores a body built from data read at `generation`; ignored if a
    /// write happened since.
    pub fn put(&self, company_id: Uuid, generation: u64, body: Bytes) {
        let mut entries = self.lock();
        if self.generation() != generation {
            return;
        }
        if entries.len() > 10_000 {
            let ttl = self.ttl;
            entries.retain(|_, (at, _, _)| at.elapsed() < ttl);
        }
        entries.insert(company_id, (Instant::now(), generation, body));
    }

    /// Forgets the company's body: call after every write that changes it.
    pub fn invalidate(&self, company_id: Uuid) {
        let mut entries = self.lock();
        self.generation
            .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        entries.remove(&company_id);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_expire_and_writes_forget_them() {
        let cache = BodyCache::new(Duration::from_millis(50));
        let company = Uuid::new_v4();
        let generation = cache.generation();
        cache.put(company, generation, Bytes::from_static(b"a"));
        assert_eq!(cache.get(company).as_deref(), Some(&b"a"[..]));
        cache.invalidate(company);
        assert_eq!(cache.get(company), None);
        // A body read before a write is not stored after it.
        let stale = cache.generation();
        cache.invalidate(Uuid::new_v4());
        cache.put(company, stale, Bytes::from_static(b"old"));
        assert_eq!(cache.get(company), None);
        cache.put(company, cache.generation(), Bytes::from_static(b"b"));
        std::thread::sleep(Duration::from_millis(60));
        assert_eq!(cache.get(company), None, "expired");
    }
}
