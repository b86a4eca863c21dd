//! Login, logout, the one-time password's replacement, and the extractors
//! that guard every other page.
//!
//! - [`Analyst`]: a handler taking it runs only for a logged-in analyst who
//!   has replaced their one-time password; anyone else is sent to the login
//!   page (or to the password page).
//! - [`Posted`]: a form posted by such an analyst, whose CSRF token was
//!   checked before the handler runs; a missing or wrong token is refused
//!   with 403.
//!
//! The session cookie is `__Host-` prefixed (the browser keeps it only if
//! it came over HTTPS, for this host and path `/`), HttpOnly, Secure and
//! SameSite=Strict. The login form, which has no session yet, carries a
//! token that must equal a short-lived cookie of its own (double submit),
//! so another site cannot log a browser in under its own account.

use std::sync::Arc;

use axum::extract::{FromRequest, FromRequestParts, Request, State};
use axum::http::header::{COOKIE, SET_COOKIE};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{AppendHeaders, IntoResponse, Redirect, Response};
use axum::Form;
use chrono::Utc;
use serde::de::DeserializeOwned;
use serde::Deserialize;
use sha2::{Digest, Sha256};
use vantay_analysis::{AnalysisCentre, AnalystError, Session, MIN_PASSWORD_CHARS, SESSION_HOURS};

use super::html::{both, esc, local, message_page, page};
use super::PageError;

/// The session cookie.
pub const SESSION_COOKIE: &str = "__Host-vantay-session";
/// The login form's own CSRF cookie.
pub const LOGIN_COOKIE: &str = "__Host-vantay-login";

/// A logged-in analyst whose password is their own.
pub struct Analyst {
    /// The session.
    pub session: Session,
    /// The session's cookie value (for logout and password changes).
    token: String,
}

/// Any logged-in analyst, one-time password or not: only for the password page.
pub struct AnySession(Analyst);

impl FromRequestParts<Arc<AnalysisCentre>> for AnySession {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut Parts,
        centre: &Arc<AnalysisCentre>,
    ) -> Result<Self, Response> {
        let Some(token) = cookie(&parts.headers, SESSION_COOKIE) else {
            return Err(Redirect::to("/login").into_response());
        };
        match centre.session(&token, Utc::now()).await {
            Ok(Some(session)) => Ok(AnySession(Analyst { session, token })),
            Ok(None) => Err(Redirect::to("/login").into_response()),
            Err(err) => Err(PageError::from(err).into_response()),
        }
    }
}

impl FromRequestParts<Arc<AnalysisCentre>> for Analyst {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut Parts,
        centre: &Arc<AnalysisCentre>,
    ) -> Result<Self, Response> {
        let AnySession(analyst) = AnySession::from_request_parts(parts, centre).await?;
        if analyst.session.must_change_password {
            return Err(Redirect::to("/password").into_response());
        }
        Ok(analyst)
    }
}

/// A form and its CSRF token, as posted.
#[derive(Deserialize)]
struct WithCsrf<T> {
    #[serde(default)]
    csrf: String,
    #[serde(flatten)]
    form: T,
}

/// A form posted by a logged-in analyst, its CSRF token checked.
pub struct Posted<T> {
    /// Who posted it.
    pub analyst: Analyst,
    /// The form's fields.
    pub form: T,
}

impl<T: DeserializeOwned + Send> FromRequest<Arc<AnalysisCentre>> for Posted<T> {
    type Rejection = Response;

    async fn from_request(req: Request, centre: &Arc<AnalysisCentre>) -> Result<Self, Response> {
        let (mut parts, body) = req.into_parts();
        let AnySession(analyst) = AnySession::from_request_parts(&mut parts, centre).await?;
        let req = Request::from_parts(parts, body);
        let Form(posted) = Form::<WithCsrf<T>>::from_request(req, centre)
            .await
            .map_err(|_| {
                message_page(
                    StatusCode::BAD_REQUEST,
                    Some(&analyst.session),
                    "Biểu mẫu không hợp lệ.",
                    "The form is not valid.",
                )
            })?;
        if !analyst.session.csrf_matches(&posted.csrf) {
            return Err(csrf_refused(Some(&analyst.session)));
        }
        // The password page posts through `change_password`, which takes
        // an `AnySession`; every other form needs a password of one's own.
        if analyst.session.must_change_password {
            return Err(Redirect::to("/password").into_response());
        }
        Ok(Posted {
            analyst,
            form: posted.form,
        })
    }
}

fn csrf_refused(session: Option<&Session>) -> Response {
    message_page(
        StatusCode::FORBIDDEN,
        session,
        "Biểu mẫu thiếu mã bảo vệ hoặc mã đã hết hạn: hãy tải lại trang rồi gửi lại.",
        "The form's protection token is missing or stale: reload the page and send it again.",
    )
}

/// The value of cookie `name` in the request.
fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(n, _)| *n == name)
        .map(|(_, v)| v.to_owned())
        .filter(|v| !v.is_empty())
}

fn set_cookie(
    name: &str,
    value: &str,
    max_age_seconds: i64,
) -> (axum::http::HeaderName, HeaderValue) {
    let value = format!(
        "{name}={value}; Path=/; Secure; HttpOnly; SameSite=Strict; Max-Age={max_age_seconds}"
    );
    (
        SET_COOKIE,
        HeaderValue::from_str(&value).expect("cookie values are hex or uuids"),
    )
}

/// Compares two tokens through their digests, so the time taken says
/// nothing about how many leading characters matched.
fn same_token(a: &str, b: &str) -> bool {
    !a.is_empty() && Sha256::digest(a.as_bytes()) == Sha256::digest(b.as_bytes())
}

/// `GET /login`.
pub async fn login_page(State(centre): State<Arc<AnalysisCentre>>, headers: HeaderMap) -> Response {
    if let Some(token) = cookie(&headers, SESSION_COOKIE) {
        if let Ok(Some(_)) = centre.session(&token, Utc::now()).await {
            return Redirect::to("/").into_response();
        }
    }
    login_form(StatusCode::OK, "", None)
}

fn login_form(status: StatusCode, username: &str, error: Option<String>) -> Response {
    // A random v4 UUID: 122 bits from the operating system's generator.
    let nonce = uuid::Uuid::new_v4().simple().to_string();
    let error = error
        .map(|e| format!("<p class=\"error\" id=\"login-error\">{e}</p>"))
        .unwrap_or_default();
    let body = format!(
        "<div class=\"login\"><h1>{title}</h1>{error}\
         <form method=\"post\" action=\"/login\">\
         <input type=\"hidden\" name=\"csrf\" value=\"{nonce}\">\
         <label>{user}<br><input type=\"text\" name=\"username\" value=\"{username}\" \
         autocomplete=\"username\" required autofocus></label>\
         <label>{pass}<br><input type=\"password\" name=\"password\" \
         autocomplete=\"current-password\" required></label>\
         <button type=\"submit\" id=\"login\">{title}</button></form></div>",
        title = both("Đăng nhập", "Log in"),
        user = both("Tên đăng nhập", "Username"),
        pass = both("Mật khẩu", "Password"),
        username = esc(username),
    );
    (
        status,
        [set_cookie(LOGIN_COOKIE, &nonce, 3600)],
        page("Đăng nhập / Log in", None, &body),
    )
        .into_response()
}

/// The login form's fields.
#[derive(Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
}

/// `POST /login`.
pub async fn login(
    State(centre): State<Arc<AnalysisCentre>>,
    headers: HeaderMap,
    Form(form): Form<LoginForm>,
) -> Response {
    let expected = cookie(&headers, LOGIN_COOKIE).unwrap_or_default();
    if !same_token(&form.csrf, &expected) {
        return csrf_refused(None);
    }
    match centre
        .login(&form.username, &form.password, Utc::now())
        .await
    {
        Ok((token, session)) => {
            let next = if session.must_change_password {
                "/password"
            } else {
                "/"
            };
            // AppendHeaders: two Set-Cookie headers (an array would keep the last).
            (
                AppendHeaders([
                    set_cookie(SESSION_COOKIE, token.expose(), SESSION_HOURS * 3600),
                    set_cookie(LOGIN_COOKIE, "", 0),
                ]),
                Redirect::to(next),
            )
                .into_response()
        }
        Err(AnalystError::LoginRefused) => login_form(
            StatusCode::UNAUTHORIZED,
            &form.username,
            Some(both(
                "Sai tên đăng nhập hoặc mật khẩu.",
                "Wrong username or password.",
            )),
        ),
        Err(AnalystError::Throttled(until)) => login_form(
            StatusCode::TOO_MANY_REQUESTS,
            &form.username,
            Some(both(
                &format!(
                    "Đăng nhập sai quá nhiều lần: hãy thử lại sau {}.",
                    local(until)
                ),
                &format!("Too many failed logins: try again after {}.", local(until)),
            )),
        ),
        Err(err) => PageError::from(err).into_response(),
    }
}

/// The fields of a form that carries nothing but its CSRF token.
#[derive(Deserialize)]
pub struct CsrfOnly {
    #[serde(default)]
    csrf: String,
}

/// `POST /logout`: open to an analyst who has not replaced a one-time
/// password yet, too.
pub async fn logout(
    State(centre): State<Arc<AnalysisCentre>>,
    AnySession(analyst): AnySession,
    Form(form): Form<CsrfOnly>,
) -> Response {
    if !analyst.session.csrf_matches(&form.csrf) {
        return csrf_refused(Some(&analyst.session));
    }
    if let Err(err) = centre.logout(&analyst.token).await {
        return PageError::from(err).into_response();
    }
    ([set_cookie(SESSION_COOKIE, "", 0)], Redirect::to("/login")).into_response()
}

/// `GET /password`.
pub async fn password_page(AnySession(analyst): AnySession) -> Response {
    password_form(StatusCode::OK, &analyst.session, None)
}

fn password_form(status: StatusCode, session: &Session, error: Option<String>) -> Response {
    let why = if session.must_change_password {
        format!(
            "<p>{}</p>",
            both(
                "Mật khẩu hiện tại chỉ dùng một lần: hãy đặt mật khẩu của riêng bạn.",
                "Your current password is a one-time password: choose your own."
            )
        )
    } else {
        String::new()
    };
    let error = error
        .map(|e| format!("<p class=\"error\">{e}</p>"))
        .unwrap_or_default();
    let body = format!(
        "<div class=\"login\"><h1>{title}</h1>{why}{error}\
         <form method=\"post\" action=\"/password\">\
         <input type=\"hidden\" name=\"csrf\" value=\"{csrf}\">\
         <label>{current}<br><input type=\"password\" name=\"current\" \
         autocomplete=\"current-password\" required></label>\
         <label>{new}<br><input type=\"password\" name=\"new\" minlength=\"{min}\" \
         autocomplete=\"new-password\" required></label>\
         <label>{repeat}<br><input type=\"password\" name=\"repeat\" minlength=\"{min}\" \
         autocomplete=\"new-password\" required></label>\
         <button type=\"submit\" id=\"change-password\">{save}</button></form></div>",
        title = both("Đổi mật khẩu", "Change password"),
        csrf = esc(session.csrf_token()),
        current = both("Mật khẩu hiện tại", "Current password"),
        new = both(
            &format!("Mật khẩu mới (ít nhất {MIN_PASSWORD_CHARS} ký tự)"),
            &format!("New password (at least {MIN_PASSWORD_CHARS} characters)")
        ),
        repeat = both("Nhập lại mật khẩu mới", "New password again"),
        min = MIN_PASSWORD_CHARS,
        save = both("Lưu", "Save"),
    );
    (
        status,
        page("Đổi mật khẩu / Change password", Some(session), &body),
    )
        .into_response()
}

/// The password form's fields.
#[derive(Deserialize)]
pub struct PasswordForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    current: String,
    #[serde(default)]
    new: String,
    #[serde(default)]
    repeat: String,
}

/// `POST /password`: the one form an analyst with a one-time password may post.
pub async fn change_password(
    State(centre): State<Arc<AnalysisCentre>>,
    AnySession(analyst): AnySession,
    Form(form): Form<PasswordForm>,
) -> Response {
    if !analyst.session.csrf_matches(&form.csrf) {
        return csrf_refused(Some(&analyst.session));
    }
    if form.new != form.repeat {
        let error = both(
            "Hai lần nhập mật khẩu mới không giống nhau.",
            "The two new passwords differ.",
        );
        return password_form(StatusCode::BAD_REQUEST, &analyst.session, Some(error));
    }
    match centre
        .change_password(&analyst.token, &form.current, &form.new, Utc::now())
        .await
    {
        Ok(()) => Redirect::to("/").into_response(),
        Err(AnalystError::LoginRefused) => {
            let error = both(
                "Mật khẩu hiện tại không đúng.",
                "The current password is wrong.",
            );
            password_form(StatusCode::BAD_REQUEST, &analyst.session, Some(error))
        }
        Err(AnalystError::WeakPassword) => {
            let error = both(
                &format!("Mật khẩu mới cần ít nhất {MIN_PASSWORD_CHARS} ký tự và khác mật khẩu cũ."),
                &format!("The new password needs at least {MIN_PASSWORD_CHARS} characters and must differ from the old one."),
            );
            password_form(StatusCode::BAD_REQUEST, &analyst.session, Some(error))
        }
        Err(err) => PageError::from(err).into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cookies_are_found_by_exact_name() {
        let mut headers = HeaderMap::new();
        headers.insert(
            COOKIE,
            HeaderValue::from_static("x__Host-vantay-session=bad; __Host-vantay-session=abc; o=1"),
        );
        assert_eq!(cookie(&headers, SESSION_COOKIE).as_deref(), Some("abc"));
        assert_eq!(cookie(&headers, LOGIN_COOKIE), None);
    }

    #[test]
    fn session_cookie_is_locked_down() {
        let (_, value) = set_cookie(SESSION_COOKIE, "abc", 60);
        let value = value.to_str().unwrap();
        for part in ["Secure", "HttpOnly", "SameSite=Strict", "Path=/"] {
            assert!(value.contains(part), "{value}");
        }
        assert!(!value.contains("Domain"), "__Host- cookies carry no Domain");
    }

    #[test]
    fn tokens_compare_exactly_and_never_empty() {
        assert!(same_token("abc", "abc"));
        assert!(!same_token("abc", "abd"));
        assert!(!same_token("", ""));
    }
}
