//! The one way request input is read: `Form`, `Json` and `Query` wrap axum's extractors and
//! reject with our [`ApiError`] (a problem document for the API, the HTML error page in the
//! browser), never axum's plain-text rejection.

use axum::extract::{FromRequest, FromRequestParts, Request};
use http::request::Parts;
use serde::de::DeserializeOwned;

use crate::error::ApiError;

/// A form body (`application/x-www-form-urlencoded`).
#[derive(Debug, Clone)]
pub struct Form<T>(pub T);

/// A JSON body.
#[derive(Debug, Clone)]
pub struct Json<T>(pub T);

/// The query string.
#[derive(Debug, Clone)]
pub struct Query<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for Form<T> {
    type Rejection = ApiError;
    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        axum::Form::<T>::from_request(req, state)
            .await
            .map(|axum::Form(t)| Self(t))
            .map_err(|e| ApiError::Invalid(format!("invalid form: {}", e.body_text())))
    }
}

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for Json<T> {
    type Rejection = ApiError;
    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        axum::Json::<T>::from_request(req, state)
            .await
            .map(|axum::Json(t)| Self(t))
            .map_err(|e| ApiError::Invalid(format!("invalid JSON body: {}", e.body_text())))
    }
}

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for Query<T> {
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        axum::extract::Query::<T>::from_request_parts(parts, state)
            .await
            .map(|axum::extract::Query(t)| Self(t))
            .map_err(|e| ApiError::Invalid(format!("invalid query: {}", e.body_text())))
    }
}

impl<T: serde::Serialize> axum::response::IntoResponse for Json<T> {
    fn into_response(self) -> axum::response::Response {
        axum::Json(self.0).into_response()
    }
}
