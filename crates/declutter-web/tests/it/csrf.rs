//! CSRF: synchronizer token and Origin check on every cookie-authenticated state change.

use crate::support::{TestApp, TestResult};

#[tokio::test]
async fn state_changes_need_token_and_origin() -> TestResult {
    let app = TestApp::start().await?;
    let b = app.user("h@example.com", "H").await?;
    let token = b.csrf("/account").await?;
    let form = |csrf: Option<&str>| {
        let mut f = vec![
            ("current", "correct horse battery staple".to_owned()),
            ("new", "another long passphrase".to_owned()),
        ];
        if let Some(c) = csrf {
            f.push(("csrf", c.to_owned()));
        }
        f
    };
    let post =
        |f: Vec<(&'static str, String)>| b.client.post(b.url("/account/password")).form(&f).send();
    let res = post(form(None)).await?;
    assert_eq!(res.status(), 403, "missing token");
    assert_eq!(
        res.headers()["content-type"],
        "text/html; charset=utf-8",
        "browser routes get an HTML error page"
    );
    let html = res.text().await?;
    assert!(
        html.contains("Code: csrf_token") && html.contains("request id: "),
        "code and request id shown"
    );
    assert_eq!(
        post(form(Some("wrong-token"))).await?.status(),
        403,
        "wrong token"
    );
    // Right token, foreign Origin.
    let res = b
        .client
        .post(b.url("/account/password"))
        .header("origin", "http://evil.example")
        .form(&form(Some(&token)))
        .send()
        .await?;
    assert_eq!(res.status(), 403, "origin mismatch");
    // Right token, no Origin and no Referer at all (a plain client with the cookie copied).
    let cookie = format!("__Host-declutter={}", session_value(&app).await?);
    let res = app
        .plain()?
        .post(b.url("/account/password"))
        .header("cookie", cookie)
        .form(&form(Some(&token)))
        .send()
        .await?;
    assert_eq!(res.status(), 403, "no origin");
    // The right token from the right origin works (and is the control for the cases above).
    assert_eq!(post(form(Some(&token))).await?.status(), 303);
    // A token in the header works for scripts; bad header token is refused.
    let res = b
        .client
        .post(b.url("/api/tokens"))
        .header("x-csrf-token", "nope")
        .send()
        .await?;
    assert_eq!(res.status(), 403);
    Ok(())
}

/// Every state-changing route of the table, as a signed-in admin (so the access check lets
/// each through) from our own Origin, without a token: all refused for CSRF before any handler
/// runs. A route added with a method that skips the check fails here.
#[tokio::test]
async fn every_state_changing_route_refuses_a_missing_token() -> TestResult {
    let app = TestApp::start().await?;
    let admin = app.user("admin@example.com", "Admin").await?;
    let me = crate::cleanup::my_id(&admin).await?;
    let mut tried = 0;
    for (method, path, _) in declutter_web::router::table() {
        // Chosen here, not by the rule under test: everything but reads changes state.
        if method == http::Method::GET || method == http::Method::HEAD {
            continue;
        }
        let url = path
            .replace("{id}", &me)
            .replace("{provider}", "google")
            .replace("{file}", "nothing.css");
        let m = reqwest::Method::from_bytes(method.as_str().as_bytes())?;
        let res = admin
            .client
            .request(m, admin.url(&url))
            .form(&[("role", "user"), ("password", crate::support::PASSWORD)])
            .send()
            .await?;
        let status = res.status();
        let body = res.text().await?;
        assert_eq!(status, 403, "{method} {path} without a token: {body}");
        assert!(body.contains("csrf_token"), "{method} {path}: {body}");
        tried += 1;
    }
    assert!(tried >= 20, "only {tried} state-changing routes");
    // Nothing of that took effect: still signed in, still admin.
    let me: serde_json::Value = admin.get("/api/me").await?.json().await?;
    assert_eq!(me["role"], "admin");
    Ok(())
}

async fn session_value(app: &TestApp) -> TestResult<String> {
    // Sign in again on a plain client to learn a session value we can replay by hand.
    let c = app.plain()?;
    let csrf = "x".repeat(40);
    let res = c
        .post(app.url("/login"))
        .header("origin", &app.base)
        .header("cookie", format!("__Host-declutter-csrf={csrf}"))
        .form(&[
            ("email", "h@example.com"),
            ("password", crate::support::PASSWORD),
            ("csrf", csrf.as_str()),
        ])
        .send()
        .await?;
    let v = crate::support::set_cookie(&res, "__Host-declutter").ok_or("no cookie")?;
    Ok(v.trim_start_matches("__Host-declutter=")
        .split(';')
        .next()
        .unwrap_or_default()
        .to_owned())
}

#[tokio::test]
async fn sign_in_form_needs_its_pre_session_token() -> TestResult {
    let app = TestApp::start().await?;
    app.user("i@example.com", "I").await?;
    let c = app.plain()?;
    let res = c
        .post(app.url("/login"))
        .header("origin", &app.base)
        .form(&[
            ("email", "i@example.com"),
            ("password", crate::support::PASSWORD),
            ("csrf", "guess"),
        ])
        .send()
        .await?;
    assert_eq!(
        res.status(),
        403,
        "login CSRF: no matching pre-session cookie"
    );
    Ok(())
}

#[tokio::test]
async fn cors_is_closed_by_default() -> TestResult {
    let app = TestApp::start().await?;
    let res = app
        .plain()?
        .request(reqwest::Method::OPTIONS, app.url("/api/me"))
        .header("origin", "http://evil.example")
        .header("access-control-request-method", "GET")
        .send()
        .await?;
    assert!(!res.headers().contains_key("access-control-allow-origin"));
    Ok(())
}

#[tokio::test]
async fn next_never_leaves_the_site() -> TestResult {
    let app = TestApp::start().await?;
    app.user("j@example.com", "J").await?;
    for (next, expect) in [
        ("https://evil.example/", "/dashboard"),
        ("//evil.example/x", "/dashboard"),
        ("/\\evil.example", "/dashboard"),
        ("javascript:alert(1)", "/dashboard"),
        ("/account?tab=1", "/account?tab=1"),
    ] {
        let b = app.browser()?;
        let res = b
            .login("j@example.com", crate::support::PASSWORD, Some(next))
            .await?;
        assert_eq!(res.status(), 303);
        assert_eq!(crate::support::location(&res), expect, "next={next}");
    }
    Ok(())
}
