//! Shared HTTP machinery for cloud providers: retries, throttling and token refresh.

mod api_error;
mod error;
mod retry;
mod time;
mod token;

pub use api_error::ApiError;
pub use error::HttpError;
pub use retry::{HttpClient, RetryPolicy};
pub use time::rfc3339_ns;
pub use token::{OAuthRefresh, OnRotate, StaticToken, TokenError, TokenSource};
