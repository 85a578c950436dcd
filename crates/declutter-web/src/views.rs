//! Server-rendered pages: askama templates (HTML auto-escaped), a strict CSP without
//! `unsafe-inline` on every page, and the HTML rendering of problems for browser routes.

use askama::Template;
use axum::extract::Request;
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Response};
use http::{HeaderValue, StatusCode, header};
use platform::problem::PROBLEM_JSON;

use crate::auth::access::Principal;
use crate::db::{audit::Record, users::User};
use crate::state::AppState;

/// The policy on every HTML page: only our own scripts, styles, images and form targets.
pub const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
     form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// What every page's frame needs.
#[derive(Debug, Clone)]
pub struct Layout {
    /// Hashed stylesheet URL.
    pub css: String,
    /// Hashed script URL.
    pub js: String,
    /// Hashed logo URL.
    pub logo: String,
    /// The signed-in account, if any.
    pub user: Option<User>,
    /// CSRF token for forms.
    pub csrf: String,
    /// Highlighted sidebar entry.
    pub active: &'static str,
}

impl Layout {
    /// The frame for `principal` (or anonymous with the pre-session token `csrf`).
    pub fn new(
        state: &AppState,
        principal: Option<&Principal>,
        csrf: &str,
        active: &'static str,
    ) -> Self {
        Self {
            css: state.assets.url("app.css").to_owned(),
            js: state.assets.url("app.js").to_owned(),
            logo: state.assets.url("logo.svg").to_owned(),
            csrf: principal
                .and_then(|p| p.session.as_ref())
                .map_or_else(|| csrf.to_owned(), |s| s.csrf_token.clone()),
            user: principal.map(|p| p.user.clone()),
            active,
        }
    }

    /// Whether the viewer is an admin.
    pub fn is_admin(&self) -> bool {
        self.user
            .as_ref()
            .is_some_and(|u| u.role == crate::auth::role::Role::Admin)
    }
}

/// Sign-in page.
#[derive(Template)]
#[template(path = "login.html")]
pub struct LoginPage {
    /// Frame.
    pub layout: Layout,
    /// Error to show.
    pub error: Option<String>,
    /// Where to go after.
    pub next: String,
    /// Prefilled email.
    pub email: String,
    /// Google enabled.
    pub google: bool,
    /// Microsoft enabled.
    pub microsoft: bool,
}

/// Sign-up page.
#[derive(Template)]
#[template(path = "signup.html")]
pub struct SignupPage {
    /// Frame.
    pub layout: Layout,
    /// Error to show.
    pub error: Option<String>,
    /// Prefilled email.
    pub email: String,
    /// Prefilled name.
    pub display_name: String,
}

/// Dashboard shell.
#[derive(Template)]
#[template(path = "dashboard.html")]
pub struct DashboardPage {
    /// Frame.
    pub layout: Layout,
    /// Connected clouds.
    pub connections: usize,
    /// Space per source, type and duplicates.
    pub usage: crate::model::Usage,
    /// Human bytes reclaimable.
    pub reclaimable: String,
    /// Cloud drives that can be connected here (none: no OAuth client is configured).
    pub clouds: Vec<&'static str>,
    /// Whether `DECLUTTER_LOCAL_ROOTS` allows any local folder.
    pub has_roots: bool,
}

/// Account page.
#[derive(Template)]
#[template(path = "account.html")]
pub struct AccountPage {
    /// Frame.
    pub layout: Layout,
    /// Message after an action.
    pub notice: Option<String>,
    /// Error after an action.
    pub error: Option<String>,
    /// Live sessions.
    pub sessions: i64,
    /// Linked sign-in providers (issuer).
    pub identities: Vec<String>,
    /// Cloud drives that can be connected here.
    pub drives: Vec<DriveRow>,
}

/// One connectable cloud drive on the account page.
#[derive(Debug, Clone)]
pub struct DriveRow {
    /// `onedrive` or `gdrive`.
    pub provider: String,
    /// Human name.
    pub label: &'static str,
    /// The connection's id, when one exists.
    pub id: Option<i64>,
    /// Whether a connection exists.
    pub connected: bool,
    /// Whether it may change files (write scope granted).
    pub can_write: bool,
    /// Whether it may read content (verification, previews).
    pub can_read_content: bool,
}

/// Admin: users.
#[derive(Template)]
#[template(path = "admin_users.html")]
pub struct AdminUsersPage {
    /// Frame.
    pub layout: Layout,
    /// Every account.
    pub users: Vec<User>,
}

/// Audit log (own entries, or all for admins).
#[derive(Template)]
#[template(path = "audit.html")]
pub struct AuditPage {
    /// Frame.
    pub layout: Layout,
    /// Entries, newest first.
    pub entries: Vec<Record>,
    /// Whether this is the whole log.
    pub all: bool,
}

/// An error page.
#[derive(Template)]
#[template(path = "error.html")]
pub struct ErrorPage {
    /// Frame.
    pub layout: Layout,
    /// HTTP status.
    pub status: u16,
    /// Message.
    pub message: String,
    /// Stable problem code.
    pub code: String,
    /// Request id, to quote to support.
    pub request_id: String,
}

/// Renders a page whose forms may lead to the cloud providers' consent pages: a form post
/// answered by a redirect to another origin is checked against `form-action` in browsers, so
/// [`CSP`] is widened by exactly those origins (the configured authorize endpoints), no more.
pub fn page_with_form_targets(
    status: StatusCode,
    t: &impl Template,
    origins: &[String],
) -> Response {
    let mut res = page(status, t);
    if res.headers().contains_key(header::CONTENT_SECURITY_POLICY) && !origins.is_empty() {
        let csp = CSP.replacen(
            "form-action 'self'",
            &format!("form-action 'self' {}", origins.join(" ")),
            1,
        );
        if let Ok(v) = HeaderValue::from_str(&csp) {
            res.headers_mut().insert(header::CONTENT_SECURITY_POLICY, v);
        }
    }
    res
}

/// Renders a page with the HTML CSP.
pub fn page<T: Template>(status: StatusCode, t: &T) -> Response {
    page_sized(status, t, 0)
}

/// [`page`] for a template that includes `extra` bytes of text its own size estimate cannot
/// know (HTML rendered beforehand): the page is written into a buffer of the right size at
/// once, instead of one that doubles and copies itself as it fills.
pub fn page_sized<T: Template>(status: StatusCode, t: &T, extra: usize) -> Response {
    let mut body = String::with_capacity(T::SIZE_HINT.saturating_add(extra));
    match t.render_into(&mut body).map(|()| body) {
        Ok(body) => {
            let mut res = (status, Html(body)).into_response();
            res.headers_mut().insert(
                header::CONTENT_SECURITY_POLICY,
                HeaderValue::from_static(CSP),
            );
            // The platform default `no-referrer` makes browsers send `Origin: null` on our own
            // form posts, which the CSRF origin check must refuse; `same-origin` keeps the
            // Origin for our forms and still sends nothing to other sites.
            res.headers_mut().insert(
                header::REFERRER_POLICY,
                HeaderValue::from_static("same-origin"),
            );
            res
        }
        Err(e) => platform::Problem::internal(e).into_response(),
    }
}

/// Formats unix seconds as `YYYY-MM-DD HH:MM UTC`.
pub fn when(secs: &i64) -> String {
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    // Civil-from-days (Howard Hinnant), valid for the whole i64 range we meet.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02} UTC",
        rem / 3600,
        rem % 3600 / 60
    )
}

/// Middleware for browser routes: a problem-details response becomes an HTML error page.
pub async fn html_errors(
    axum::extract::State(state): axum::extract::State<AppState>,
    req: Request,
    next: Next,
) -> Response {
    let path = req.uri().path().to_owned();
    let request_id = req
        .extensions()
        .get::<platform::request_id::RequestId>()
        .map(|r| r.as_str().to_owned())
        .unwrap_or_default();
    let principal = None::<Principal>;
    let res = next.run(req).await;
    let is_problem = res
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v == PROBLEM_JSON);
    if path.starts_with("/api/") || matches!(path.as_str(), "/healthz" | "/readyz") || !is_problem {
        return res;
    }
    let (parts, body) = res.into_parts();
    let bytes = axum::body::to_bytes(body, 64 * 1024)
        .await
        .unwrap_or_default();
    let problem: serde_json::Value = serde_json::from_slice(&bytes).unwrap_or_default();
    let page_ = ErrorPage {
        layout: Layout::new(&state, principal.as_ref(), "", ""),
        status: parts.status.as_u16(),
        message: problem["error"]
            .as_str()
            .unwrap_or("Something went wrong")
            .to_owned(),
        code: problem["code"].as_str().unwrap_or("error").to_owned(),
        request_id,
    };
    let mut out = page(parts.status, &page_);
    for (k, v) in &parts.headers {
        if k != header::CONTENT_TYPE
            && k != header::CONTENT_LENGTH
            && k != header::CONTENT_SECURITY_POLICY
        {
            out.headers_mut().insert(k.clone(), v.clone());
        }
    }
    *out.extensions_mut() = parts.extensions;
    out
}

/// An audit entry in words: `plan.created` on plan 7 → "Made clean-up plan 7". Unknown actions
/// (added later, or written by another version) show as they are stored.
pub fn audit_words(e: &Record) -> String {
    let target = e.target.as_deref().unwrap_or("");
    let what = match e.action.as_str() {
        "auth.login" => "Signed in",
        "auth.login_failed" => "Failed sign-in attempt",
        "auth.logout" => "Signed out",
        "user.signup" => "Created the account",
        "user.password_changed" => "Changed the password",
        "user.exported" => "Downloaded an export of the account's data",
        "user.deleted" => "Deleted an account",
        "user.role_changed" => "Changed an account's role",
        "token.issued" => "Created an API token",
        "connection.created" => "Connected a cloud drive",
        "connection.updated" => "Changed a cloud drive's permissions",
        "connection.deleted" => "Disconnected a cloud drive",
        "source.added" => "Assigned a local folder",
        "scan.started" => "Started a scan",
        "plan.created" => "Made clean-up plan",
        "plan.edited" => "Changed which copies clean-up plan keeps:",
        "plan.applied" => "Applied clean-up plan",
        "trash.restored" => "Restored from the trash: entry",
        "trash.purged" => "Deleted for good from the trash: entry",
        "trash.retention_purged" => "Deleted for good from the trash when their days ran out",
        other => return format!("{other} {target}").trim_end().to_owned(),
    };
    let mut out = match e.action.as_str() {
        "plan.created" | "plan.applied" | "plan.edited" | "trash.restored" | "trash.purged"
            if !target.is_empty() =>
        {
            format!("{} {target}", what.trim_end_matches(':'))
        }
        _ => what.to_owned(),
    };
    if let Some(d) = e.detail.as_deref().filter(|d| !d.is_empty()) {
        out.push_str(&format!(" ({d})"));
    }
    out
}
