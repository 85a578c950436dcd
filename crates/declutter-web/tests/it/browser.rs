//! Real-browser journey in Debian's chromium, driven over the W3C WebDriver protocol by
//! chromedriver: sign up → sign out → sign in → connect the fake Google Drive → scan it → see
//! its duplicates, on the plain-HTTP loopback default. Proves that
//! Chromium accepts the `Secure`, `__Host-` session cookie on http://127.0.0.1 (a secure
//! context) and that the pages work with the strict CSP. Skipped, loudly, when chromedriver is
//! not installed, except under `CI=true`, where that fails (see CI-NEEDS.md).

use std::process::Stdio;
use std::time::Duration;

use serde_json::{Value, json};

use crate::support::{PASSWORD, TestApp, TestResult};

const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
const CHROMIUM: &str = "/usr/bin/chromium";
const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

pub struct Driver {
    http: reqwest::Client,
    session: String,
    base: String,
}

impl Driver {
    pub async fn cmd(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> TestResult<Value> {
        let url = format!("{}/session/{}{path}", self.base, self.session);
        let mut req = self.http.request(method, url);
        if let Some(b) = body {
            req = req.json(&b);
        }
        let v: Value = req.send().await?.json().await?;
        Ok(v["value"].clone())
    }

    pub async fn go(&self, url: &str) -> TestResult {
        self.cmd(reqwest::Method::POST, "/url", Some(json!({"url": url})))
            .await?;
        Ok(())
    }

    pub async fn find(&self, css: &str) -> TestResult<String> {
        let v = self
            .cmd(
                reqwest::Method::POST,
                "/element",
                Some(json!({"using": "css selector", "value": css})),
            )
            .await?;
        Ok(v[ELEMENT]
            .as_str()
            .ok_or_else(|| format!("no element {css}: {v}"))?
            .to_owned())
    }

    pub async fn fill(&self, css: &str, text: &str) -> TestResult {
        let e = self.find(css).await?;
        self.cmd(
            reqwest::Method::POST,
            &format!("/element/{e}/value"),
            Some(json!({"text": text})),
        )
        .await?;
        Ok(())
    }

    pub async fn click(&self, css: &str) -> TestResult {
        let e = self.find(css).await?;
        self.cmd(
            reqwest::Method::POST,
            &format!("/element/{e}/click"),
            Some(json!({})),
        )
        .await?;
        Ok(())
    }

    /// Saves a PNG when `DECLUTTER_SCREENSHOT_DIR` is set (for looking at the pages by eye).
    pub async fn shot(&self, name: &str) -> TestResult {
        let Ok(dir) = std::env::var("DECLUTTER_SCREENSHOT_DIR") else {
            return Ok(());
        };
        use base64::Engine as _;
        let v = self.cmd(reqwest::Method::GET, "/screenshot", None).await?;
        let png =
            base64::engine::general_purpose::STANDARD.decode(v.as_str().unwrap_or_default())?;
        std::fs::write(std::path::Path::new(&dir).join(format!("{name}.png")), png)?;
        Ok(())
    }

    /// Waits until the current page's source contains `text`.
    pub async fn shows(&self, text: &str) -> TestResult {
        let mut html = Value::Null;
        for _ in 0..50 {
            html = self.cmd(reqwest::Method::GET, "/source", None).await?;
            if html.as_str().is_some_and(|s| s.contains(text)) {
                return Ok(());
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        Err(format!(
            "page never showed {text:?}: {}",
            html.as_str().unwrap_or_default()
        )
        .into())
    }

    /// Accepts the `confirm()` a destructive form asks (app.js) once it is open.
    pub async fn accept_confirm(&self) -> TestResult {
        for _ in 0..50 {
            let text = self.cmd(reqwest::Method::GET, "/alert/text", None).await?;
            if text.is_string() {
                self.cmd(reqwest::Method::POST, "/alert/accept", Some(json!({})))
                    .await?;
                return Ok(());
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        Err("no confirmation dialog opened".into())
    }

    /// The body of a same-origin GET made by the page (with its cookies), from `/api/docs`,
    /// the one page whose CSP allows `connect-src 'self'`.
    pub async fn fetch_text(&self, app: &TestApp, path: &str) -> TestResult<String> {
        self.go(&app.url("/api/docs")).await?;
        let body = self
            .cmd(
                reqwest::Method::POST,
                "/execute/async",
                Some(json!({
                    "script": "const done = arguments[arguments.length - 1]; \
                               fetch(arguments[0]).then(r => r.text()).then(done, e => done('ERR ' + e));",
                    "args": [path],
                })),
            )
            .await?;
        Ok(body.as_str().unwrap_or_default().to_owned())
    }

    /// Waits until the browser is at a path starting with `prefix`; returns that path.
    pub async fn path_becomes_prefix(&self, prefix: &str) -> TestResult<String> {
        for _ in 0..150 {
            let url = self.cmd(reqwest::Method::GET, "/url", None).await?;
            if let Some(u) = url.as_str().and_then(|u| reqwest::Url::parse(u).ok())
                && u.path().starts_with(prefix)
            {
                return Ok(u.path().to_owned());
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        Err(format!("browser never reached {prefix}").into())
    }

    pub async fn path_becomes(&self, want: &str) -> TestResult<String> {
        let mut url = String::new();
        // Generous: under a loaded CI machine a consent round trip plus an apply takes seconds.
        for _ in 0..150 {
            url = self
                .cmd(reqwest::Method::GET, "/url", None)
                .await?
                .as_str()
                .unwrap_or_default()
                .to_owned();
            if reqwest::Url::parse(&url).is_ok_and(|u| u.path() == want) {
                return Ok(url);
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        Err(format!("browser at {url}, expected {want}").into())
    }
}

/// A running chromedriver with one Chromium session.
pub struct Chromium {
    child: tokio::process::Child,
    pub driver: Driver,
    _profile: tempfile::TempDir,
}

impl Chromium {
    /// Starts chromedriver and a headless Chromium; `phone` emulates a 390 px wide phone.
    /// `None` (after a loud skip) when they are not installed outside CI.
    pub async fn start(phone: bool) -> TestResult<Option<Self>> {
        if !std::path::Path::new(CHROMEDRIVER).exists() || !std::path::Path::new(CHROMIUM).exists()
        {
            crate::support::tool_missing("chromium/chromium-driver")?;
            return Ok(None);
        }
        let port = std::net::TcpListener::bind("127.0.0.1:0")?
            .local_addr()?
            .port();
        let child = tokio::process::Command::new(CHROMEDRIVER)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()?;
        let base = format!("http://127.0.0.1:{port}");
        let http = reqwest::Client::new();
        let mut ready = false;
        for _ in 0..100 {
            if let Ok(r) = http.get(format!("{base}/status")).send().await
                && r.json::<Value>()
                    .await
                    .is_ok_and(|v| v["value"]["ready"] == true)
            {
                ready = true;
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        assert!(ready, "chromedriver did not start");
        let profile = tempfile::tempdir()?;
        let mut options = json!({
            "binary": CHROMIUM,
            "args": ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                     "--disable-component-update", "--disable-sync", "--no-first-run",
                     format!("--user-data-dir={}", profile.path().display())]});
        if phone {
            options["mobileEmulation"] = json!({"deviceMetrics": {"width": 390, "height": 844, "pixelRatio": 3.0, "touch": true}});
        }
        let caps = json!({"capabilities": {"alwaysMatch": {"browserName": "chrome",
            "goog:chromeOptions": options}}});
        let v: Value = http
            .post(format!("{base}/session"))
            .json(&caps)
            .send()
            .await?
            .json()
            .await?;
        let session = v["value"]["sessionId"]
            .as_str()
            .ok_or_else(|| format!("no session: {v}"))?
            .to_owned();
        Ok(Some(Self {
            child,
            driver: Driver {
                http,
                session,
                base,
            },
            _profile: profile,
        }))
    }

    /// Ends the session and chromedriver.
    pub async fn stop(mut self) -> TestResult {
        let d = &self.driver;
        let _ = d
            .http
            .delete(format!("{}/session/{}", d.base, d.session))
            .send()
            .await;
        self.child.kill().await?;
        Ok(())
    }
}

#[tokio::test]
async fn chromium_drives_the_whole_journey_over_loopback_http() -> TestResult {
    let Some(chromium) = Chromium::start(false).await? else {
        return Ok(());
    };
    let clouds = crate::drives::clouds().await?;
    clouds.drive.add_file(None, "beach.jpg", 64, "md5-beach");
    clouds
        .drive
        .add_file(None, "beach (1).jpg", 64, "md5-beach");
    let result = journey(&chromium.driver, &clouds.app).await;
    chromium.stop().await?;
    result
}

async fn journey(d: &Driver, app: &TestApp) -> TestResult {
    d.go(&app.url("/signup")).await?;
    d.shot("signup").await?;
    d.fill("#display_name", "Browser <b>User</b>").await?;
    d.fill("#email", "browser@example.com").await?;
    d.fill("#password", PASSWORD).await?;
    d.click("form[action='/signup'] button[type=submit]")
        .await?;
    if let Err(e) = d.path_becomes("/dashboard").await {
        let source = d.cmd(reqwest::Method::GET, "/source", None).await?;
        return Err(format!("{e}; page: {}", source.as_str().unwrap_or_default()).into());
    }
    d.shot("dashboard").await?;
    d.go(&app.url("/account")).await?;
    d.shot("account").await?;
    d.go(&app.url("/admin/users")).await?;
    d.shot("admin_users").await?;
    d.go(&app.url("/dashboard")).await?;
    let cookies = d.cmd(reqwest::Method::GET, "/cookie", None).await?;
    let session = cookies
        .as_array()
        .and_then(|a| a.iter().find(|c| c["name"] == "__Host-declutter"))
        .ok_or_else(|| format!("Chromium dropped the __Host- cookie: {cookies}"))?;
    assert_eq!(session["secure"], true);
    assert_eq!(session["httpOnly"], true);
    let source = d.cmd(reqwest::Method::GET, "/source", None).await?;
    assert!(
        source
            .as_str()
            .is_some_and(|s| s.contains("Welcome, Browser &lt;b&gt;User&lt;/b&gt;")
                || s.contains("Welcome, Browser &#60;b&#62;")),
        "escaped name shown"
    );
    d.click("form[action='/logout'] button").await?;
    d.path_becomes("/login").await?;
    d.go(&app.url("/dashboard")).await?;
    d.path_becomes("/login").await?;
    d.fill("#email", "browser@example.com").await?;
    d.fill("#password", PASSWORD).await?;
    d.click("form[action='/login'] button[type=submit]").await?;
    d.path_becomes("/dashboard").await?;
    // Connect the fake Google Drive (consent redirect and back), scan it, see its duplicates.
    d.go(&app.url("/account")).await?;
    d.click("form[action='/connections/gdrive/connect'] button")
        .await?;
    d.shows("Google Drive: connected, read-only").await?;
    d.go(&app.url("/sources")).await?;
    d.click("form[action^='/drives/'] button").await?;
    // The progress page refreshes itself (meta refresh) until the scan is done.
    d.shows("See duplicates").await?;
    d.go(&app.url("/dupes")).await?;
    d.shot("drive_dupes").await?;
    let html = d.cmd(reqwest::Method::GET, "/source", None).await?;
    assert!(
        html.as_str().is_some_and(|s| s.contains("beach (1).jpg")),
        "the drive's duplicates are listed"
    );

    // Review: preview a plan with the default keep rules, then apply it. The drive is
    // read-only, so applying goes through the write-consent redirect and resumes by itself.
    d.click("form[action='/plans'] button[type=submit]").await?;
    d.shows("Apply: move to the trash").await?;
    d.shot("plan").await?;
    d.click("form[action$='/apply'] button").await?;
    d.accept_confirm().await?;
    // Apply runs as a job: its page follows it (refreshing itself) to the summary.
    d.shows("moved to the trash").await?;
    d.shot("job").await?;
    d.go(&app.url("/trash")).await?;
    d.shows("days left").await?;
    d.shot("trash").await?;
    let restorable = |html: &Value| {
        html.as_str()
            .map_or(0, |s| s.matches("formaction=\"/trash/").count() / 2)
    };
    let before = restorable(&d.cmd(reqwest::Method::GET, "/source", None).await?);
    assert!(before > 0, "the applied plan put files in the trash");
    d.click("button[formaction$='/restore']").await?;
    // The restore redirects back to /trash: wait for the new page, not the URL.
    let mut after = before;
    for _ in 0..100 {
        after = restorable(&d.cmd(reqwest::Method::GET, "/source", None).await?);
        if after != before {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(after, before - 1, "one entry restored");

    // The journey's account is the instance's first, so its only admin, and the last admin
    // cannot delete itself (hardening::attack_the_last_admin_cannot_delete_itself): another
    // account becomes admin first.
    let heir = app.user("heir@example.com", "Heir").await?;
    let heir_id = heir.get("/api/me").await?.json::<Value>().await?["id"]
        .as_str()
        .ok_or("id")?
        .to_owned();
    app.state
        .pool
        .write(move |c| {
            declutter_web::db::users::set_role(c, &heir_id, declutter_web::auth::role::Role::Admin)
        })
        .await??;

    // Export everything we hold, then delete the account (password-confirmed).
    let export = d.fetch_text(app, "/account/export").await?;
    assert!(
        export.contains("browser@example.com") && export.contains("beach (1).jpg"),
        "the export holds the account and its indexed files: {}",
        export.chars().take(300).collect::<String>()
    );
    d.go(&app.url("/account")).await?;
    d.fill("#confirm_password", PASSWORD).await?;
    d.click("form[action='/account/delete'] button").await?;
    d.accept_confirm().await?;
    d.path_becomes("/signup").await?;
    d.go(&app.url("/dashboard")).await?;
    d.path_becomes("/login").await?;
    d.fill("#email", "browser@example.com").await?;
    d.fill("#password", PASSWORD).await?;
    d.click("form[action='/login'] button[type=submit]").await?;
    d.shows("Wrong email or password").await?;
    Ok(())
}
