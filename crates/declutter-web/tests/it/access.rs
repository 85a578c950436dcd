//! Every route in the table, tried as anonymous, as a plain user, and as the wrong user.

use declutter_web::auth::access::Access;
use declutter_web::router::table;
use platform_db::sql::RusqliteLike as _;
use reqwest::Method;

use crate::support::{TestApp, TestResult};

fn concrete(path: &str, id: &str) -> String {
    path.replace("{id}", id)
        .replace("{provider}", "google")
        .replace("{file}", "nothing.css")
}

#[tokio::test]
async fn every_route_denies_unless_allowed() -> TestResult {
    let app = TestApp::start().await?;
    let admin = app.user("admin@example.com", "Admin").await?;
    let user = app.user("user@example.com", "User").await?;
    let me: serde_json::Value = admin.get("/api/me").await?.json().await?;
    let admin_id = me["id"].as_str().ok_or("id")?.to_owned();
    let anon = app.browser()?;
    let routes = table();
    assert!(routes.len() >= 25);
    for (method, path, access) in routes {
        let url = concrete(path, &admin_id);
        let m = Method::from_bytes(method.as_str().as_bytes())?;
        let res = anon
            .client
            .request(m.clone(), anon.url(&url))
            .send()
            .await?;
        let s = res.status().as_u16();
        match access {
            // Public routes never ask who is calling; a state change from a stranger still
            // needs the pre-session CSRF token, so its 403 must be the CSRF refusal.
            Access::Public => {
                let body = res.text().await?;
                let csrf_refusal = s == 403 && body.contains("csrf_token") && m != Method::GET;
                assert!(
                    s != 401 && (s != 403 || csrf_refusal),
                    "{method} {path} public got {s}: {body}"
                );
            }
            _ if m == Method::GET && !path.starts_with("/api/") => {
                assert_eq!(s, 303, "{method} {path} anonymous");
                assert!(crate::support::location(&res).starts_with("/login?next="));
            }
            _ => assert_eq!(s, 401, "{method} {path} anonymous"),
        }
        if access == Access::Admin {
            let token = user.csrf("/account").await?;
            let res = user
                .client
                .request(m, user.url(&url))
                .form(&[("csrf", token.as_str()), ("role", "admin")])
                .send()
                .await?;
            assert_eq!(res.status(), 403, "{method} {path} as a non-admin");
        }
    }
    // The user did not become admin through any of that, and the admin was not deleted.
    let me: serde_json::Value = user.get("/api/me").await?.json().await?;
    assert_eq!(me["role"], "user");
    assert_eq!(admin.get("/admin/users").await?.status(), 200);
    Ok(())
}

#[tokio::test]
async fn owners_only_touch_their_own_connections() -> TestResult {
    let app = TestApp::start().await?;
    let a = app.user("a@example.com", "A").await?;
    let b = app.user("b@example.com", "B").await?;
    let a_id = a.get("/api/me").await?.json::<serde_json::Value>().await?["id"]
        .as_str()
        .ok_or("id")?
        .to_owned();
    let conn = declutter_web::cloud::save_connection(
        &app.vault(),
        &a_id,
        "gdrive",
        "a@gmail.example",
        "drive.metadata.readonly",
        &"secret-refresh-a".to_owned().into(),
    )
    .await?;
    let listed: Vec<serde_json::Value> = b.get("/api/connections").await?.json().await?;
    assert!(listed.is_empty(), "B sees none of A's connections");
    let res = b
        .client
        .delete(b.url(&format!("/api/connections/{conn}")))
        .header("x-csrf-token", b.csrf("/account").await?)
        .send()
        .await?;
    assert_eq!(res.status(), 404, "B cannot delete A's connection");
    let listed: Vec<serde_json::Value> = a.get("/api/connections").await?.json().await?;
    assert_eq!(listed.len(), 1);
    assert!(
        !serde_json::to_string(&listed)?.contains("secret-refresh-a"),
        "tokens never reach the browser"
    );
    let res = a
        .client
        .delete(a.url(&format!("/api/connections/{conn}")))
        .header("x-csrf-token", a.csrf("/account").await?)
        .send()
        .await?;
    assert_eq!(res.status(), 204);
    assert_eq!(
        app.revoked.0.lock().map_err(|_| "poisoned")?.len(),
        1,
        "disconnect revokes at the provider"
    );
    // B's audit log does not show A's actions.
    let audit: Vec<serde_json::Value> = b.get("/api/audit").await?.json().await?;
    assert!(audit.iter().all(|e| e["actor_email"] == "b@example.com"));
    Ok(())
}

#[tokio::test]
async fn admins_manage_roles_but_not_the_last_admin() -> TestResult {
    let app = TestApp::start().await?;
    let admin = app.user("root@example.com", "Root").await?;
    let user = app.user("u@example.com", "U").await?;
    let uid = user
        .get("/api/me")
        .await?
        .json::<serde_json::Value>()
        .await?["id"]
        .as_str()
        .ok_or("id")?
        .to_owned();
    let aid = admin
        .get("/api/me")
        .await?
        .json::<serde_json::Value>()
        .await?["id"]
        .as_str()
        .ok_or("id")?
        .to_owned();
    let res = admin
        .submit(
            "/admin/users",
            &format!("/admin/users/{aid}/role"),
            &[("role", "user")],
        )
        .await?;
    assert_eq!(res.status(), 409, "the last admin stays admin");
    let res = admin
        .submit(
            "/admin/users",
            &format!("/admin/users/{uid}/role"),
            &[("role", "admin")],
        )
        .await?;
    assert_eq!(res.status(), 303);
    assert_eq!(
        user.get("/admin/users").await?.status(),
        200,
        "promotion takes effect"
    );
    let users: Vec<serde_json::Value> = admin.get("/api/admin/users").await?.json().await?;
    assert_eq!(users.len(), 2);
    Ok(())
}

/// Every `{id}` route of the engine's resources, tried by B against A's ids: all 404, and
/// B's lists show nothing of A's. A route added to the table without a mapping here fails.
#[tokio::test]
async fn every_owned_resource_route_refuses_the_wrong_user() -> TestResult {
    use crate::cleanup::{make_folder, scanned_and_applied};
    let app = TestApp::start().await?;
    let a = app.user("a@example.com", "A").await?;
    let b = app.user("b@example.com", "B").await?;
    let dir = app.roots.join("a-photos");
    make_folder(&dir)?;
    let owned = scanned_and_applied(&a, &a, &dir).await?;
    let trash_id = owned.trash.first().copied().ok_or("trash")?.to_string();
    let a_id = crate::cleanup::my_id(&a).await?;
    let file_id: i64 = app
        .state
        .pool
        .read(move |c| {
            c.query_row(
                "SELECT id FROM files WHERE user_id = ?1 ORDER BY id LIMIT 1",
                [a_id],
                |r| r.get(0),
            )
        })
        .await??;
    let a_id = crate::cleanup::my_id(&a).await?;
    let connection = declutter_web::cloud::save_connection(
        &app.vault(),
        &a_id,
        "gdrive",
        "default",
        declutter_web::connect::GOOGLE_READ,
        &secrecy::SecretString::from("tok-a".to_owned()),
    )
    .await?
    .to_string();
    let token = b.csrf("/account").await?;
    let mut tried = 0;
    for (method, path, access) in table() {
        // `/connections/{provider}/…` carry no id: their flow state is bound to the account
        // and session (connections::state_must_match_this_session_and_is_single_use).
        if access != Access::User || !path.contains("{id}") {
            continue;
        }
        let id = if path.contains("/connections/") || path.contains("/drives/") {
            connection.clone()
        } else if path.contains("/sources/") {
            owned.source.to_string()
        } else if path.contains("/scans/") {
            owned.job.to_string()
        } else if path.contains("/plans/") {
            owned.plan.to_string()
        } else if path.contains("/trash/") {
            trash_id.clone()
        } else if path.contains("/files/") {
            file_id.to_string()
        } else if path.contains("/jobs/") {
            owned.applied.to_string()
        } else {
            return Err(format!("{method} {path}: add an owner check to this test").into());
        };
        let m = Method::from_bytes(method.as_str().as_bytes())?;
        let res = b
            .client
            .request(m, b.url(&path.replace("{id}", &id)))
            .header("x-csrf-token", &token)
            .form(&[("csrf", token.as_str())])
            .send()
            .await?;
        assert_eq!(res.status(), 404, "{method} {path} as the wrong user");
        tried += 1;
    }
    assert!(tried >= 12, "only {tried} owned routes tried");
    for list in [
        "/api/sources",
        "/api/dupes",
        "/api/trash",
        "/api/report",
        "/api/usage",
    ] {
        let body = b.text(list).await?;
        assert!(
            !body.contains("a-photos"),
            "{list} leaks A's files to B: {body}"
        );
    }
    for page in ["/sources", "/dupes", "/trash", "/report", "/dashboard"] {
        assert!(
            !b.text(page).await?.contains("a-photos"),
            "{page} leaks A's files"
        );
    }
    // None of B's attempts changed A's state.
    let trash: Vec<serde_json::Value> = a.get("/api/trash").await?.json().await?;
    assert_eq!(trash.len(), 2);
    assert!(!dir.join("a (1).jpg").exists(), "B's restore did nothing");
    let conns: Vec<serde_json::Value> = a.get("/api/connections").await?.json().await?;
    assert_eq!(conns.len(), 1, "B's disconnect did nothing");
    assert!(app.revoked.0.lock().map_err(|_| "poisoned")?.is_empty());
    Ok(())
}
