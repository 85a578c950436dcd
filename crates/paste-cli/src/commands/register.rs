//! `fpaste register [--configure]`: solves the server's registration proof of work, receives
//! a new client certificate (PKCS#12), and writes `client.key`, `client.crt`, `client.p12` and
//! `ca.crt` into the config directory; `--configure` points the config file at them.

use paste_api::pki as wire;
use serde_json::json;

use super::certfiles::{config_dir, configure, unpack_p12, write_all};
use super::{Context, emit, emit_json};
use crate::cli::RegisterArgs;
use crate::error::{CliError, Result};
use crate::http::send;
use crate::pow;

/// Runs `register`.
pub fn run(ctx: &Context, args: &RegisterArgs) -> Result<()> {
    let api = ctx.api()?;
    let challenge = api.get_json("register/challenge", &[])?;
    let mut request = api.post("register");
    if let Some((token, solution)) = pow::answer(&challenge)? {
        request = request
            .header(paste_api::headers::POW_TOKEN, token)
            .header(paste_api::headers::POW_SOLUTION, solution);
    }
    if let Some(name) = &args.name {
        request = request.json(&json!({ "common_name": name }));
    }
    let response = send(request)?;
    let header = |name: &str| {
        response
            .headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    };
    let fingerprint = header(wire::FINGERPRINT_SHA1);
    let serial = header(wire::CERTIFICATE_SERIAL);
    let expires: i64 = header(wire::CERTIFICATE_EXPIRES).parse().unwrap_or(0);
    let admin = header(wire::IS_ADMIN) == "1";
    let bundle = response
        .bytes()
        .map_err(|e| CliError::Network(format!("reading the bundle: {e}")))?;
    let (key, cert, ca) = unpack_p12(&bundle)?;
    let dir = match &args.output {
        Some(dir) => dir.clone(),
        None => config_dir(&ctx.settings)?,
    };
    let mut files: Vec<(&str, &[u8], bool)> = vec![
        ("client.key", key.as_bytes(), true),
        ("client.crt", cert.as_bytes(), false),
        ("client.p12", &bundle, true),
    ];
    if let Some(ca) = &ca {
        files.push(("ca.crt", ca.as_bytes(), false));
    }
    let written = write_all(&dir, &files, args.force)?;
    let configured = if args.configure {
        Some(configure(&ctx.settings, &written[1], &written[0])?)
    } else {
        None
    };
    if ctx.json {
        return emit_json(&json!({
            "fingerprint_sha1": fingerprint,
            "serial": serial,
            "expires_at": expires,
            "is_admin": admin,
            "files": written,
            "configured": configured,
        }));
    }
    let mut text = format!(
        "registered:   {fingerprint}\nserial:       {serial}\nexpires:      {}\nadmin:        {}\n",
        crate::when::human_time(expires),
        if admin { "yes" } else { "no" },
    );
    for path in &written {
        text.push_str(&format!("wrote:        {}\n", path.display()));
    }
    match configured {
        Some(path) => text.push_str(&format!("configured:   {}\n", path.display())),
        None => text.push_str(
            "use it with --client-cert and --client-key, or run again with --configure\n",
        ),
    }
    emit(text.as_bytes())
}
