//! `Id`: the numeric id in a resource path (`/api/plans/{id}`), read like every other input:
//! anything that is not a positive integer names no resource, so it answers our 404 (a problem
//! document for the API, the HTML page in the browser), never axum's plain-text 400.

use axum::extract::{FromRequestParts, Path};
use http::request::Parts;

use crate::error::ApiError;

/// A resource id from the path: a positive 64-bit integer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Id(pub i64);

impl<S: Send + Sync> FromRequestParts<S> for Id {
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        match Path::<i64>::from_request_parts(parts, state).await {
            Ok(Path(id)) if id > 0 => Ok(Self(id)),
            _ => Err(ApiError::NotFound),
        }
    }
}
