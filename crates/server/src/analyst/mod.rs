//! The analysis centre's pages for its analysts, in Vietnamese first and
//! English second: log in, the queue of received packages, a package with
//! each finger's print and the engine's reading to confirm, correct or mark
//! unusable, and the answer, signed and offered for download.
//!
//! Server-side rendered HTML with plain forms and no script. Every page but
//! the login needs a session ([`auth`]); every form carries a CSRF token
//! checked on the server; every response is `no-store`, may not be framed
//! and sends no referrer. Print images are made from the decrypted print in
//! memory and never written to disk.
//!
//! ```no_run
//! # async fn run(centre: std::sync::Arc<vantay_analysis::AnalysisCentre>,
//! #              tls: axum_server::tls_rustls::RustlsConfig) -> anyhow::Result<()> {
//! let router = vantay_server::analyst::router(centre);
//! let server = vantay_server::RunningServer::start(router, "0.0.0.0:8443".parse()?, tls).await?;
//! server.wait().await
//! # }
//! ```

mod auth;
mod html;
mod pages;

use std::sync::Arc;

use axum::http::header::{
    CACHE_CONTROL, CONTENT_SECURITY_POLICY, CONTENT_TYPE, REFERRER_POLICY,
    STRICT_TRANSPORT_SECURITY, X_CONTENT_TYPE_OPTIONS, X_FRAME_OPTIONS,
};
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use vantay_analysis::{AnalysisCentre, AnalysisError, AnalystError};
use vantay_domain::Finger;

pub use auth::{LOGIN_COOKIE, SESSION_COOKIE};

/// The analyst pages, to serve over HTTPS (the session cookie is `Secure`).
pub fn router(centre: Arc<AnalysisCentre>) -> Router {
    Router::new()
        .route("/", get(|| async { Redirect::to("/packages") }))
        .route("/login", get(auth::login_page).post(auth::login))
        .route("/logout", post(auth::logout))
        .route(
            "/password",
            get(auth::password_page).post(auth::change_password),
        )
        .route("/packages", get(pages::queue))
        .route("/packages/{id}", get(pages::package))
        .route(
            "/packages/{id}/fingers/{finger}/overlay.png",
            get(pages::overlay),
        )
        .route("/packages/{id}/fingers/{finger}", post(pages::review))
        .route("/packages/{id}/answer", post(pages::answer))
        .route("/packages/{id}/result", get(pages::result))
        .route(
            "/style.css",
            get(|| async { ([(CONTENT_TYPE, "text/css; charset=utf-8")], html::STYLE) }),
        )
        .layer(axum::middleware::map_response(protect))
        .with_state(centre)
}

/// Headers on every response: nothing cached (prints, readings and
/// results are personal data), no framing, no referrer, no sniffing, and a
/// CSP that allows only this server's own images, style and form targets.
async fn protect(mut response: Response) -> Response {
    let headers = response.headers_mut();
    for (name, value) in [
        (CACHE_CONTROL, "no-store"),
        (X_FRAME_OPTIONS, "DENY"),
        (REFERRER_POLICY, "no-referrer"),
        (X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (STRICT_TRANSPORT_SECURITY, "max-age=31536000"),
        (
            CONTENT_SECURITY_POLICY,
            "default-src 'none'; img-src 'self'; style-src 'self'; form-action 'self'; \
             frame-ancestors 'none'; base-uri 'none'",
        ),
    ] {
        headers.insert(name, HeaderValue::from_static(value));
    }
    response
}

/// Why a page could not be served. The analyst reads a plain message; the
/// log gets the cause of what is not theirs to fix.
#[derive(Debug)]
pub(crate) enum PageError {
    /// The analyst's request cannot be done: said in both languages.
    Refused {
        status: StatusCode,
        vi: String,
        en: String,
    },
    /// Anything else: the server's log has it.
    Internal(String),
}

impl PageError {
    fn refused(status: StatusCode, vi: impl Into<String>, en: impl Into<String>) -> PageError {
        PageError::Refused {
            status,
            vi: vi.into(),
            en: en.into(),
        }
    }
}

fn finger_list(fingers: &[Finger]) -> String {
    fingers
        .iter()
        .map(|f| f.code())
        .collect::<Vec<_>>()
        .join(", ")
}

impl From<AnalysisError> for PageError {
    fn from(err: AnalysisError) -> PageError {
        use AnalysisError as E;
        match err {
            E::NoPackage(id) => PageError::refused(
                StatusCode::NOT_FOUND,
                format!("Không có gói {id}."),
                format!("There is no package {id}."),
            ),
            E::NoSuchFinger { finger, .. } => PageError::refused(
                StatusCode::NOT_FOUND,
                format!("Gói này không có ngón {finger}."),
                format!("This package has no finger {finger}."),
            ),
            E::AlreadyAnswered(_) => PageError::refused(
                StatusCode::CONFLICT,
                "Gói này đã được trả kết quả; mỗi gói chỉ trả một lần.",
                "This package was already answered; a package is answered once.",
            ),
            E::NotAnswered(_) => PageError::refused(
                StatusCode::CONFLICT,
                "Gói này chưa được trả kết quả.",
                "This package is not answered yet.",
            ),
            E::NotReady(fingers) => PageError::refused(
                StatusCode::CONFLICT,
                format!("Máy chưa đọc xong các ngón {}: hãy đợi rồi thử lại.", finger_list(&fingers)),
                format!("The engine has not finished fingers {}: wait and try again.", finger_list(&fingers)),
            ),
            E::NotReviewed(fingers) => PageError::refused(
                StatusCode::CONFLICT,
                format!(
                    "Các ngón {} chưa được duyệt: hãy duyệt, hoặc đánh dấu ô chấp nhận kết quả của máy.",
                    finger_list(&fingers)
                ),
                format!(
                    "Fingers {} are not reviewed yet: review them, or tick the box that accepts the engine's readings.",
                    finger_list(&fingers)
                ),
            ),
            E::AnalystNeeded(vantay_analysis::AnalystTasks {
                uncounted,
                unsure,
                below,
            }) => {
                let (mut vi, mut en) = (Vec::new(), Vec::new());
                if !uncounted.is_empty() {
                    vi.push(format!(
                        "máy không đếm được vân của các ngón {} (không thấy tam giác điểm): hãy nhập số vân hoặc đánh dấu cần quét lại",
                        finger_list(&uncounted)
                    ));
                    en.push(format!(
                        "the engine could not count the ridges of fingers {} (no core and delta found to count between): enter the counts or mark them for rescan",
                        finger_list(&uncounted)
                    ));
                }
                if !unsure.is_empty() {
                    vi.push(format!(
                        "máy chưa chắc chắn (dưới {}%) về dạng vân của các ngón {}: hãy xác nhận hoặc sửa",
                        below.as_percent(),
                        finger_list(&unsure)
                    ));
                    en.push(format!(
                        "the engine is unsure (under {}%) of the class of fingers {}: confirm or correct them",
                        below.as_percent(),
                        finger_list(&unsure)
                    ));
                }
                PageError::refused(
                    StatusCode::CONFLICT,
                    format!("Cần người duyệt trước khi trả kết quả: {}.", vi.join("; ")),
                    format!("An analyst must review first: {}.", en.join("; ")),
                )
            }
            E::BadReading { finger, .. } => PageError::refused(
                StatusCode::BAD_REQUEST,
                format!(
                    "Số vân của ngón {finger} không khớp dạng vân: vân cung không có, vân móc có 1, vân xoáy có 1 hoặc 2."
                ),
                format!(
                    "The ridge counts of finger {finger} do not fit its class: an arch has none, a loop one, a whorl one or two."
                ),
            ),
            other => PageError::Internal(other.to_string()),
        }
    }
}

impl From<AnalystError> for PageError {
    fn from(err: AnalystError) -> PageError {
        match err {
            AnalystError::Centre(err) => err.into(),
            other => PageError::Internal(other.to_string()),
        }
    }
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        match self {
            PageError::Refused { status, vi, en } => html::message_page(status, None, &vi, &en),
            PageError::Internal(cause) => {
                tracing::error!(%cause, "analyst page failed");
                html::message_page(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    None,
                    "Đã có lỗi ở máy chủ; nhật ký máy chủ ghi nguyên nhân.",
                    "Something went wrong on the server; its log has the cause.",
                )
            }
        }
    }
}
