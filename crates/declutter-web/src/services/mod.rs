//! Services between the handlers and the stores: each takes the narrow handles it needs
//! (built from the app state with `FromRef`), never the whole state.

pub mod cleanup;
pub mod scans;
