//! Response headers shared by several operations, built once so every operation says the same.

use utoipa::openapi::Object;
use utoipa::openapi::header::Header;
use utoipa::openapi::schema::Type;

/// An integer-valued header.
pub fn integer(description: &str) -> Header {
    let mut h = Header::new(Object::with_type(Type::Integer));
    h.description = Some(description.to_owned());
    h
}

/// A string-valued header.
pub fn string(description: &str) -> Header {
    let mut h = Header::new(Object::with_type(Type::String));
    h.description = Some(description.to_owned());
    h
}

/// The per-address creation window of `POST /` and `POST /s`, sent when rate limiting is on.
pub fn rate_limit() -> [(&'static str, Header); 3] {
    [
        (
            "X-RateLimit-Limit",
            integer("Creations allowed per minute for this client address."),
        ),
        (
            "X-RateLimit-Remaining",
            integer("Creations left in the current window."),
        ),
        (
            "X-RateLimit-Reset",
            integer("Unix seconds at which the window starts afresh."),
        ),
    ]
}

/// The request id every response carries (the client's when well-formed, else a fresh UUID).
pub fn request_id() -> Header {
    string(
        "The request id: the client's `X-Request-Id` when it is 1 to 128 of `[A-Za-z0-9._:-]`, \
         otherwise a fresh UUID. Problem bodies and the server log carry it too.",
    )
}
