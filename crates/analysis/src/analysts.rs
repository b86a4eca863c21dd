//! Analyst accounts, their logins and their sessions, all in the database.
//!
//! - An account exists only with the date its holder signed the
//!   confidentiality agreement. Creating one (or resetting its password)
//!   gives a random one-time password, which must be replaced at the first
//!   login.
//! - Passwords are stored as Argon2id PHC strings. The cost is the crate's
//!   default (19 MiB, 2 passes, OWASP's minimum for Argon2id): a login takes
//!   tens of milliseconds on the 2-core machines the centres run on, and
//!   guessing offline stays costly.
//! - A session is a random 256-bit token held by the browser; the database
//!   keeps only its SHA-256, so a copy of the database logs nobody in. It
//!   ends after [`SESSION_HOURS`], after [`IDLE_MINUTES`] without a request,
//!   or at logout. Several server processes can share one database: no
//!   session lives only in one process's memory.
//! - Failed logins are counted per username in the database, for unknown
//!   usernames too: after [`MAX_FAILURES`] in a row, the name is locked for
//!   [`LOCK_MINUTES`], doubling with each further failure up to a day.
//!   Unknown usernames cost the same password check as known ones, and get
//!   the same answer, so the login says nothing about which names exist.

use std::sync::OnceLock;

use argon2::password_hash::rand_core::{OsRng, RngCore};
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use chrono::{DateTime, Duration, NaiveDate, Utc};
use serde::Serialize;
use sha2::{Digest, Sha256};
use sqlx::Row;
use subtle::ConstantTimeEq;

use crate::ledger::{Journal, Recorded, SYSTEM};
use crate::{stamp, AnalysisCentre, AnalysisError};

/// A session ends this long after login, whatever happens.
pub const SESSION_HOURS: i64 = 8;
/// A session ends after this long without a request.
pub const IDLE_MINUTES: i64 = 30;
/// Failed logins in a row before a username is locked.
pub const MAX_FAILURES: i64 = 5;
/// The first lock's length; each further failure doubles it, up to a day.
pub const LOCK_MINUTES: i64 = 15;
/// The shortest password an analyst may choose.
pub const MIN_PASSWORD_CHARS: usize = 12;

/// Characters of generated passwords: no 0/O, 1/l/I to misread on paper.
const PASSWORD_ALPHABET: &[u8] = b"abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
/// 16 characters of 57: about 93 bits.
const PASSWORD_CHARS: usize = 16;
/// `last_seen_at` is written at most this often, not on every request.
const SEEN_EVERY_SECONDS: i64 = 60;

/// What can go wrong with an analyst's account or login.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AnalystError {
    /// The username is not 2–32 of a–z, 0–9, `.`, `_`, `-`, starting with a letter.
    #[error(
        "'{0}' is not a username: use 2 to 32 of a-z, 0-9, '.', '_', '-', starting with a letter"
    )]
    BadUsername(String),
    /// The display name is empty, too long or holds control characters.
    #[error("the display name must be 1 to 100 printable characters")]
    BadDisplayName,
    /// The agreement date is after today.
    #[error(
        "the confidentiality agreement date {0} is in the future: give the date it was signed"
    )]
    AgreementInFuture(NaiveDate),
    /// The username is taken.
    #[error("an analyst named '{0}' already exists")]
    Exists(String),
    /// No analyst of that name.
    #[error("no analyst named '{0}'")]
    Unknown(String),
    /// Wrong username or password (one message for both).
    #[error("wrong username or password")]
    LoginRefused,
    /// Too many failed logins for this username.
    #[error("too many failed logins for this username: try again after {0}")]
    Throttled(DateTime<Utc>),
    /// The new password is too short or equals the old one.
    #[error("the new password must have at least {MIN_PASSWORD_CHARS} characters and differ from the old one")]
    WeakPassword,
    /// A stored password hash is not a PHC string.
    #[error("the stored password of '{0}' is damaged; reset it")]
    DamagedHash(String),
    /// The analysis centre's own error (database, corrupt rows).
    #[error(transparent)]
    Centre(#[from] AnalysisError),
}

impl From<sqlx::Error> for AnalystError {
    fn from(err: sqlx::Error) -> AnalystError {
        AnalystError::Centre(AnalysisError::Database(err))
    }
}

/// An analyst's account.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct Analyst {
    /// The login name; results and reviews carry it.
    pub username: String,
    /// The name shown on the pages.
    pub display_name: String,
    /// When the confidentiality agreement was signed.
    pub agreement_signed: NaiveDate,
    /// When the account was created.
    pub created_at: String,
    /// Whether the password is a one-time password still to be replaced.
    pub must_change_password: bool,
}

/// A generated password, to hand to the analyst once. Not printed by `Debug`.
pub struct OneTimePassword(String);

impl OneTimePassword {
    /// The password itself.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for OneTimePassword {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("OneTimePassword(…)")
    }
}

/// A session token, for the browser's cookie. Not printed by `Debug`.
pub struct SessionToken(String);

impl SessionToken {
    /// The cookie value.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for SessionToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SessionToken(…)")
    }
}

/// A live session: who is logged in, and the CSRF token of their forms.
#[derive(Clone)]
pub struct Session {
    /// The analyst's username.
    pub username: String,
    /// The analyst's display name.
    pub display_name: String,
    /// The one-time password must be replaced before anything else.
    pub must_change_password: bool,
    /// When the session ends at the latest.
    pub expires_at: DateTime<Utc>,
    csrf: String,
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session")
            .field("username", &self.username)
            .field("expires_at", &self.expires_at)
            .finish_non_exhaustive()
    }
}

impl Session {
    /// The token every form of this session carries. Derived from the
    /// session token, so it needs no storage and dies with the session.
    pub fn csrf_token(&self) -> &str {
        &self.csrf
    }

    /// Whether `given` is this session's CSRF token (constant time).
    pub fn csrf_matches(&self, given: &str) -> bool {
        !given.is_empty() && bool::from(self.csrf.as_bytes().ct_eq(given.as_bytes()))
    }
}

impl AnalysisCentre {
    /// Creates an analyst's account; returns it with a one-time password.
    pub async fn add_analyst(
        &self,
        username: &str,
        display_name: &str,
        agreement_signed: NaiveDate,
        now: DateTime<Utc>,
    ) -> Result<(Analyst, OneTimePassword), AnalystError> {
        let username = parse_username(username)?;
        let display_name = display_name.trim();
        if display_name.is_empty()
            || display_name.chars().count() > 100
            || display_name.chars().any(char::is_control)
        {
            return Err(AnalystError::BadDisplayName);
        }
        if agreement_signed > now.date_naive() {
            return Err(AnalystError::AgreementInFuture(agreement_signed));
        }
        let password = generate_password();
        let mut journal = self.begin(SYSTEM).await?;
        let inserted = sqlx::query(
            "INSERT INTO analysts (username, display_name, agreement_signed, password_hash, \
             must_change_password, created_at) VALUES ($1, $2, $3, $4, 1, $5)",
        )
        .bind(&username)
        .bind(display_name)
        .bind(agreement_signed.to_string())
        .bind(hash_password(password.expose()))
        .bind(stamp(now))
        .execute(&mut *journal.tx)
        .await;
        match inserted {
            Ok(_) => {}
            Err(sqlx::Error::Database(_)) => return Err(AnalystError::Exists(username)),
            Err(err) => return Err(err.into()),
        }
        record_analyst(&mut journal, "analyst.add", &username).await?;
        self.commit(journal).await?;
        let analyst = Analyst {
            username,
            display_name: display_name.to_owned(),
            agreement_signed,
            created_at: stamp(now),
            must_change_password: true,
        };
        Ok((analyst, password))
    }

    /// Every analyst, by username.
    pub async fn analysts(&self) -> Result<Vec<Analyst>, AnalystError> {
        let rows = sqlx::query(
            "SELECT username, display_name, agreement_signed, must_change_password, created_at \
             FROM analysts ORDER BY username",
        )
        .fetch_all(&self.db.pool)
        .await?;
        rows.iter()
            .map(|row| {
                let signed: String = row.try_get("agreement_signed")?;
                Ok(Analyst {
                    username: row.try_get("username")?,
                    display_name: row.try_get("display_name")?,
                    agreement_signed: signed.parse().map_err(|_| {
                        AnalysisError::Corrupt(format!("agreement date '{signed}'"))
                    })?,
                    created_at: row.try_get("created_at")?,
                    must_change_password: row.try_get::<i64, _>("must_change_password")? != 0,
                })
            })
            .collect()
    }

    /// Gives an analyst a new one-time password, ends their sessions and
    /// lifts any login lock.
    pub async fn reset_analyst_password(
        &self,
        username: &str,
    ) -> Result<OneTimePassword, AnalystError> {
        let username = parse_username(username)?;
        let password = generate_password();
        let mut journal = self.begin(SYSTEM).await?;
        let updated = sqlx::query(
            "UPDATE analysts SET password_hash = $1, must_change_password = 1 WHERE username = $2",
        )
        .bind(hash_password(password.expose()))
        .bind(&username)
        .execute(&mut *journal.tx)
        .await?;
        if updated.rows_affected() != 1 {
            return Err(AnalystError::Unknown(username));
        }
        for sql in [
            "DELETE FROM analyst_sessions WHERE username = $1",
            "DELETE FROM login_throttle WHERE username = $1",
        ] {
            sqlx::query(sql)
                .bind(&username)
                .execute(&mut *journal.tx)
                .await?;
        }
        record_analyst(&mut journal, "analyst.password_reset", &username).await?;
        self.commit(journal).await?;
        Ok(password)
    }

    /// Checks a username and password; opens a session.
    pub async fn login(
        &self,
        username: &str,
        password: &str,
        now: DateTime<Utc>,
    ) -> Result<(SessionToken, Session), AnalystError> {
        // Names that cannot exist are refused before touching the throttle
        // table, so junk cannot fill it.
        let Ok(username) = parse_username(username) else {
            verify_password(dummy_hash(), password);
            return Err(AnalystError::LoginRefused);
        };
        if let Some(until) = self.locked_until(&username, now).await? {
            return Err(AnalystError::Throttled(until));
        }
        let row = sqlx::query("SELECT password_hash FROM analysts WHERE username = $1")
            .bind(&username)
            .fetch_optional(&self.db.pool)
            .await?;
        let ok = match &row {
            Some(row) => {
                let stored: String = row.try_get("password_hash")?;
                let hash = PasswordHash::new(&stored)
                    .map_err(|_| AnalystError::DamagedHash(username.clone()))?;
                verify_password(&hash, password)
            }
            None => {
                verify_password(dummy_hash(), password);
                false
            }
        };
        if !ok {
            self.count_failure(&username, now).await?;
            return Err(AnalystError::LoginRefused);
        }
        sqlx::query("DELETE FROM login_throttle WHERE username = $1")
            .bind(&username)
            .execute(&self.db.pool)
            .await?;
        self.open_session(&username, now).await
    }

    /// The session a cookie names, if it is still open; marks it seen.
    pub async fn session(
        &self,
        token: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<Session>, AnalystError> {
        let row = sqlx::query(
            "SELECT s.username, s.expires_at, s.last_seen_at, a.display_name, \
             a.must_change_password FROM analyst_sessions s \
             JOIN analysts a ON a.username = s.username WHERE s.token_hash = $1",
        )
        .bind(token_hash(token))
        .fetch_optional(&self.db.pool)
        .await?;
        let Some(row) = row else { return Ok(None) };
        let expires_at = parse_stamp(&row.try_get::<String, _>("expires_at")?)?;
        let last_seen = parse_stamp(&row.try_get::<String, _>("last_seen_at")?)?;
        if now >= expires_at || now >= last_seen + Duration::minutes(IDLE_MINUTES) {
            self.logout(token).await?;
            return Ok(None);
        }
        if now - last_seen >= Duration::seconds(SEEN_EVERY_SECONDS) {
            sqlx::query("UPDATE analyst_sessions SET last_seen_at = $1 WHERE token_hash = $2")
                .bind(stamp(now))
                .bind(token_hash(token))
                .execute(&self.db.pool)
                .await?;
        }
        Ok(Some(Session {
            username: row.try_get("username")?,
            display_name: row.try_get("display_name")?,
            must_change_password: row.try_get::<i64, _>("must_change_password")? != 0,
            expires_at,
            csrf: csrf_of(token),
        }))
    }

    /// Ends the session a cookie names (nothing if it is unknown).
    pub async fn logout(&self, token: &str) -> Result<(), AnalystError> {
        sqlx::query("DELETE FROM analyst_sessions WHERE token_hash = $1")
            .bind(token_hash(token))
            .execute(&self.db.pool)
            .await?;
        Ok(())
    }

    /// Replaces the password of the session's analyst, after checking the
    /// current one; the analyst's other sessions end.
    pub async fn change_password(
        &self,
        token: &str,
        current: &str,
        new: &str,
        now: DateTime<Utc>,
    ) -> Result<(), AnalystError> {
        let session = self
            .session(token, now)
            .await?
            .ok_or(AnalystError::LoginRefused)?;
        if new.chars().count() < MIN_PASSWORD_CHARS || new == current {
            return Err(AnalystError::WeakPassword);
        }
        let row = sqlx::query("SELECT password_hash FROM analysts WHERE username = $1")
            .bind(&session.username)
            .fetch_one(&self.db.pool)
            .await?;
        let stored: String = row.try_get("password_hash")?;
        let hash = PasswordHash::new(&stored)
            .map_err(|_| AnalystError::DamagedHash(session.username.clone()))?;
        if !verify_password(&hash, current) {
            return Err(AnalystError::LoginRefused);
        }
        let mut journal = self.begin(&format!("analyst:{}", session.username)).await?;
        sqlx::query(
            "UPDATE analysts SET password_hash = $1, must_change_password = 0 WHERE username = $2",
        )
        .bind(hash_password(new))
        .bind(&session.username)
        .execute(&mut *journal.tx)
        .await?;
        sqlx::query("DELETE FROM analyst_sessions WHERE username = $1 AND token_hash <> $2")
            .bind(&session.username)
            .bind(token_hash(token))
            .execute(&mut *journal.tx)
            .await?;
        record_analyst(&mut journal, "analyst.password_change", &session.username).await?;
        self.commit(journal).await?;
        Ok(())
    }

    async fn open_session(
        &self,
        username: &str,
        now: DateTime<Utc>,
    ) -> Result<(SessionToken, Session), AnalystError> {
        let mut bytes = [0u8; 32];
        OsRng.fill_bytes(&mut bytes);
        let token = hex::encode(bytes);
        let expires_at = now + Duration::hours(SESSION_HOURS);
        // Sessions past their absolute end are swept here, at each login.
        sqlx::query("DELETE FROM analyst_sessions WHERE expires_at <= $1")
            .bind(stamp(now))
            .execute(&self.db.pool)
            .await?;
        sqlx::query(
            "INSERT INTO analyst_sessions (token_hash, username, created_at, expires_at, \
             last_seen_at) VALUES ($1, $2, $3, $4, $3)",
        )
        .bind(token_hash(&token))
        .bind(username)
        .bind(stamp(now))
        .bind(stamp(expires_at))
        .execute(&self.db.pool)
        .await?;
        let session = self
            .session(&token, now)
            .await?
            .ok_or_else(|| AnalysisError::Corrupt("a session just opened is missing".into()))?;
        Ok((SessionToken(token), session))
    }

    async fn locked_until(
        &self,
        username: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<DateTime<Utc>>, AnalystError> {
        let row = sqlx::query("SELECT locked_until FROM login_throttle WHERE username = $1")
            .bind(username)
            .fetch_optional(&self.db.pool)
            .await?;
        let until = match row {
            Some(row) => row.try_get::<Option<String>, _>("locked_until")?,
            None => None,
        };
        let Some(until) = until else { return Ok(None) };
        let until = parse_stamp(&until)?;
        Ok((until > now).then_some(until))
    }

    async fn count_failure(&self, username: &str, now: DateTime<Utc>) -> Result<(), AnalystError> {
        // One statement on both databases, so concurrent failures all count.
        let row = sqlx::query(
            "INSERT INTO login_throttle (username, failures, last_failed_at) VALUES ($1, 1, $2) \
             ON CONFLICT (username) DO UPDATE SET failures = login_throttle.failures + 1, \
             last_failed_at = $2 RETURNING failures",
        )
        .bind(username)
        .bind(stamp(now))
        .fetch_one(&self.db.pool)
        .await?;
        let failures: i64 = row.try_get("failures")?;
        if failures >= MAX_FAILURES {
            let doublings = (failures - MAX_FAILURES).min(7) as u32;
            let lock = Duration::minutes(LOCK_MINUTES * 2i64.pow(doublings)).min(Duration::days(1));
            sqlx::query("UPDATE login_throttle SET locked_until = $1 WHERE username = $2")
                .bind(stamp(now + lock))
                .bind(username)
                .execute(&self.db.pool)
                .await?;
        }
        Ok(())
    }
}

fn parse_username(name: &str) -> Result<String, AnalystError> {
    let name = name.trim().to_lowercase();
    let ok = (2..=32).contains(&name.len())
        && name.starts_with(|c: char| c.is_ascii_lowercase())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '_' | '-'));
    // "auto" names results nobody reviewed; an analyst may not take it.
    if ok && name != crate::answer::AUTO_ANALYST {
        Ok(name)
    } else {
        Err(AnalystError::BadUsername(name))
    }
}

fn generate_password() -> OneTimePassword {
    // Rejection sampling keeps every character equally likely.
    let limit = 256 - 256 % PASSWORD_ALPHABET.len();
    let mut out = String::with_capacity(PASSWORD_CHARS);
    while out.len() < PASSWORD_CHARS {
        let mut byte = [0u8; 1];
        OsRng.fill_bytes(&mut byte);
        if (byte[0] as usize) < limit {
            out.push(PASSWORD_ALPHABET[byte[0] as usize % PASSWORD_ALPHABET.len()] as char);
        }
    }
    OneTimePassword(out)
}

fn hash_password(password: &str) -> String {
    Argon2::default()
        .hash_password(password.as_bytes(), &SaltString::generate(&mut OsRng))
        .expect("Argon2 with default parameters hashes any password")
        .to_string()
}

fn verify_password(hash: &PasswordHash<'_>, password: &str) -> bool {
    Argon2::default()
        .verify_password(password.as_bytes(), hash)
        .is_ok()
}

/// A hash of nothing anyone knows, checked for unknown usernames so that
/// they take as long to refuse as known ones.
fn dummy_hash() -> &'static PasswordHash<'static> {
    static STRING: OnceLock<String> = OnceLock::new();
    static HASH: OnceLock<PasswordHash<'static>> = OnceLock::new();
    HASH.get_or_init(|| {
        let string = STRING.get_or_init(|| hash_password(generate_password().expose()));
        PasswordHash::new(string).expect("a fresh PHC string parses")
    })
}

fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

fn csrf_of(token: &str) -> String {
    let mut hasher = Sha256::new();
    hasher.update(b"vantay analyst csrf\0");
    hasher.update(token.as_bytes());
    hex::encode(hasher.finalize())
}

fn parse_stamp(text: &str) -> Result<DateTime<Utc>, AnalysisError> {
    DateTime::parse_from_rfc3339(text)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|_| AnalysisError::Corrupt(format!("time '{text}'")))
}

/// Records an analyst's row as it now stands (never the password itself:
/// the digest covers its Argon2 hash).
async fn record_analyst(
    journal: &mut Journal<'_>,
    action: &str,
    username: &str,
) -> Result<(), AnalysisError> {
    journal
        .record_rows(
            action,
            format!("analysts/{username}"),
            &[(Recorded::Analysts, "username = $1", &[username])],
        )
        .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usernames_are_normalised_or_refused() {
        assert_eq!(parse_username(" Lan.Nguyen ").unwrap(), "lan.nguyen");
        for bad in [
            "",
            "a",
            "1abc",
            "lan nguyen",
            "lan@x",
            "auto",
            &"a".repeat(33),
        ] {
            assert!(parse_username(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn generated_passwords_use_the_alphabet() {
        let a = generate_password();
        let b = generate_password();
        assert_eq!(a.expose().len(), PASSWORD_CHARS);
        assert!(a.expose().bytes().all(|c| PASSWORD_ALPHABET.contains(&c)));
        assert_ne!(a.expose(), b.expose());
        assert_eq!(format!("{a:?}"), "OneTimePassword(…)");
    }

    #[test]
    fn csrf_tokens_differ_per_session_and_compare_exactly() {
        let session = |token: &str| Session {
            username: "lan".into(),
            display_name: "Lan".into(),
            must_change_password: false,
            expires_at: Utc::now(),
            csrf: csrf_of(token),
        };
        let one = session("one");
        assert!(one.csrf_matches(one.csrf_token()));
        assert!(!one.csrf_matches(session("two").csrf_token()));
        assert!(!one.csrf_matches(""));
        assert_ne!(one.csrf_token(), token_hash("one"), "not the stored hash");
    }
}
