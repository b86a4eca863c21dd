//! The centre's HTTPS API for its analysis centres (steps 3 and 4).
//!
//! | request | answer |
//! |---|---|
//! | `GET /api/v1/packages` | the caller's open packages waiting to be pulled: `[{"id", "expires_at", "fetched_at"}]` |
//! | `GET /api/v1/packages/{id}` | the sealed package (`application/octet-stream`), a ledger event |
//! | `POST /api/v1/results` | body: a sealed result; `200 {"package", "result", "rescan"}`, or a refusal |
//!
//! Every request must be signed by a pinned partner
//! ([`vantay_vault::request`]): an unsigned request, an unknown caller, a
//! bad signature, a stale date or a reused nonce gets `401` and nothing
//! else. A caller sees only its own packages; asking for another's gets the
//! same `404` as asking for one that does not exist. Refusals carry a JSON
//! body `{"error": message, "reason": code}`; a refused result is also a
//! ledger event (done by [`Centre::import_result`]).

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::Utc;
use serde_json::json;
use uuid::Uuid;
use vantay_store::{Actor, Centre, ExchangeError, Partner};
use vantay_vault::request::{RequestAuth, RequestTarget};
use vantay_vault::PublicIdentity;

/// The largest result accepted: ten fingers of readings are a few kB.
const MAX_RESULT_BYTES: usize = 1 << 20;

/// Paths of the API, shared with [`crate::client`].
pub(crate) mod paths {
    pub const PACKAGES: &str = "/api/v1/packages";
    pub const RESULTS: &str = "/api/v1/results";
}

#[derive(Clone)]
struct Api {
    centre: Arc<Centre>,
}

/// The API's routes, to serve with [`crate::RunningServer`].
pub fn router(centre: Arc<Centre>) -> Router {
    Router::new()
        .route(paths::PACKAGES, get(list_packages))
        .route("/api/v1/packages/{id}", get(fetch_package))
        .route(paths::RESULTS, post(push_result))
        .layer(DefaultBodyLimit::max(MAX_RESULT_BYTES))
        .with_state(Api { centre })
}

/// A refusal: status and a message that says what was wrong.
#[derive(Debug)]
struct Refusal {
    status: StatusCode,
    reason: &'static str,
    message: String,
}

impl Refusal {
    fn unauthenticated(message: impl Into<String>) -> Refusal {
        Refusal {
            status: StatusCode::UNAUTHORIZED,
            reason: "unauthenticated",
            message: message.into(),
        }
    }

    fn internal(err: impl std::fmt::Display) -> Refusal {
        // The detail goes to the log, not to the caller.
        tracing::error!(%err, "API request failed");
        Refusal {
            status: StatusCode::INTERNAL_SERVER_ERROR,
            reason: "internal",
            message: "the centre could not handle the request; try again later".into(),
        }
    }
}

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        let body = Json(json!({ "error": self.message, "reason": self.reason }));
        let mut response = (self.status, body).into_response();
        if self.status == StatusCode::UNAUTHORIZED {
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Vantay-Signature"),
            );
        }
        response
    }
}

/// The signed request's caller, checked: a pinned partner whose signature
/// over this very request verifies, made within the allowed clock skew,
/// with a nonce not seen before.
async fn authenticate(
    api: &Api,
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<Partner, Refusal> {
    let auth = RequestAuth::from_headers(|name| headers.get(name)?.to_str().ok())
        .map_err(|e| Refusal::unauthenticated(e.to_string()))?;
    let store = api.centre.store();
    let partner = store
        .partner_by_fingerprint(auth.caller)
        .await
        .map_err(Refusal::internal)?
        .ok_or_else(|| {
            tracing::warn!(caller = %auth.caller, "request from an unpinned key refused");
            Refusal::unauthenticated(format!(
                "the caller {} is not a pinned partner of this centre",
                auth.caller
            ))
        })?;
    let identity = PublicIdentity::parse(&partner.identity).map_err(Refusal::internal)?;
    let target = RequestTarget {
        audience: api.centre.public_identity().fingerprint(),
        method: method.as_str(),
        path: uri.path_and_query().map_or(uri.path(), |p| p.as_str()),
        body,
    };
    let now = Utc::now();
    auth.verify(&identity, &target, now).map_err(|e| {
        tracing::warn!(partner = %partner.name, error = %e, "request signature refused");
        Refusal::unauthenticated(e.to_string())
    })?;
    if !store
        .claim_request_nonce(auth.caller, &auth.nonce, now)
        .await
        .map_err(Refusal::internal)?
    {
        tracing::warn!(partner = %partner.name, "replayed request refused");
        return Err(Refusal::unauthenticated(
            "this signed request was already used; sign each request afresh",
        ));
    }
    Ok(partner)
}

fn actor(partner: &Partner) -> Actor {
    Actor(format!("partner:{}", partner.name))
}

async fn list_packages(
    State(api): State<Api>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
) -> Result<Response, Refusal> {
    let partner = authenticate(&api, &method, &uri, &headers, b"").await?;
    let fingerprint = partner.fingerprint.parse().map_err(Refusal::internal)?;
    let waiting = api
        .centre
        .waiting_packages(fingerprint, Utc::now())
        .await
        .map_err(Refusal::internal)?;
    Ok(Json(waiting).into_response())
}

async fn fetch_package(
    State(api): State<Api>,
    Path(id): Path<String>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
) -> Result<Response, Refusal> {
    let partner = authenticate(&api, &method, &uri, &headers, b"").await?;
    let not_found = || Refusal {
        status: StatusCode::NOT_FOUND,
        reason: "unknown-package",
        message: format!("no open package {id} waits for you here"),
    };
    let id: Uuid = id.parse().map_err(|_| not_found())?;
    let fingerprint = partner.fingerprint.parse().map_err(Refusal::internal)?;
    let sealed = api
        .centre
        .fetch_waiting_package(&actor(&partner), fingerprint, id, Utc::now())
        .await
        .map_err(Refusal::internal)?
        .ok_or_else(not_found)?;
    Ok((
        [
            (header::CONTENT_TYPE, "application/octet-stream"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        sealed,
    )
        .into_response())
}

async fn push_result(
    State(api): State<Api>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, Refusal> {
    let partner = authenticate(&api, &method, &uri, &headers, &body).await?;
    match api
        .centre
        .import_result(&actor(&partner), &body, Utc::now())
        .await
    {
        // The case id and its new state stay inside the centre.
        Ok(receipt) => Ok(Json(json!({
            "package": receipt.package,
            "result": receipt.result,
            "rescan": receipt.rescan,
        }))
        .into_response()),
        Err(ExchangeError::Store(err)) => Err(Refusal::internal(err)),
        Err(refused) => Err(Refusal {
            status: if matches!(refused, ExchangeError::AlreadyAnswered { .. }) {
                StatusCode::CONFLICT
            } else {
                StatusCode::UNPROCESSABLE_ENTITY
            },
            reason: refused.refusal_code(),
            message: refused.to_string(),
        }),
    }
}
