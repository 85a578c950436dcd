//! The built-in PKI over real HTTP and real TLS handshakes: registration, issuing, CSR
//! signing, admin-only endpoints, revocation enforced by native mTLS without a restart, the
//! tiered expiry of our own certificates, and the CA key sealed at rest.

use p12_keystore::{KeyStore, Pkcs12ImportPolicy};
use paste_server::handlers::pki::pem_encode;
use paste_server::pki::config::PkiConfig;
use platform::testkit::Minted;
use secrecy::SecretString;
use serde_json::{Value, json};

use x509_parser::prelude::FromDer;

use crate::support::{BoxError, Pki, Server, TestResult, problem, s};

pub const PASSWORD: &str = "a long CA password";

pub fn pki_on(register_pow: u32) -> PkiConfig {
    PkiConfig {
        enabled: true,
        ca_password: Some(SecretString::from(PASSWORD)),
        cert_days: 30,
        register_pow,
    }
}

/// A TLS server (certificate from the test CA) whose client certificates come from its own
/// PKI only.
async fn tls_pki_server(tls: &Pki) -> Result<Server, BoxError> {
    let mut files = tls.server_files()?;
    files.client_ca = None;
    Server::start(move |c| {
        c.tls = Some(files);
        c.pki = pki_on(0);
    })
    .await
}

/// The key and certificate of a PKCS#12 bundle, as a testkit identity.
pub fn from_p12(bytes: &[u8]) -> Result<Minted, BoxError> {
    let store = KeyStore::from_pkcs12(bytes, "", Pkcs12ImportPolicy::Relaxed)?;
    let (_, chain) = store.private_key_chain().ok_or("no key in the bundle")?;
    let leaf = chain
        .certs()
        .first()
        .ok_or("no certificate in the bundle")?;
    Ok(Minted {
        cert_pem: pem_encode("CERTIFICATE", leaf.as_der()),
        key_pem: pem_encode("PRIVATE KEY", chain.key().as_der()),
        cert_der: leaf.as_der().to_vec(),
    })
}

fn issued_identity(v: &Value) -> Result<Minted, BoxError> {
    let cert_pem = s(v, "certificate_pem");
    let der = rustls_pem_der(&cert_pem)?;
    Ok(Minted {
        cert_pem,
        key_pem: s(v, "private_key_pem"),
        cert_der: der,
    })
}

fn rustls_pem_der(pem: &str) -> Result<Vec<u8>, BoxError> {
    let (_, parsed) = x509_parser::pem::parse_x509_pem(pem.as_bytes())?;
    Ok(parsed.contents)
}

fn header(res: &reqwest::Response, name: &str) -> String {
    res.headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}

#[tokio::test]
async fn issued_certificates_work_over_mtls_until_revoked() -> TestResult {
    let tls = Pki::new()?;
    let server = tls_pki_server(&tls).await?;
    let anon = tls.client(None)?;

    // The first registration creates the CA and, with no FLASKPASTE_ADMINS, is the admin.
    let res = anon.post(server.url("/register")).send().await?;
    assert_eq!(res.status(), 200);
    assert_eq!(header(&res, "content-type"), "application/x-pkcs12");
    assert_eq!(header(&res, "x-is-admin"), "1");
    let fp = header(&res, "x-fingerprint-sha1");
    let admin = from_p12(&res.bytes().await?)?;
    assert_eq!(admin.sha1(), fp);
    let as_admin = tls.client(Some(&admin))?;

    // Our certificate is accepted by native mTLS and gets the longest expiry tier (30 days).
    let created: Value = as_admin
        .post(server.url("/"))
        .body("from our PKI")
        .send()
        .await?
        .json()
        .await?;
    assert_eq!(s(&created, "owner"), fp);
    let lifetime =
        created["expires_at"].as_i64().unwrap_or(0) - created["created_at"].as_i64().unwrap_or(0);
    assert_eq!(lifetime, 30 * 86_400, "tier of certificates from this PKI");

    // A second registration is not admin; it may not issue or revoke.
    let res = anon.post(server.url("/register")).send().await?;
    assert_eq!(header(&res, "x-is-admin"), "0");
    let carol = from_p12(&res.bytes().await?)?;
    let as_carol = tls.client(Some(&carol))?;
    let body = json!({"common_name": "mallory"});
    problem(
        as_carol
            .post(server.url("/pki/issue"))
            .json(&body)
            .send()
            .await?,
        403,
        "admin_required",
    )
    .await?;
    problem(
        anon.post(server.url("/pki/issue"))
            .json(&body)
            .send()
            .await?,
        401,
        "authentication_required",
    )
    .await?;
    problem(
        as_carol
            .post(server.url("/pki/revoke"))
            .json(&json!({"serial": "4000"}))
            .send()
            .await?,
        403,
        "admin_required",
    )
    .await?;

    // The admin issues bob a certificate; bob is accepted.
    let res = as_admin
        .post(server.url("/pki/issue"))
        .json(&json!({"common_name": "bob"}))
        .send()
        .await?;
    assert_eq!(res.status(), 201);
    let issued: Value = res.json().await?;
    assert_eq!(issued["is_admin"], false);
    let bob = issued_identity(&issued)?;
    assert_eq!(bob.sha1(), s(&issued, "fingerprint_sha1"));
    let res = tls
        .client(Some(&bob))?
        .post(server.url("/"))
        .body("bob's")
        .send()
        .await?;
    assert_eq!(res.status(), 201);

    // Revoked: the next handshake is refused, without a restart; others are unaffected.
    let res = as_admin
        .post(server.url("/pki/revoke"))
        .json(&json!({"serial": s(&issued, "serial").to_uppercase()}))
        .send()
        .await?;
    assert_eq!(res.status(), 200, "{}", res.text().await?);
    let refused = tls.client(Some(&bob))?.get(server.url("/")).send().await;
    assert!(
        refused.is_err(),
        "a revoked certificate must fail the handshake"
    );
    let res = tls
        .client(Some(&carol))?
        .get(server.url("/"))
        .send()
        .await?;
    assert_eq!(res.status(), 200);
    problem(
        as_admin
            .post(server.url("/pki/revoke"))
            .json(&json!({"serial": s(&issued, "serial")}))
            .send()
            .await?,
        409,
        "already_revoked",
    )
    .await?;

    // The CRL lists it, for nginx.
    let crl_pem = anon
        .get(server.url("/pki/crl"))
        .send()
        .await?
        .text()
        .await?;
    let (_, pem) = x509_parser::pem::parse_x509_pem(crl_pem.as_bytes())?;
    assert_eq!(pem.label, "X509 CRL");
    let (_, crl) = x509_parser::revocation_list::CertificateRevocationList::from_der(&pem.contents)
        .map_err(|e| format!("{e}"))?;
    let listed: Vec<String> = crl
        .iter_revoked_certificates()
        .map(|r| hex::encode(r.raw_serial()))
        .collect();
    assert_eq!(listed, vec![s(&issued, "serial")]);

    let status: Value = anon
        .get(server.url("/pki/status"))
        .send()
        .await?
        .json()
        .await?;
    assert_eq!(status["issued"], 3);
    assert_eq!(status["revoked"], 1);
    Ok(())
}
