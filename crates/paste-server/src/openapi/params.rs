//! Request headers, grouped by the operations that read them. These types exist for the
//! document only: handlers read the headers themselves (names in `paste_api::headers`).

use utoipa::IntoParams;

/// Headers of `POST /`.
#[derive(Debug, IntoParams)]
#[into_params(parameter_in = Header)]
pub struct CreateHeaders {
    /// Lifetime in seconds, capped at the server's maximum for the caller's tier.
    #[param(rename = "X-Expiry", required = false, minimum = 1)]
    pub expiry: u64,
    /// `true` makes the paste single-read (1/0 and yes/no are accepted too).
    #[param(rename = "X-Burn-After-Read", required = false)]
    pub burn_after_read: bool,
    /// The paste expires after this many reads (1 is burn after read); see `limits.max_views`.
    #[param(
        rename = "X-Max-Views",
        required = false,
        minimum = 1,
        maximum = 1_000_000
    )]
    pub max_views: u32,
    /// With burn after read or `X-Max-Views`: only reads sending `X-Burn-Confirm: true` count,
    /// so link-preview bots do not consume the paste.
    #[param(rename = "X-Burn-Confirm", required = false)]
    pub burn_confirm: bool,
    /// Protects the paste: reads must send it.
    #[param(
        rename = "X-Paste-Password",
        required = false,
        min_length = 1,
        max_length = 1024
    )]
    pub password: String,
    /// A label for the paste (at most 128 characters, no control characters).
    #[param(rename = "X-Display-Name", required = false, max_length = 128)]
    pub display_name: String,
    /// When `limits.pow_enabled`: the `token` of a `GET /challenge`.
    #[param(rename = "X-PoW-Token", required = false)]
    pub pow_token: String,
    /// When `limits.pow_enabled`: a decimal number whose SHA-256 with the challenge's nonce has
    /// `difficulty` leading zero bits.
    #[param(rename = "X-PoW-Solution", required = false)]
    pub pow_solution: String,
}

/// Headers of `POST /s`.
#[derive(Debug, IntoParams)]
#[into_params(parameter_in = Header)]
pub struct ShortenHeaders {
    /// Lifetime in seconds, capped at the server's maximum for the caller's tier.
    #[param(rename = "X-Expiry", required = false, minimum = 1)]
    pub expiry: u64,
    /// When `limits.pow_enabled`: the `token` of a `GET /challenge`.
    #[param(rename = "X-PoW-Token", required = false)]
    pub pow_token: String,
    /// When `limits.pow_enabled`: the decimal solution to that challenge.
    #[param(rename = "X-PoW-Solution", required = false)]
    pub pow_solution: String,
}

/// Headers of `POST /register` and `POST /csr`.
#[derive(Debug, IntoParams)]
#[into_params(parameter_in = Header)]
pub struct RegisterHeaders {
    /// When `FLASKPASTE_REGISTER_POW` is above 0: the `token` of a `GET /register/challenge`.
    #[param(rename = "X-PoW-Token", required = false)]
    pub pow_token: String,
    /// When `FLASKPASTE_REGISTER_POW` is above 0: the decimal solution to that challenge.
    #[param(rename = "X-PoW-Solution", required = false)]
    pub pow_solution: String,
}

/// Headers of `GET /{id}/raw`.
#[derive(Debug, IntoParams)]
#[into_params(parameter_in = Header)]
pub struct ReadHeaders {
    /// The password of a protected paste.
    #[param(
        rename = "X-Paste-Password",
        required = false,
        min_length = 1,
        max_length = 1024
    )]
    pub password: String,
    /// `true` confirms a counted read of a confirm-mode paste; without it such a paste answers
    /// `428` and nothing is counted.
    #[param(rename = "X-Burn-Confirm", required = false)]
    pub burn_confirm: bool,
}

/// Headers of `PUT /{id}`.
#[derive(Debug, IntoParams)]
#[into_params(parameter_in = Header)]
pub struct UpdateHeaders {
    /// A new lifetime in seconds from now.
    #[param(rename = "X-Expiry", required = false, minimum = 1)]
    pub expiry: u64,
    /// A new label; empty removes it.
    #[param(rename = "X-Display-Name", required = false, max_length = 128)]
    pub display_name: String,
    /// The current password of a protected paste; on an unprotected one it sets a password.
    #[param(
        rename = "X-Paste-Password",
        required = false,
        min_length = 1,
        max_length = 1024
    )]
    pub password: String,
    /// Sets or replaces the password.
    #[param(
        rename = "X-New-Password",
        required = false,
        min_length = 1,
        max_length = 1024
    )]
    pub new_password: String,
    /// `true` removes the password.
    #[param(rename = "X-Remove-Password", required = false)]
    pub remove_password: bool,
}

/// Headers of `DELETE /{id}` and `DELETE /s/{id}`.
#[derive(Debug, IntoParams)]
#[into_params(parameter_in = Header)]
pub struct DeleteHeaders {
    /// The `delete_token` an anonymous creator received; certificate holders need none.
    #[param(rename = "X-Delete-Token", required = false)]
    pub delete_token: String,
}

/// The `{id}` of a paste or a short URL.
#[derive(Debug, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct IdPath {
    /// The id: 16 of `[A-Za-z0-9_-]` (ids that cannot exist answer `404` like unknown ones).
    #[param(min_length = 16, max_length = 16, pattern = "^[A-Za-z0-9_-]+$")]
    pub id: String,
}

#[cfg(test)]
mod tests {
    use serde_json::Value;
    use utoipa::IntoParams;

    use super::*;

    /// The schema of parameter `name` of `P`, as JSON.
    fn schema_of<P: IntoParams>(name: &str) -> Value {
        let params = P::into_params(|| None);
        let param = params.iter().find(|p| p.name == name);
        param
            .and_then(|p| serde_json::to_value(&p.schema).ok())
            .unwrap_or(Value::Null)
    }

    /// Attribute values must be literals; these tie them to the constants the server enforces.
    #[test]
    fn documented_bounds_are_the_enforced_ones() {
        use paste_core::{display_name, id, password, store};
        let views = schema_of::<CreateHeaders>("X-Max-Views");
        assert_eq!(views["maximum"], u64::from(store::MAX_VIEWS));
        let name = schema_of::<CreateHeaders>("X-Display-Name");
        assert_eq!(name["maxLength"], display_name::MAX_CHARS);
        for (pw, what) in [
            (schema_of::<CreateHeaders>("X-Paste-Password"), "create"),
            (schema_of::<ReadHeaders>("X-Paste-Password"), "read"),
            (schema_of::<UpdateHeaders>("X-Paste-Password"), "update"),
            (schema_of::<UpdateHeaders>("X-New-Password"), "new"),
        ] {
            assert_eq!(pw["maxLength"], password::MAX_PASSWORD_LEN, "{what}");
        }
        let path = schema_of::<IdPath>("id");
        assert_eq!(path["minLength"], id::ID_LEN);
        assert_eq!(path["maxLength"], id::ID_LEN);
        let generated = id::PasteId::generate()
            .map(|i| i.to_string())
            .unwrap_or_default();
        assert_eq!(generated.len(), id::ID_LEN);
        assert!(
            generated
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        );
    }
}
