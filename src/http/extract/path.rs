//! A UUID taken from the route's path. A malformed one names nothing that can
//! exist, so it is the resource's JSON 404, as the original answers.

use std::marker::PhantomData;

use axum::extract::{FromRequestParts, Path};
use axum::http::request::Parts;
use uuid::Uuid;

use crate::http::error::AppError;

/// What a path id names: its "not found" message.
pub trait PathResource {
    const NOT_FOUND: &'static str;
}

/// The one `{..._id}` segment of the route, as a UUID of resource `R`.
/// Take it as `Result<PathId<R>, AppError>` where the original checks the
/// body before looking the id up.
#[derive(Debug)]
pub struct PathId<R>(pub Uuid, pub PhantomData<R>);

impl<R: PathResource, S: Send + Sync> FromRequestParts<S> for PathId<R> {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let not_found = || AppError::not_found(R::NOT_FOUND);
        let Path(raw) = Path::<String>::from_request_parts(parts, state)
            .await
            .map_err(|_| not_found())?;
        let id = Uuid::parse_str(&raw).map_err(|_| not_found())?;
        Ok(PathId(id, PhantomData))
    }
}
