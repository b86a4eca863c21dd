//! Reviews and the signed result.

use chrono::{DateTime, Duration, Utc};
use serde::Serialize;
use sqlx::Row;
use uuid::Uuid;
use vantay_domain::Finger;
use vantay_exchange::{FingerOutcome, FingerResult, ResultPayload};
use vantay_vault::{open_field, seal_field, seal_package, PackageHeader, PublicIdentity};

use crate::centre::package_aad;
use crate::engine::ENGINE;
use crate::jobs::JobOutcome;
use crate::ledger::Recorded;
use crate::receive::parse_fingers;
use crate::{stamp, AnalysisCentre, AnalysisError};

/// How long the centre has to import a result.
const RESULT_VALIDITY_DAYS: i64 = 14;
/// The analyst named in a result whose readings nobody reviewed.
pub const AUTO_ANALYST: &str = "auto";

/// Who last reviewed a finger, and when (the analyst pages show it).
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct ReviewMark {
    /// The finger.
    pub finger: Finger,
    /// The analyst's username.
    pub analyst: String,
    /// When, RFC 3339 UTC.
    pub reviewed_at: String,
}

/// What [`AnalysisCentre::answer`] sealed.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct AnswerSummary {
    /// The result package's id.
    pub result: Uuid,
    /// The work package it answers.
    pub package: Uuid,
    /// The case pseudonym.
    pub pseudonym: String,
    /// Fingers analysed.
    pub analysed: Vec<Finger>,
    /// Fingers the centre is asked to rescan.
    pub rescan: Vec<Finger>,
}

impl AnalysisCentre {
    /// An analyst's verdict on one finger: a confirmed or corrected reading
    /// (marked `reviewed`), or a request to rescan with a reason.
    pub async fn review(
        &self,
        package: Uuid,
        finger: Finger,
        analyst: &str,
        outcome: FingerOutcome,
    ) -> Result<(), AnalysisError> {
        let row = self.package_row(package).await?;
        if row.try_get::<String, _>("state")? == "answered" {
            return Err(AnalysisError::AlreadyAnswered(package));
        }
        if !parse_fingers(&row.try_get::<String, _>("fingers")?)?.contains(&finger) {
            return Err(AnalysisError::NoSuchFinger { package, finger });
        }
        let outcome = match outcome {
            FingerOutcome::Analysed(mut reading) => {
                // An arch has no core–delta ridge count by definition; the
                // engine's counts go when a finger is corrected to an arch.
                if reading.class.is_arch() {
                    reading.ridge_counts.clear();
                }
                // What an analyst signs off must make sense for the report.
                reading
                    .check()
                    .map_err(|why| AnalysisError::BadReading { finger, why })?;
                reading.reviewed = true;
                FingerOutcome::Analysed(reading)
            }
            rescan => rescan,
        };
        let key = self.package_key(package, &row)?;
        let field = format!("review:{finger}");
        let sealed = seal_field(
            &key,
            &package_aad(&key, package, &field),
            &serde_json::to_vec(&outcome).expect("an outcome serialises"),
        );
        let mut journal = self.begin(&format!("analyst:{analyst}")).await?;
        sqlx::query("DELETE FROM reviews WHERE package_id = $1 AND finger = $2")
            .bind(package.to_string())
            .bind(finger.code())
            .execute(&mut *journal.tx)
            .await?;
        sqlx::query(
            "INSERT INTO reviews (package_id, finger, analyst, outcome_ciphertext, reviewed_at) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(package.to_string())
        .bind(finger.code())
        .bind(analyst)
        .bind(sealed)
        .bind(stamp(Utc::now()))
        .execute(&mut *journal.tx)
        .await?;
        let package = package.to_string();
        journal
            .record_rows(
                "finger.review",
                format!("prints/{package}/{}", finger.code()),
                &[(
                    Recorded::Reviews,
                    "package_id = $1 AND finger = $2",
                    &[package.as_str(), finger.code()],
                )],
            )
            .await?;
        self.commit(journal).await
    }

    /// Each finger's outcome so far: the analyst's review, else the engine's.
    pub async fn current_outcomes(
        &self,
        package: Uuid,
    ) -> Result<Vec<(Finger, Option<FingerOutcome>)>, AnalysisError> {
        let reviews = self.reviews(package).await?;
        let mut out = Vec::new();
        for (finger, engine) in self.outcomes(package).await? {
            let outcome = match (reviews.iter().find(|(f, _)| *f == finger), engine) {
                (Some((_, review)), _) => Some(review.clone()),
                (None, JobOutcome::Done(reading)) => Some(FingerOutcome::Analysed(reading)),
                (None, JobOutcome::Failed(why)) => Some(FingerOutcome::Rescan {
                    reason: format!("the engine could not read the print: {why}"),
                }),
                (None, JobOutcome::Pending) => None,
            };
            out.push((finger, outcome));
        }
        Ok(out)
    }

    /// Who reviewed which finger of `package`, and when; fingers nobody
    /// reviewed are absent. (Names and times only: nothing is decrypted.)
    pub async fn review_marks(&self, package: Uuid) -> Result<Vec<ReviewMark>, AnalysisError> {
        let rows = sqlx::query(
            "SELECT finger, analyst, reviewed_at FROM reviews WHERE package_id = $1 ORDER BY finger",
        )
        .bind(package.to_string())
        .fetch_all(&self.db.pool)
        .await?;
        rows.iter()
            .map(|row| {
                let finger = parse_fingers(&row.try_get::<String, _>("finger")?)?
                    .into_iter()
                    .next()
                    .ok_or_else(|| AnalysisError::Corrupt("review finger".into()))?;
                Ok(ReviewMark {
                    finger,
                    analyst: row.try_get("analyst")?,
                    reviewed_at: row.try_get("reviewed_at")?,
                })
            })
            .collect()
    }

    async fn reviews(&self, package: Uuid) -> Result<Vec<(Finger, FingerOutcome)>, AnalysisError> {
        let key = self.package_key(package, &self.package_row(package).await?)?;
        let rows =
            sqlx::query("SELECT finger, outcome_ciphertext FROM reviews WHERE package_id = $1")
                .bind(package.to_string())
                .fetch_all(&self.db.pool)
                .await?;
        let mut out = Vec::new();
        for row in rows {
            let finger: Finger = parse_fingers(&row.try_get::<String, _>("finger")?)?
                .into_iter()
                .next()
                .ok_or_else(|| AnalysisError::Corrupt("review finger".into()))?;
            let field = format!("review:{finger}");
            let plain = open_field(
                &key,
                &package_aad(&key, package, &field),
                &row.try_get::<Vec<u8>, _>("outcome_ciphertext")?,
            )
            .map_err(|_| AnalysisError::Tampered(format!("review {finger}")))?;
            let outcome = serde_json::from_slice(&plain)
                .map_err(|_| AnalysisError::Corrupt(format!("review {finger}")))?;
            out.push((finger, outcome));
        }
        Ok(out)
    }

    /// Signs the result of `package` as `analyst`, encrypted to the centre
    /// that sent it. With `auto`, the engine's readings stand for every
    /// finger nobody reviewed (and queued jobs of the package run first).
    pub async fn answer(
        &self,
        package: Uuid,
        analyst: &str,
        auto: bool,
        now: DateTime<Utc>,
    ) -> Result<(AnswerSummary, Vec<u8>), AnalysisError> {
        let row = self.package_row(package).await?;
        if row.try_get::<String, _>("state")? == "answered" {
            return Err(AnalysisError::AlreadyAnswered(package));
        }
        if auto {
            self.work("answer", Some(package)).await?;
        }
        // A pass cut short (a worker stopped mid-way) is finished here.
        let actor = format!("analyst:{analyst}");
        self.weigh_card(package, &actor).await?;
        let reviewed: Vec<Finger> = self
            .reviews(package)
            .await?
            .into_iter()
            .map(|(f, _)| f)
            .collect();
        let outcomes = self.current_outcomes(package).await?;
        let pending: Vec<Finger> = outcomes
            .iter()
            .filter(|(_, o)| o.is_none())
            .map(|(f, _)| *f)
            .collect();
        if !pending.is_empty() {
            return Err(AnalysisError::NotReady(pending));
        }
        let unreviewed: Vec<Finger> = outcomes
            .iter()
            .map(|(f, _)| *f)
            .filter(|f| !reviewed.contains(f))
            .collect();
        if !auto && !unreviewed.is_empty() {
            return Err(AnalysisError::NotReviewed(unreviewed));
        }
        // A signed result is complete and as right as the centre can make
        // it (a reviewed reading is neither uncounted nor unsure).
        let tasks = AnalystTasks::of(&outcomes, self.review_below().await?);
        if !tasks.is_empty() {
            return Err(AnalysisError::AnalystNeeded(tasks));
        }
        let fingers: Vec<FingerResult> = outcomes
            .into_iter()
            .filter_map(|(finger, outcome)| outcome.map(|outcome| FingerResult { finger, outcome }))
            .collect();
        let work: PackageHeader = serde_json::from_str(&row.try_get::<String, _>("header")?)
            .map_err(|_| AnalysisError::Corrupt(format!("header of package {package}")))?;
        // Nobody looked at any finger: the result says so.
        let signer = if reviewed.is_empty() {
            AUTO_ANALYST
        } else {
            analyst
        };
        let result = ResultPayload::new(&work.pseudonym, signer, ENGINE, fingers);
        let recipient = self
            .partner_by_fingerprint(&row.try_get::<String, _>("partner_fingerprint")?)
            .await?;
        let header = PackageHeader::result_for(&work, now, Duration::days(RESULT_VALIDITY_DAYS));
        let bytes = seal_package(&header, &result.to_bytes(), &self.identity, &recipient)?;
        let mut journal = self.begin(&actor).await?;
        let answered = sqlx::query(
            "UPDATE packages SET state = 'answered', answered_at = $1, result_id = $2, \
             result_sealed = $3 WHERE id = $4 AND state = 'received'",
        )
        .bind(stamp(now))
        .bind(header.id.to_string())
        .bind(&bytes)
        .bind(package.to_string())
        .execute(&mut *journal.tx)
        .await?;
        if answered.rows_affected() != 1 {
            return Err(AnalysisError::AlreadyAnswered(package));
        }
        let id = package.to_string();
        journal.record_package("package.answer", &id).await?;
        self.commit(journal).await?;
        let summary = AnswerSummary {
            result: header.id,
            package,
            pseudonym: work.pseudonym.clone(),
            rescan: result.rescans(),
            analysed: result
                .fingers
                .iter()
                .filter(|f| matches!(f.outcome, FingerOutcome::Analysed(_)))
                .map(|f| f.finger)
                .collect(),
        };
        Ok((summary, bytes))
    }

    /// The confidence under which this installation's analysts review the
    /// engine's readings ([`ReviewBelow`]; 90 % unless set).
    pub async fn review_below(&self) -> Result<ReviewBelow, AnalysisError> {
        match crate::centre::meta(&self.db, REVIEW_BELOW_KEY).await? {
            None => Ok(ReviewBelow::default()),
            Some(text) => text
                .parse()
                .ok()
                .and_then(|percent| ReviewBelow::percent(percent).ok())
                .ok_or_else(|| AnalysisError::Corrupt(format!("review_below setting '{text}'"))),
        }
    }

    /// Sets [`Self::review_below`] from now on (a package's answer reads it
    /// when it is signed), recording the change in the ledger.
    pub async fn set_review_below(&self, below: ReviewBelow) -> Result<(), AnalysisError> {
        let mut journal = self.begin(crate::ledger::SYSTEM).await?;
        sqlx::query(
            "INSERT INTO meta (key, value) VALUES ($1, $2) \
             ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        )
        .bind(REVIEW_BELOW_KEY)
        .bind(below.as_percent().to_string())
        .execute(&mut *journal.tx)
        .await?;
        journal
            .record_rows(
                "settings.review_below",
                format!("meta/{REVIEW_BELOW_KEY}"),
                &[(Recorded::Meta, "key = $1", &[REVIEW_BELOW_KEY])],
            )
            .await?;
        self.commit(journal).await
    }

    async fn partner_by_fingerprint(
        &self,
        fingerprint: &str,
    ) -> Result<PublicIdentity, AnalysisError> {
        let row = sqlx::query("SELECT identity FROM partners WHERE fingerprint = $1")
            .bind(fingerprint)
            .fetch_optional(&self.db.pool)
            .await?
            .ok_or_else(|| {
                AnalysisError::Corrupt(format!("the sender {fingerprint} is no longer pinned"))
            })?;
        PublicIdentity::parse(&row.try_get::<String, _>("identity")?)
            .map_err(|_| AnalysisError::Corrupt("a partner's identity line".into()))
    }
}

/// The fingers an automatic answer cannot sign until an analyst has
/// reviewed them: the report needs every loop's and whorl's ridge count,
/// which the engine cannot give without a delta, and a reading the engine
/// is unsure of is wrong often enough that a person must look at it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AnalystTasks {
    /// Loops and whorls the engine found no core and delta to count between
    /// ([`needs_count`]).
    pub uncounted: Vec<Finger>,
    /// Readings whose class the engine is unsure of ([`is_unsure`]),
    /// uncounted ones apart.
    pub unsure: Vec<Finger>,
    /// The confidence `unsure` is under.
    pub below: ReviewBelow,
}

impl AnalystTasks {
    /// The tasks left in a package's current outcomes, a reading under
    /// `below` counting as unsure.
    pub fn of(outcomes: &[(Finger, Option<FingerOutcome>)], below: ReviewBelow) -> AnalystTasks {
        let flagged = |needs: &dyn Fn(&FingerOutcome) -> bool| -> Vec<Finger> {
            outcomes
                .iter()
                .filter(|(_, o)| o.as_ref().is_some_and(needs))
                .map(|(f, _)| *f)
                .collect()
        };
        let uncounted = flagged(&needs_count);
        let unsure = flagged(&|outcome| is_unsure(outcome, below))
            .into_iter()
            .filter(|f| !uncounted.contains(f))
            .collect();
        AnalystTasks {
            uncounted,
            unsure,
            below,
        }
    }

    /// Whether nothing is left for an analyst.
    pub fn is_empty(&self) -> bool {
        self.uncounted.is_empty() && self.unsure.is_empty()
    }

    /// Every finger named, in finger order.
    pub fn fingers(&self) -> Vec<Finger> {
        let mut all: Vec<Finger> = self.uncounted.iter().chain(&self.unsure).copied().collect();
        all.sort();
        all
    }
}

/// Where [`ReviewBelow`] is kept (`meta`), in whole percent.
const REVIEW_BELOW_KEY: &str = "review_below";

/// The engine's default confidence under which its reading must be
/// reviewed before a result is signed. Measured out of fold on the 899
/// SD14 prints (see `docs/benchmarks/print.md`, "Which readings an analyst
/// must see"): the engine states at least this for most prints and is then
/// nearly always right, while most of its mistakes fall under it.
pub const REVIEW_BELOW_CONFIDENCE: f32 = 0.9;

/// The confidence under which an installation has its analysts review the
/// engine's readings, in whole percent: a centre with more analysts may
/// look at more (the referral curve in `docs/benchmarks/print.md` gives
/// what each share referred leaves right). Set with
/// [`AnalysisCentre::set_review_below`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct ReviewBelow(u8);

impl Default for ReviewBelow {
    fn default() -> ReviewBelow {
        ReviewBelow((REVIEW_BELOW_CONFIDENCE * 100.0).round() as u8)
    }
}

impl ReviewBelow {
    /// The lowest setting: under it the engine's guesses between two
    /// classes would be signed unseen.
    pub const MIN_PERCENT: u8 = 50;

    /// `percent` (50–100; 100 sends every reading to an analyst).
    pub fn percent(percent: u8) -> Result<ReviewBelow, AnalysisError> {
        if (Self::MIN_PERCENT..=100).contains(&percent) {
            Ok(ReviewBelow(percent))
        } else {
            Err(AnalysisError::BadSetting(format!(
                "review below {percent} %: give a whole percent from {} to 100",
                Self::MIN_PERCENT
            )))
        }
    }

    /// The setting in whole percent.
    pub fn as_percent(self) -> u8 {
        self.0
    }

    fn as_confidence(self) -> f32 {
        f32::from(self.0) / 100.0
    }
}

/// Whether an outcome is a reading of the engine's, not yet reviewed, whose
/// class it is unsure of (confidence under `below`): an analyst must
/// confirm or correct it before the result is signed.
pub fn is_unsure(outcome: &FingerOutcome, below: ReviewBelow) -> bool {
    matches!(
        outcome,
        FingerOutcome::Analysed(reading)
            if !reading.reviewed && reading.confidence < below.as_confidence()
    )
}

/// Whether an outcome is a reading whose ridge counts do not fit its class
/// (a loop or whorl whose core or delta the engine did not find): an analyst must
/// count it before the result is signed.
pub fn needs_count(outcome: &FingerOutcome) -> bool {
    matches!(outcome, FingerOutcome::Analysed(reading) if reading.check_ridge_counts().is_err())
}

#[cfg(test)]
mod tests {
    use vantay_exchange::{PatternClass, Point, Reading};

    use super::*;

    fn loop_read_at(confidence: f32, reviewed: bool) -> FingerOutcome {
        FingerOutcome::Analysed(Reading {
            class: PatternClass::L,
            subtype: "loop".into(),
            confidence,
            cores: vec![Point { x: 400, y: 300 }],
            deltas: vec![Point { x: 300, y: 450 }],
            ridge_counts: vec![11],
            quality: 70,
            reviewed,
        })
    }

    #[test]
    fn only_unreviewed_readings_under_the_threshold_are_unsure() {
        let below = ReviewBelow::default();
        assert_eq!(below.as_percent(), 90);
        assert!(is_unsure(&loop_read_at(0.41, false), below));
        assert!(is_unsure(&loop_read_at(0.89, false), below));
        assert!(!is_unsure(
            &loop_read_at(REVIEW_BELOW_CONFIDENCE, false),
            below
        ));
        assert!(!is_unsure(&loop_read_at(0.99, false), below));
        // An analyst's confirmation keeps the engine's figure and settles it.
        assert!(!is_unsure(&loop_read_at(0.41, true), below));
        let rescan = FingerOutcome::Rescan {
            reason: "smudged".into(),
        };
        assert!(!is_unsure(&rescan, below) && !needs_count(&rescan));
        // A stricter centre looks at more; 100 % sends every reading.
        let strict = ReviewBelow::percent(95).unwrap();
        assert!(is_unsure(&loop_read_at(0.93, false), strict));
        assert!(is_unsure(
            &loop_read_at(0.999, false),
            ReviewBelow::percent(100).unwrap()
        ));
    }

    #[test]
    fn a_threshold_outside_50_to_100_percent_is_refused() {
        for wrong in [0, 49, 101, 255] {
            let err = ReviewBelow::percent(wrong).unwrap_err().to_string();
            assert!(err.contains("from 50 to 100"), "{err}");
        }
    }

    #[test]
    fn one_refusal_names_every_finger_and_what_to_do_about_it() {
        let both = AnalysisError::AnalystNeeded(AnalystTasks {
            uncounted: vec![Finger::L2],
            unsure: vec![Finger::R3, Finger::L4],
            below: ReviewBelow::default(),
        })
        .to_string();
        assert!(
            both.contains("fingers L2 (no core and delta found to count between)"),
            "{both}"
        );
        assert!(both.contains("--ridge-counts N"), "{both}");
        assert!(
            both.contains("unsure of the class of fingers R3, L4 (confidence under 90 %)"),
            "{both}"
        );
        assert!(
            both.contains("--class C") && both.ends_with("then answer again"),
            "{both}"
        );
        let unsure_only = AnalysisError::AnalystNeeded(AnalystTasks {
            uncounted: vec![],
            unsure: vec![Finger::R1],
            below: ReviewBelow::percent(95).unwrap(),
        })
        .to_string();
        assert!(!unsure_only.contains("--ridge-counts"), "{unsure_only}");
        assert!(
            unsure_only.starts_with(
                "the engine is unsure of the class of fingers R1 (confidence under 95 %)"
            ),
            "{unsure_only}"
        );
    }
}
