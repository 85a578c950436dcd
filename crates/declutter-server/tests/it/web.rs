//! A browser-like HTTP client for the web app: cookie store, our Origin on every request, the
//! CSRF token read from each form page, and no automatic redirects.

use reqwest::header::{HeaderMap, HeaderValue, ORIGIN};

use crate::support::TestResult;

/// One browser tab.
pub struct Browser {
    client: reqwest::Client,
    base: String,
}

fn csrf_in(html: &str) -> Option<String> {
    let marker = "name=\"csrf\" value=\"";
    let start = html.find(marker)? + marker.len();
    let end = html[start..].find('"')?;
    Some(html[start..start + end].to_owned())
}

impl Browser {
    pub fn new(base: &str) -> TestResult<Self> {
        let mut headers = HeaderMap::new();
        headers.insert(ORIGIN, HeaderValue::from_str(base)?);
        let client = reqwest::Client::builder()
            .cookie_store(true)
            .redirect(reqwest::redirect::Policy::none())
            .default_headers(headers)
            .build()?;
        Ok(Self {
            client,
            base: base.to_owned(),
        })
    }

    pub async fn get(&self, path: &str) -> TestResult<reqwest::Response> {
        Ok(self
            .client
            .get(format!("{}{path}", self.base))
            .send()
            .await?)
    }

    pub async fn json(&self, path: &str) -> TestResult<serde_json::Value> {
        let res = self.get(path).await?;
        if res.status() != 200 {
            return Err(format!("GET {path}: {}", res.status()).into());
        }
        Ok(res.json().await?)
    }

    /// Gets the form page (which sets the pre-session CSRF cookie), then posts the form with
    /// the token it rendered; returns the status and the Location header.
    async fn submit(&self, page: &str, fields: &[(&str, &str)]) -> TestResult<(u16, String)> {
        self.post_form(page, page, fields).await
    }

    /// Gets `page`, then posts `fields` to `action` with the CSRF token the page rendered;
    /// returns the status and the Location header.
    pub async fn post_form(
        &self,
        page: &str,
        action: &str,
        fields: &[(&str, &str)],
    ) -> TestResult<(u16, String)> {
        let html = self.get(page).await?.text().await?;
        let token = csrf_in(&html).ok_or_else(|| format!("no csrf field in {page}"))?;
        let mut form = fields.to_vec();
        form.push(("csrf", &token));
        let res = self
            .client
            .post(format!("{}{action}", self.base))
            .form(&form)
            .send()
            .await?;
        let location = res
            .headers()
            .get(reqwest::header::LOCATION)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        Ok((res.status().as_u16(), location))
    }

    pub async fn signup(
        &self,
        email: &str,
        name: &str,
        password: &str,
    ) -> TestResult<(u16, String)> {
        self.submit(
            "/signup",
            &[
                ("email", email),
                ("display_name", name),
                ("password", password),
            ],
        )
        .await
    }

    pub async fn login(&self, email: &str, password: &str) -> TestResult<(u16, String)> {
        self.submit("/login", &[("email", email), ("password", password)])
            .await
    }
}
