//! `fpaste pki status | download | issue | revoke`: the server's built-in PKI as seen by a client.

use paste_api::pki::{
    self as wire, IssueRequest, IssuedCertificate, PkiStatus, RevokeRequest, Revoked,
};

use super::certfiles::write_all;
use super::{Context, emit, emit_json};
use crate::cli::PkiCommand;
use crate::error::{CliError, Result};
use crate::http::send;

/// Runs a `pki` subcommand.
pub fn run(ctx: &Context, command: &PkiCommand) -> Result<()> {
    match command {
        PkiCommand::Status(_) => status(ctx),
        PkiCommand::Download(d) => download(ctx, d.args.output.as_deref()),
        PkiCommand::Issue(i) => {
            let a = &i.args;
            issue(ctx, &a.name, a.admin, a.output.as_deref(), a.force)
        }
        PkiCommand::Revoke(r) => revoke(ctx, &r.args.serial),
    }
}

/// Refuses up front when no certificate is configured: the server would only say 401.
fn need_admin_cert(ctx: &Context, what: &str) -> Result<()> {
    if ctx.settings.client_cert.is_none() {
        return Err(CliError::Usage(format!(
            "{what} needs an admin client certificate: set --client-cert and --client-key \
             (or run `fpaste register --configure` first)"
        )));
    }
    Ok(())
}

fn revoke(ctx: &Context, serial: &str) -> Result<()> {
    need_admin_cert(ctx, "revoking certificates")?;
    let api = ctx.api()?;
    let revoked: Revoked = api.send_json(
        api.post(wire::REVOKE_PATH.trim_start_matches('/'))
            .json(&RevokeRequest {
                serial: serial.to_owned(),
            }),
    )?;
    if ctx.json {
        return emit_json(
            &serde_json::to_value(&revoked).map_err(|e| CliError::Local(e.to_string()))?,
        );
    }
    emit(
        format!(
            "revoked:      {}\nserial:       {}\nat:           {}\n",
            revoked.fingerprint_sha1,
            revoked.serial,
            crate::when::human_time(revoked.revoked_at),
        )
        .as_bytes(),
    )
}

fn status(ctx: &Context) -> Result<()> {
    let status: PkiStatus = ctx
        .api()?
        .get_json(wire::STATUS_PATH.trim_start_matches('/'), &[])?;
    if ctx.json {
        return emit_json(
            &serde_json::to_value(&status).map_err(|e| CliError::Local(e.to_string()))?,
        );
    }
    let yes = |b: bool| if b { "yes" } else { "no" };
    let mut text = format!(
        "pki enabled:  {}\nca exists:    {}\n",
        yes(status.enabled),
        yes(status.ca_exists)
    );
    if let Some(name) = &status.common_name {
        text.push_str(&format!("common name:  {name}\n"));
    }
    if let Some(fp) = &status.fingerprint_sha1 {
        text.push_str(&format!("fingerprint:  {fp}\n"));
    }
    if let Some(t) = status.created_at {
        text.push_str(&format!("created:      {}\n", crate::when::human_time(t)));
    }
    if let Some(t) = status.expires_at {
        text.push_str(&format!("expires:      {}\n", crate::when::human_time(t)));
    }
    if status.enabled {
        text.push_str(&format!(
            "issued:       {} ({} revoked)\ncert days:    {}\n",
            status.issued, status.revoked, status.cert_days
        ));
    }
    if let Some(path) = &status.download {
        let url = ctx
            .api()?
            .base()
            .join(path.trim_start_matches('/'))
            .map_or_else(|_| path.clone(), |u| u.to_string());
        text.push_str(&format!("download:     {url}\n"));
    }
    emit(text.as_bytes())
}

fn download(ctx: &Context, output: Option<&std::path::Path>) -> Result<()> {
    let api = ctx.api()?;
    let pem = send(api.get(wire::CA_CERT_PATH.trim_start_matches('/')))?
        .text()
        .map_err(|e| CliError::Network(format!("reading the CA certificate: {e}")))?;
    match output {
        None => emit(pem.as_bytes()),
        Some(path) => {
            std::fs::write(path, &pem)
                .map_err(|e| CliError::io(format!("writing {}", path.display()), e))?;
            eprintln!("wrote {}", path.display());
            Ok(())
        }
    }
}

fn issue(
    ctx: &Context,
    name: &str,
    admin: bool,
    output: Option<&std::path::Path>,
    force: bool,
) -> Result<()> {
    need_admin_cert(ctx, "issuing certificates")?;
    let api = ctx.api()?;
    let issued: IssuedCertificate = api.send_json(
        api.post(wire::ISSUE_PATH.trim_start_matches('/'))
            .json(&IssueRequest {
                common_name: name.to_owned(),
                is_admin: admin,
            }),
    )?;
    if ctx.json && output.is_none() {
        return emit_json(
            &serde_json::to_value(&issued).map_err(|e| CliError::Local(e.to_string()))?,
        );
    }
    let dir = output.map_or_else(
        || std::path::PathBuf::from("."),
        std::path::Path::to_path_buf,
    );
    let key = issued.private_key_pem.clone().unwrap_or_default();
    // The name is the certificate's; as a file name it keeps only safe characters.
    let stem: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "-_".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    let (crt_name, key_name) = (format!("{stem}.crt"), format!("{stem}.key"));
    let written = write_all(
        &dir,
        &[
            (&key_name, key.as_bytes(), true),
            (&crt_name, issued.certificate_pem.as_bytes(), false),
            ("ca.crt", issued.ca_certificate_pem.as_bytes(), false),
        ],
        force,
    )?;
    let mut text = format!(
        "issued:       {}\nserial:       {}\nexpires:      {}\nadmin:        {}\n",
        issued.fingerprint_sha1,
        issued.serial,
        crate::when::human_time(issued.expires_at),
        if issued.is_admin { "yes" } else { "no" },
    );
    for path in written {
        text.push_str(&format!("wrote:        {}\n", path.display()));
    }
    emit(text.as_bytes())
}
