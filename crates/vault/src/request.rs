//! Signed HTTP requests between two pinned installations.
//!
//! The centre and its analysis centre already know each other's Ed25519 key
//! (each pinned the other's identity line), so a request is authenticated by
//! a signature of the caller, not by a password or a bearer token that could
//! leak from a log. The signature covers:
//!
//! ```text
//! vantay-request-v1
//! <caller fingerprint>
//! <audience fingerprint>     the server the request is meant for
//! <METHOD>
//! <path and query>
//! <date, RFC 3339, seconds>
//! <nonce, 32 hex digits>
//! <SHA-256 of the body, hex>
//! ```
//!
//! Binding the audience stops a request made for one server from being
//! replayed at another; the date bounds how long a captured request is any
//! use ([`MAX_CLOCK_SKEW`]), and the nonce lets the server refuse a second
//! use within that window (it keeps the nonces it has seen, in its database,
//! so several server processes share them). The body hash means the body
//! cannot be swapped. This module is HTTP-agnostic: it reads and writes four
//! header values, and the server crate does the transport.

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use chrono::{DateTime, Duration, SecondsFormat, Utc};
use ed25519_dalek::{Signature, Verifier as _};
use rand::RngCore as _;
use sha2::{Digest as _, Sha256};

use crate::{CentreKeys, Fingerprint, PublicIdentity};

/// Header naming the caller by the fingerprint of its identity.
pub const CALLER_HEADER: &str = "vantay-caller";
/// Header with the time the request was made.
pub const DATE_HEADER: &str = "vantay-date";
/// Header with a random value used once.
pub const NONCE_HEADER: &str = "vantay-nonce";
/// Header with the Ed25519 signature, base64.
pub const SIGNATURE_HEADER: &str = "vantay-signature";

/// How far a request's date may be from the server's clock, either way.
pub const MAX_CLOCK_SKEW: Duration = Duration::minutes(5);

const CONTEXT: &str = "vantay-request-v1";

/// Why a request's signature was refused. Messages name what to fix.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum RequestError {
    /// A header is absent.
    #[error("the request is not signed: header {0} is missing")]
    Missing(&'static str),
    /// A header is present but malformed.
    #[error("the request's {0} header is malformed")]
    Malformed(&'static str),
    /// The date is outside the allowed window.
    #[error("the request's date {date} is more than 5 minutes from the server's clock ({now}); check the caller's clock")]
    Stale {
        /// The date in the request.
        date: String,
        /// The server's time.
        now: String,
    },
    /// The signature does not verify with the caller's pinned key.
    #[error("the request's signature does not verify with the caller's pinned key")]
    BadSignature,
}

/// The four values that authenticate one request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RequestAuth {
    /// The caller's identity fingerprint.
    pub caller: Fingerprint,
    /// When the caller made the request.
    pub date: DateTime<Utc>,
    /// 16 random bytes, hex.
    pub nonce: String,
    signature: [u8; 64],
}

/// What is being requested: the parts of the request the signature covers.
#[derive(Clone, Copy, Debug)]
pub struct RequestTarget<'a> {
    /// The server the request is for (the fingerprint of its identity).
    pub audience: Fingerprint,
    /// The HTTP method, e.g. `GET`.
    pub method: &'a str,
    /// The path with its query, e.g. `/api/v1/packages?after=…`.
    pub path: &'a str,
    /// The request body (empty for a GET).
    pub body: &'a [u8],
}

impl RequestAuth {
    /// Signs a request as `keys`, at `now`.
    pub fn sign(keys: &CentreKeys, target: &RequestTarget<'_>, now: DateTime<Utc>) -> RequestAuth {
        let mut nonce = [0u8; 16];
        rand::rngs::OsRng.fill_bytes(&mut nonce);
        // Whole seconds: what travels in the header is what was signed.
        let date = DateTime::from_timestamp(now.timestamp(), 0).expect("a valid time");
        let caller = keys.public().fingerprint();
        let nonce = hex::encode(nonce);
        let signature = keys.sign(&message(caller, target, date, &nonce)).to_bytes();
        RequestAuth {
            caller,
            date,
            nonce,
            signature,
        }
    }

    /// The header values to send, as `(name, value)`.
    pub fn headers(&self) -> [(&'static str, String); 4] {
        [
            (CALLER_HEADER, self.caller.to_string()),
            (
                DATE_HEADER,
                self.date.to_rfc3339_opts(SecondsFormat::Secs, true),
            ),
            (NONCE_HEADER, self.nonce.clone()),
            (SIGNATURE_HEADER, STANDARD.encode(self.signature)),
        ]
    }

    /// Reads the header values; `header(name)` gives a header's value.
    pub fn from_headers<'h>(
        header: impl Fn(&str) -> Option<&'h str>,
    ) -> Result<RequestAuth, RequestError> {
        let get = |name: &'static str| header(name).ok_or(RequestError::Missing(name));
        let caller = get(CALLER_HEADER)?
            .parse::<Fingerprint>()
            .map_err(|_| RequestError::Malformed(CALLER_HEADER))?;
        let date = DateTime::parse_from_rfc3339(get(DATE_HEADER)?)
            .map_err(|_| RequestError::Malformed(DATE_HEADER))?
            .with_timezone(&Utc);
        let nonce = get(NONCE_HEADER)?;
        if nonce.len() != 32 || !nonce.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(RequestError::Malformed(NONCE_HEADER));
        }
        let signature: [u8; 64] = STANDARD
            .decode(get(SIGNATURE_HEADER)?)
            .ok()
            .and_then(|bytes| bytes.try_into().ok())
            .ok_or(RequestError::Malformed(SIGNATURE_HEADER))?;
        Ok(RequestAuth {
            caller,
            date,
            nonce: nonce.to_ascii_lowercase(),
            signature,
        })
    }

    /// Checks the date against `now` and the signature against the caller's
    /// pinned identity (looked up by [`RequestAuth::caller`]). The caller
    /// must still refuse a nonce it has seen before.
    pub fn verify(
        &self,
        caller: &PublicIdentity,
        target: &RequestTarget<'_>,
        now: DateTime<Utc>,
    ) -> Result<(), RequestError> {
        if (now - self.date).abs() > MAX_CLOCK_SKEW {
            return Err(RequestError::Stale {
                date: self.date.to_rfc3339_opts(SecondsFormat::Secs, true),
                now: now.to_rfc3339_opts(SecondsFormat::Secs, true),
            });
        }
        // The fingerprint names the caller; the key must be the one it names.
        if caller.fingerprint() != self.caller {
            return Err(RequestError::BadSignature);
        }
        let signed = message(self.caller, target, self.date, &self.nonce);
        caller
            .verifying_key()
            .verify(&signed, &Signature::from_bytes(&self.signature))
            .map_err(|_| RequestError::BadSignature)
    }
}

fn message(
    caller: Fingerprint,
    target: &RequestTarget<'_>,
    date: DateTime<Utc>,
    nonce: &str,
) -> Vec<u8> {
    format!(
        "{CONTEXT}\n{caller}\n{}\n{}\n{}\n{}\n{nonce}\n{}",
        target.audience,
        target.method.to_ascii_uppercase(),
        target.path,
        date.to_rfc3339_opts(SecondsFormat::Secs, true),
        hex::encode(Sha256::digest(target.body)),
    )
    .into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(name: &str) -> CentreKeys {
        CentreKeys::generate(name).expect("keys")
    }

    fn target<'a>(audience: &CentreKeys, body: &'a [u8]) -> RequestTarget<'a> {
        RequestTarget {
            audience: audience.public().fingerprint(),
            method: "POST",
            path: "/api/v1/results",
            body,
        }
    }

    /// Sends the request through its header form, as the server sees it.
    fn received(auth: &RequestAuth) -> RequestAuth {
        let headers = auth.headers();
        RequestAuth::from_headers(|name| {
            headers
                .iter()
                .find(|(n, _)| *n == name)
                .map(|(_, v)| v.as_str())
        })
        .expect("headers parse")
    }

    #[test]
    fn a_signed_request_verifies_after_travelling_as_headers() {
        let (lab, centre) = (keys("lab"), keys("centre"));
        let now = Utc::now();
        let auth = RequestAuth::sign(&lab, &target(&centre, b"result"), now);
        let got = received(&auth);
        assert_eq!(got, auth);
        got.verify(&lab.public(), &target(&centre, b"result"), now)
            .expect("verifies");
    }

    #[test]
    fn any_change_to_what_was_signed_is_refused() {
        let (lab, centre, other) = (keys("lab"), keys("centre"), keys("other"));
        let now = Utc::now();
        let auth = received(&RequestAuth::sign(&lab, &target(&centre, b"result"), now));
        let mut changed = vec![
            target(&centre, b"resulT"),
            target(&other, b"result"),
            target(&centre, b"result"),
            target(&centre, b"result"),
        ];
        changed[2].method = "GET";
        changed[3].path = "/api/v1/results?x=1";
        for t in &changed {
            assert_eq!(
                auth.verify(&lab.public(), t, now),
                Err(RequestError::BadSignature)
            );
        }
        // Another key claiming the caller's fingerprint.
        assert_eq!(
            auth.verify(&other.public(), &target(&centre, b"result"), now),
            Err(RequestError::BadSignature)
        );
        // A flipped signature bit.
        let mut flipped = auth.clone();
        flipped.signature[10] ^= 1;
        assert_eq!(
            flipped.verify(&lab.public(), &target(&centre, b"result"), now),
            Err(RequestError::BadSignature)
        );
    }

    #[test]
    fn an_old_or_future_request_is_refused() {
        let (lab, centre) = (keys("lab"), keys("centre"));
        let now = Utc::now();
        let t = target(&centre, b"");
        let auth = RequestAuth::sign(&lab, &t, now - Duration::minutes(6));
        assert!(matches!(
            auth.verify(&lab.public(), &t, now),
            Err(RequestError::Stale { .. })
        ));
        let auth = RequestAuth::sign(&lab, &t, now + Duration::minutes(6));
        assert!(matches!(
            auth.verify(&lab.public(), &t, now),
            Err(RequestError::Stale { .. })
        ));
        let auth = RequestAuth::sign(&lab, &t, now - Duration::minutes(4));
        assert!(auth.verify(&lab.public(), &t, now).is_ok());
    }

    #[test]
    fn missing_or_malformed_headers_are_named() {
        let lab = keys("lab");
        let auth = RequestAuth::sign(&lab, &target(&lab, b""), Utc::now());
        let headers = auth.headers();
        for (skip, _) in &headers {
            let got = RequestAuth::from_headers(|name| {
                headers
                    .iter()
                    .find(|(n, _)| *n == name && n != skip)
                    .map(|(_, v)| v.as_str())
            });
            assert_eq!(got, Err(RequestError::Missing(skip)));
        }
        let bad = |name: &str, value: &'static str| {
            RequestAuth::from_headers(|n| {
                if n == name {
                    Some(value)
                } else {
                    headers
                        .iter()
                        .find(|(h, _)| *h == n)
                        .map(|(_, v)| v.as_str())
                }
            })
        };
        assert_eq!(
            bad(NONCE_HEADER, "xyz"),
            Err(RequestError::Malformed(NONCE_HEADER))
        );
        assert_eq!(
            bad(DATE_HEADER, "yesterday"),
            Err(RequestError::Malformed(DATE_HEADER))
        );
        assert_eq!(
            bad(SIGNATURE_HEADER, "AAAA"),
            Err(RequestError::Malformed(SIGNATURE_HEADER))
        );
        assert_eq!(
            bad(CALLER_HEADER, "nope"),
            Err(RequestError::Malformed(CALLER_HEADER))
        );
    }
}
