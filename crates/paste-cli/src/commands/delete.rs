//! `fpaste delete`: by delete token (given or stored at create time) or by client certificate.

use serde_json::json;

use super::{Context, emit_json};
use crate::cli::DeleteArgs;
use crate::error::{CliError, Result};
use crate::link::parse_target;
use crate::tokens::Tokens;

/// Runs `delete`.
pub fn run(ctx: &Context, args: &DeleteArgs) -> Result<()> {
    let target = parse_target(&args.target, &ctx.settings.server.value)?;
    let api = ctx.api_for(target.base.clone())?;
    let store = Tokens::default_location();
    let base = api.base().as_str().to_owned();
    let token = match (&args.token, &store) {
        (Some(token), _) => Some(token.clone()),
        (None, Some(store)) => store.get(&base, &target.id)?,
        (None, None) => None,
    };
    match api.delete(&target.id, token.as_deref()) {
        Err(CliError::Server { status: 403, .. }) if token.is_some() => {
            return Err(CliError::Server {
                status: 403,
                message: "wrong delete token for this paste".into(),
            });
        }
        // The server refuses anonymous deletes before looking the paste up; look it up here so
        // an already deleted paste is reported as such.
        Err(CliError::Server { status: 401, .. }) if token.is_none() => {
            api.metadata(&target.id, None)?;
            return Err(CliError::Server {
                status: 401,
                message: format!(
                    "no delete token is stored for {} and no client certificate is set: pass \
                     --token TOKEN, or --client-cert and --client-key",
                    target.id
                ),
            });
        }
        other => other?,
    }
    if let Some(store) = store {
        store.remove(&base, &target.id)?;
    }
    if ctx.json {
        emit_json(&json!({ "deleted": target.id }))
    } else {
        eprintln!("fpaste: deleted {}", target.id);
        Ok(())
    }
}
