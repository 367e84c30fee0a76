//! What uploads may hold at once, so that concurrency cannot multiply the
//! cost of one (issue 13): the bytes of request bodies kept in memory, and the
//! spreadsheet parse slots, shared fairly between companies.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::Request;
use axum::http::{StatusCode, header};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use uuid::Uuid;

use crate::http::error::{AppError, MSG_BUSY};
use crate::http::state::AppState;

/// How long a request waits for its share before it is told to retry.
const WAIT: Duration = Duration::from_secs(20);

fn busy(what: &'static str) -> AppError {
    tracing::warn!(waited_s = WAIT.as_secs(), "{what}: request refused");
    AppError {
        retry_after: Some(2),
        ..AppError::one(StatusCode::SERVICE_UNAVAILABLE, MSG_BUSY)
    }
}

/// Bytes of upload bodies held in memory by all requests together.
pub struct UploadMemory {
    bytes: Arc<Semaphore>,
    total: usize,
}

/// A body's share of [`UploadMemory`], given back when dropped.
#[derive(Debug)]
pub struct UploadShare(#[allow(dead_code)] OwnedSemaphorePermit);

fn declared_length(request: &Request) -> Option<usize> {
    request
        .headers()
        .get(header::CONTENT_LENGTH)?
        .to_str()
        .ok()?
        .parse()
        .ok()
}

/// Uploaded bytes that hold their body's share until the last copy is
/// dropped (a parse on another thread included).
struct Held {
    bytes: Bytes,
    _share: Arc<UploadShare>,
}

impl AsRef<[u8]> for Held {
    fn as_ref(&self) -> &[u8] {
        &self.bytes
    }
}

impl UploadShare {
    /// Reserves the body's declared length (without one, the upload cap)
    /// before a multipart body is read.
    pub fn for_body(
        state: &AppState,
        request: &Request,
    ) -> impl Future<Output = Result<Arc<Self>, AppError>> + Send + 'static {
        let cap = state.settings.max_upload_bytes;
        let wanted = declared_length(request).unwrap_or(cap).min(cap);
        let memory = state.clone();
        async move { Ok(Arc::new(memory.upload_memory.reserve(wanted).await?)) }
    }

    /// `bytes`, holding this share while they live.
    pub fn hold(self: &Arc<Self>, bytes: Bytes) -> Bytes {
        Bytes::from_owner(Held {
            bytes,
            _share: self.clone(),
        })
    }
}

impl UploadMemory {
    pub fn new(total: usize) -> Self {
        UploadMemory {
            bytes: Arc::new(Semaphore::new(total.min(Semaphore::MAX_PERMITS))),
            total,
        }
    }

    /// Reserves `bytes` (at most the whole budget) before a body is read;
    /// waits while others hold it, and answers 503 past [`WAIT`].
    pub async fn reserve(&self, bytes: usize) -> Result<UploadShare, AppError> {
        let wanted = u32::try_from(bytes.clamp(1, self.total.max(1))).unwrap_or(u32::MAX);
        match tokio::time::timeout(WAIT, self.bytes.clone().acquire_many_owned(wanted)).await {
            Ok(Ok(permit)) => Ok(UploadShare(permit)),
            Ok(Err(_)) => Err(AppError::internal()),
            Err(_) => Err(busy("upload memory budget spent")),
        }
    }
}

/// Spreadsheet parses at once: `slots` in all, and one per company, so a
/// company sending many (or hostile) files waits behind its own parse while
/// other companies' parses take the remaining slots.
pub struct ParseSlots {
    global: Arc<Semaphore>,
    /// One entry per company that has parsed since the start (a few bytes each).
    companies: Mutex<HashMap<Uuid, Arc<Semaphore>>>,
}

/// A parse's slot, given back when dropped.
#[derive(Debug)]
pub struct ParseSlot {
    _company: OwnedSemaphorePermit,
    _global: OwnedSemaphorePermit,
}

impl ParseSlots {
    pub fn new(slots: usize) -> Self {
        ParseSlots {
            global: Arc::new(Semaphore::new(slots.max(1))),
            companies: Mutex::new(HashMap::new()),
        }
    }

    fn company(&self, company_id: Uuid) -> Arc<Semaphore> {
        let mut companies = self
            .companies
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        companies
            .entry(company_id)
            .or_insert_with(|| Arc::new(Semaphore::new(1)))
            .clone()
    }

    /// The company's turn first, then a shared slot; 503 past [`WAIT`].
    pub async fn acquire(&self, company_id: Uuid) -> Result<ParseSlot, AppError> {
        let company = self.company(company_id);
        let global = self.global.clone();
        let both = async move {
            let company = company.acquire_owned().await?;
            let global = global.acquire_owned().await?;
            Ok::<_, tokio::sync::AcquireError>(ParseSlot {
                _company: company,
                _global: global,
            })
        };
        match tokio::time::timeout(WAIT, both).await {
            Ok(Ok(slot)) => Ok(slot),
            Ok(Err(_)) => Err(AppError::internal()),
            Err(_) => Err(busy("no spreadsheet parse slot")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_company_waits_behind_its_own_parse_not_others() {
        let slots = ParseSlots::new(2);
        let (a, b) = (Uuid::new_v4(), Uuid::new_v4());
        let first = slots.acquire(a).await.unwrap();
        // A's second parse waits for A's first...
        let second = tokio::time::timeout(Duration::from_millis(50), slots.acquire(a)).await;
        assert!(second.is_err(), "one parse per company at a time");
        // ...while B takes the other slot at once.
        let other = tokio::time::timeout(Duration::from_millis(50), slots.acquire(b)).await;
        assert!(matches!(other, Ok(Ok(_))));
        drop(first);
        let again = tokio::time::timeout(Duration::from_millis(50), slots.acquire(a)).await;
        assert!(matches!(again, Ok(Ok(_))));
    }

    #[tokio::test]
    async fn upload_memory_is_shared_and_given_back() {
        let memory = UploadMemory::new(100);
        let big = memory.reserve(80).await.unwrap();
        let blocked = tokio::time::timeout(Duration::from_millis(50), memory.reserve(30)).await;
        assert!(blocked.is_err(), "80 + 30 is over the budget");
        // More than the whole budget asks for the whole budget, not forever.
        drop(big);
        let whole = tokio::time::timeout(Duration::from_millis(50), memory.reserve(1_000)).await;
        assert!(matches!(whole, Ok(Ok(_))));
    }
}
