//! CSR signing, the registration proof of work, a disabled PKI, and revocation seen through
//! a trusted proxy.

use std::sync::atomic::AtomicBool;

use paste_api::Challenge;
use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, KeyPair};
use serde_json::{Value, json};

use crate::pki::{from_p12, pki_on};
use crate::support::{Server, TestResult, http, problem, s};

fn solve(c: &Challenge) -> String {
    let stop = AtomicBool::new(false);
    paste_api::pow::solve_strided(&c.nonce, c.difficulty, 0, 1, u64::MAX, &stop)
        .map(|n| n.to_string())
        .unwrap_or_default()
}

fn csr(cn: &str, ca: bool) -> Result<(String, KeyPair), rcgen::Error> {
    let key = KeyPair::generate()?;
    let mut params = CertificateParams::new(Vec::<String>::new())?;
    params.distinguished_name.push(DnType::CommonName, cn);
    if ca {
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    }
    Ok((params.serialize_request(&key)?.pem()?, key))
}

#[tokio::test]
async fn csr_is_signed_for_the_clients_own_key() -> TestResult {
    let server = Server::start(|c| c.pki = pki_on(0)).await?;
    let client = http();
    let (pem, key) = csr("alice", true)?;
    let res = client
        .post(server.url("/csr"))
        .header("content-type", "application/x-pem-file")
        .body(pem)
        .send()
        .await?;
    assert_eq!(res.status(), 200);
    let h = |n: &str| {
        res.headers()
            .get(n)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    };
    let (fp, serial, admin, expires) = (
        h("x-fingerprint-sha1"),
        h("x-certificate-serial"),
        h("x-is-admin"),
        h("x-certificate-expires"),
    );
    assert_eq!(h("content-type"), "application/x-pem-file");
    let cert_pem = res.text().await?;
    let (_, pem) = x509_parser::pem::parse_x509_pem(cert_pem.as_bytes())?;
    let cert = pem.parse_x509()?;
    assert_eq!(platform::tls::fingerprint_sha1(&pem.contents), fp);
    assert_eq!(hex::encode(cert.raw_serial()), serial);
    assert_eq!(admin, "1", "first certificate with no configured admins");
    assert_eq!(cert.validity().not_after.timestamp().to_string(), expires);
    assert_eq!(
        cert.public_key().subject_public_key.data.as_ref(),
        key.public_key_raw(),
        "signed for the CSR's key"
    );
    assert!(
        !cert.is_ca(),
        "a CSR asking for a CA gets a client certificate"
    );
    let ca_pem = client
        .get(server.url("/pki/ca.crt"))
        .send()
        .await?
        .text()
        .await?;
    let (_, ca) = x509_parser::pem::parse_x509_pem(ca_pem.as_bytes())?;
    assert_eq!(cert.issuer(), ca.parse_x509()?.subject());
    assert!(cert.subject().to_string().contains("alice"));

    problem(
        client
            .post(server.url("/csr"))
            .body("not a csr")
            .send()
            .await?,
        400,
        "invalid_csr",
    )
    .await?;
    let (nameless, _) = csr("", false)?;
    problem(
        client
            .post(server.url("/csr"))
            .body(nameless)
            .send()
            .await?,
        400,
        "invalid_csr",
    )
    .await?;
    let huge = "A".repeat(20 * 1024);
    let res = client.post(server.url("/csr")).body(huge).send().await?;
    assert_eq!(res.status(), 413);
    Ok(())
}

#[tokio::test]
async fn registration_needs_its_own_proof_of_work() -> TestResult {
    let server = Server::start(|c| {
        c.pki = pki_on(8);
        c.pow_difficulty = 8;
    })
    .await?;
    let client = http();
    let challenge: Challenge = client
        .get(server.url("/register/challenge"))
        .send()
        .await?
        .json()
        .await?;
    assert!(challenge.enabled);
    assert_eq!(challenge.difficulty, 8);
    problem(
        client.post(server.url("/register")).send().await?,
        400,
        "pow_required",
    )
    .await?;
    // A paste challenge, as hard, is signed with another key: never spent on a certificate.
    let paste: Challenge = client
        .get(server.url("/challenge"))
        .send()
        .await?
        .json()
        .await?;
    problem(
        client
            .post(server.url("/register"))
            .header("x-pow-token", &paste.token)
            .header("x-pow-solution", solve(&paste))
            .send()
            .await?,
        400,
        "pow_invalid",
    )
    .await?;
    let res = client
        .post(server.url("/register"))
        .header("x-pow-token", &challenge.token)
        .header("x-pow-solution", solve(&challenge))
        .json(&json!({"common_name": "dave"}))
        .send()
        .await?;
    assert_eq!(res.status(), 200);
    let id = from_p12(&res.bytes().await?)?;
    assert!(id.cert_pem.contains("BEGIN CERTIFICATE"));
    Ok(())
}

#[tokio::test]
async fn disabled_pki_says_so() -> TestResult {
    let server = Server::start(|_| {}).await?;
    let client = http();
    let status: Value = client
        .get(server.url("/pki/status"))
        .send()
        .await?
        .json()
        .await?;
    assert_eq!(
        status,
        json!({"enabled": false, "ca_exists": false, "issued": 0, "revoked": 0, "cert_days": 0})
    );
    for path in ["/register", "/csr", "/pki/ca"] {
        problem(
            client.post(server.url(path)).send().await?,
            404,
            "pki_disabled",
        )
        .await?;
    }
    Ok(())
}

#[tokio::test]
async fn revoked_fingerprints_are_refused_even_through_a_proxy() -> TestResult {
    let server = Server::start(|c| {
        c.pki = pki_on(0);
        c.trust_proxy = true;
    })
    .await?;
    let client = http();
    let admin = from_p12(
        &client
            .post(server.url("/register"))
            .send()
            .await?
            .bytes()
            .await?,
    )?;
    let res = client.post(server.url("/register")).send().await?;
    let serial = res
        .headers()
        .get("x-certificate-serial")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let user = from_p12(&res.bytes().await?)?;
    let as_user = |req: reqwest::RequestBuilder| req.header("x-ssl-client-sha1", user.sha1());
    let created: Value = as_user(client.post(server.url("/")))
        .body("x")
        .send()
        .await?
        .json()
        .await?;
    assert_eq!(s(&created, "owner"), user.sha1());
    let res = client
        .post(server.url("/pki/revoke"))
        .header("x-ssl-client-sha1", admin.sha1())
        .json(&json!({ "serial": serial }))
        .send()
        .await?;
    assert_eq!(
        res.status(),
        200,
        "a PKI admin vouched for by the proxy may revoke"
    );
    problem(
        as_user(client.post(server.url("/")))
            .body("y")
            .send()
            .await?,
        403,
        "certificate_revoked",
    )
    .await?;
    Ok(())
}

#[tokio::test]
async fn creating_the_ca_needs_an_admin_once_admins_exist() -> TestResult {
    let admin = "ab".repeat(20);
    let server = Server::start(|c| {
        c.pki = pki_on(0);
        c.admins = vec![admin];
    })
    .await?;
    let client = http();
    // Through a proxy (a forwarding header) an anonymous caller is refused...
    problem(
        client
            .post(server.url("/pki/ca"))
            .header("x-forwarded-for", "203.0.113.7")
            .send()
            .await?,
        401,
        "authentication_required",
    )
    .await?;
    // ...while a process on this host talking to fpasted directly may (the CRL job).
    let res = client.post(server.url("/pki/ca")).send().await?;
    assert_eq!(res.status(), 201);
    // With FLASKPASTE_ADMINS set, the first registration is no admin.
    let res = client.post(server.url("/register")).send().await?;
    assert_eq!(
        res.headers()
            .get("x-is-admin")
            .and_then(|v| v.to_str().ok()),
        Some("0")
    );
    Ok(())
}

/// A common name beyond the Basic Multilingual Plane is valid for the certificate; the
/// bundle's BMPString label must not turn it into a 500 (schemathesis found this).
#[tokio::test]
async fn registration_takes_a_common_name_beyond_the_bmp() -> TestResult {
    let server = Server::start(|c| c.pki = pki_on(0)).await?;
    let res = http()
        .post(server.url("/register"))
        .json(&json!({"common_name": "\u{76577}\u{e0}\u{12c}]\u{9fb97}\u{134}"}))
        .send()
        .await?;
    assert_eq!(res.status(), 200);
    from_p12(&res.bytes().await?)?;
    Ok(())
}
