//! The token check's user rows, kept for a moment so that an authenticated
//! request costs no database round trip.
//!
//! Exactness: every write to `usuarios` made through this `Store` calls
//! `users_changed()` after it commits, which empties the cache at once, so a
//! deleted, demoted or deactivated user, or a password change, takes effect on
//! the next request of this instance. Other instances (or processes sharing the
//! database, such as `create-superadmin`) cannot tell us about their writes, so
//! an entry is used for at most `MAX_AGE`: a change made elsewhere takes effect
//! here within that second.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use uuid::Uuid;

use crate::store::{Store, StoreResult, User};

pub(crate) const MAX_AGE: Duration = Duration::from_secs(1);
/// Beyond this many users the map is emptied instead of grown (a flood of
/// tokens of many users cannot grow memory without bound).
const MAX_ENTRIES: usize = 10_000;

#[derive(Debug, Default)]
pub(crate) struct UserCache {
    /// Bumped by every local write; a read that began before a bump does not
    /// store what it read, since the row may have changed under it.
    generation: AtomicU64,
    entries: RwLock<HashMap<Uuid, (Instant, Arc<User>)>>,
}

impl UserCache {
    fn get(&self, user_id: Uuid) -> Option<Arc<User>> {
        let entries = self.entries.read().ok()?;
        let (at, user) = entries.get(&user_id)?;
        (at.elapsed() < MAX_AGE).then(|| user.clone())
    }

    /// `read_at`: when the read of `user` began, so a slow read cannot stretch
    /// the entry's life past `MAX_AGE` from the moment its row was current.
    fn put(&self, generation: u64, read_at: Instant, user: Arc<User>) {
        let Ok(mut entries) = self.entries.write() else {
            return;
        };
        if self.generation.load(Ordering::Acquire) != generation {
            return;
        }
        if entries.len() >= MAX_ENTRIES {
            entries.retain(|_, (at, _)| at.elapsed() < MAX_AGE);
            if entries.len() >= MAX_ENTRIES {
                entries.clear();
            }
        }
        entries.insert(user.id, (read_at, user));
    }

    fn clear(&self) {
        // The bump happens under the write lock, so no `put` can slip in
        // between it and the clear and leave an old row behind.
        let entries = self.entries.write();
        self.generation.fetch_add(1, Ordering::AcqRel);
        if let Ok(mut entries) = entries {
            entries.clear();
        }
    }
}

impl Store {
    /// The user a token names, from the cache when it is fresh.
    pub async fn user_for_token(&self, user_id: Uuid) -> StoreResult<Option<Arc<User>>> {
        if let Some(user) = self.users.get(user_id) {
            return Ok(Some(user));
        }
        let generation = self.users.generation.load(Ordering::Acquire);
        let read_at = Instant::now();
        let Some(user) = self.user_by_id(user_id).await? else {
            return Ok(None);
        };
        let user = Arc::new(user);
        self.users.put(generation, read_at, user.clone());
        Ok(Some(user))
    }

    /// Called after every local write to `usuarios` (see the module's doc).
    pub(crate) fn users_changed(&self) {
        self.users.clear();
    }
}
