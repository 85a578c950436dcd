//! Sign in with Google and Microsoft against the fake provider.

use declutter_web::config::OidcSettings;
use secrecy::SecretString;

use crate::fake_oidc::{FakeOidc, Knobs};
use crate::support::{Browser, Options, TestApp, TestResult, location};

async fn app_with(microsoft: bool) -> TestResult<(TestApp, FakeOidc)> {
    let fake = FakeOidc::start(microsoft).await?;
    let settings = OidcSettings {
        client_id: "declutter-test".into(),
        client_secret: SecretString::from("test-secret".to_owned()),
        issuer: fake.configured_issuer(),
    };
    let o = if microsoft {
        Options {
            microsoft: Some(settings),
            ..Default::default()
        }
    } else {
        Options {
            google: Some(settings),
            ..Default::default()
        }
    };
    Ok((TestApp::start_with(o).await?, fake))
}

/// Follows start → provider → callback; returns the callback response.
async fn flow(b: &Browser, provider: &str, tamper_state: bool) -> TestResult<reqwest::Response> {
    let res = b
        .get(&format!("/auth/{provider}/start?next=/account"))
        .await?;
    assert_eq!(res.status(), 303);
    let authorize = location(&res);
    let res = b.client.get(&authorize).send().await?;
    assert_eq!(res.status(), 303, "fake provider consents");
    let mut callback = location(&res);
    if tamper_state {
        callback = callback.replace("state=", "state=x");
    }
    Ok(b.client.get(&callback).send().await?)
}

#[tokio::test]
async fn google_happy_path_then_returning_user() -> TestResult {
    let (app, fake) = app_with(false).await?;
    let b = app.browser()?;
    assert!(b.text("/login").await?.contains("Sign in with Google"));
    let res = flow(&b, "google", false).await?;
    assert_eq!(res.status(), 303);
    assert_eq!(location(&res), "/account");
    assert_eq!(fake.pkce_checked(), 1, "the token endpoint verified PKCE");
    let me: serde_json::Value = b.get("/api/me").await?.json().await?;
    assert_eq!(me["email"], "fed@example.com");
    let html = b.text("/account").await?;
    assert!(html.contains("Fed &#60;i&#62;User&#60;/i&#62;"));
    // Signing in again finds the same account through (issuer, subject).
    let again = app.browser()?;
    assert_eq!(flow(&again, "google", false).await?.status(), 303);
    let me2: serde_json::Value = again.get("/api/me").await?.json().await?;
    assert_eq!(me["id"], me2["id"]);
    Ok(())
}

#[tokio::test]
async fn microsoft_multi_tenant_issuer_is_checked_against_tid() -> TestResult {
    let (app, fake) = app_with(true).await?;
    let b = app.browser()?;
    assert_eq!(
        flow(&b, "microsoft", false).await?.status(),
        303,
        "issuer built from tid"
    );
    let b = app.browser()?;
    fake.set(Knobs {
        tid: Some("00000000-0000-0000-0000-000000000bad".into()),
        ..Knobs::default()
    });
    assert_eq!(
        flow(&b, "microsoft", false).await?.status(),
        422,
        "tid does not match the issuer"
    );
    assert_eq!(b.get("/dashboard").await?.status(), 303);
    Ok(())
}

#[tokio::test]
async fn wrong_nonce_state_or_issuer_is_refused() -> TestResult {
    let (app, fake) = app_with(false).await?;
    let b = app.browser()?;
    assert_eq!(flow(&b, "google", true).await?.status(), 422, "state");
    fake.set(Knobs {
        nonce: Some("replayed".into()),
        ..Knobs::default()
    });
    assert_eq!(flow(&b, "google", false).await?.status(), 422, "nonce");
    fake.set(Knobs {
        issuer: Some("https://evil.example".into()),
        ..Knobs::default()
    });
    assert_eq!(flow(&b, "google", false).await?.status(), 422, "issuer");
    fake.set(Knobs::default());
    // A callback in another browser (no binding cookie) is refused even with a valid state.
    let res = b.get("/auth/google/start").await?;
    let res = b.client.get(location(&res)).send().await?;
    let stranger = app.browser()?;
    assert_eq!(
        stranger.client.get(location(&res)).send().await?.status(),
        422,
        "flow bound to its browser"
    );
    assert_eq!(
        b.get("/dashboard").await?.status(),
        303,
        "none of these signed in"
    );
    Ok(())
}

/// Each ID-token check, broken one at a time by the fake provider, between sign-ins that work
/// (the control): a forged signature, an algorithm outside the allow-list with a key the JWKS
/// does publish, another audience, an expired token.
#[tokio::test]
async fn forged_foreign_algorithm_wrong_audience_or_expired_tokens_are_refused() -> TestResult {
    let (app, fake) = app_with(false).await?;
    assert_eq!(flow(&app.browser()?, "google", false).await?.status(), 303);
    let cases = [
        (
            "signature",
            Knobs {
                rogue_key: true,
                ..Knobs::default()
            },
        ),
        (
            "algorithm",
            Knobs {
                eddsa: true,
                ..Knobs::default()
            },
        ),
        (
            "audience",
            Knobs {
                audience: Some("another-client".into()),
                ..Knobs::default()
            },
        ),
        (
            // Past the 60 s leeway.
            "expiry",
            Knobs {
                expires_in: Some(-120),
                ..Knobs::default()
            },
        ),
    ];
    for (what, knobs) in cases {
        fake.set(knobs);
        let b = app.browser()?;
        assert_eq!(flow(&b, "google", false).await?.status(), 422, "{what}");
        assert_eq!(b.get("/dashboard").await?.status(), 303, "{what} signed in");
        fake.set(Knobs::default());
        let control = app.browser()?;
        assert_eq!(
            flow(&control, "google", false).await?.status(),
            303,
            "control after {what}"
        );
    }
    Ok(())
}

#[tokio::test]
async fn a_sign_in_started_on_one_instance_finishes_on_another() -> TestResult {
    let fake = FakeOidc::start(false).await?;
    let settings = || OidcSettings {
        client_id: "declutter-test".into(),
        client_secret: SecretString::from("test-secret".to_owned()),
        issuer: fake.configured_issuer(),
    };
    let first = TestApp::start_with(Options {
        google: Some(settings()),
        ..Default::default()
    })
    .await?;
    let second = first
        .second_instance(Options {
            google: Some(settings()),
            ..Default::default()
        })
        .await?;
    let b = first.browser()?;
    let res = b.get("/auth/google/start?next=/account").await?;
    assert_eq!(res.status(), 303);
    let res = b.client.get(location(&res)).send().await?;
    assert_eq!(res.status(), 303, "fake provider consents");
    // The load balancer sends the callback to the other instance.
    let callback = location(&res).replacen(&first.base, &second.base, 1);
    assert!(callback.starts_with(&second.base), "{callback}");
    let res = b.client.get(&callback).send().await?;
    assert_eq!(res.status(), 303, "the second instance finished the flow");
    assert_eq!(location(&res), "/account");
    let on_second = Browser {
        client: b.client.clone(),
        base: second.base.clone(),
    };
    let me: serde_json::Value = on_second.get("/api/me").await?.json().await?;
    assert_eq!(me["email"], "fed@example.com");
    // The flow was taken: replaying the callback on the first instance is refused.
    let replay = callback.replacen(&second.base, &first.base, 1);
    assert_eq!(b.client.get(&replay).send().await?.status(), 422);
    Ok(())
}
