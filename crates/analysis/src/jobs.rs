//! The analysis queue: one job per print, in the database, shared by every
//! worker of every machine.
//!
//! A worker takes a job with one `UPDATE … WHERE id = (SELECT … LIMIT 1)`:
//! on PostgreSQL the inner select is `FOR UPDATE SKIP LOCKED`, so two
//! workers never take the same job and never wait for each other; on SQLite
//! the statement runs under the database's single writer lock, which gives
//! the same guarantee for the workers of one machine.

use serde::Serialize;
use sqlx::Row;
use uuid::Uuid;
use vantay_domain::Finger;
use vantay_exchange::Reading;
use vantay_vault::{open_field, seal_field, DataKey};

use crate::centre::package_aad;
use crate::db::Backend;
use crate::engine::{read_print_weighed, StoredReading, ENGINE};
use crate::ledger::Recorded;
use crate::{stamp, AnalysisCentre, AnalysisError};

/// What a [`AnalysisCentre::work`] run did.
#[derive(Clone, Copy, Debug, Default, Serialize, PartialEq, Eq)]
pub struct WorkReport {
    /// Prints read.
    pub done: usize,
    /// Prints the engine could not read.
    pub failed: usize,
}

/// Jobs by state.
#[derive(Clone, Copy, Debug, Default, Serialize, PartialEq, Eq)]
pub struct JobCounts {
    /// Waiting for a worker.
    pub queued: usize,
    /// Taken by a worker.
    pub running: usize,
    /// Read.
    pub done: usize,
    /// Unreadable.
    pub failed: usize,
}

/// The engine's outcome for one finger.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum JobOutcome {
    /// Not finished.
    Pending,
    /// The reading.
    Done(Reading),
    /// Why the print could not be read.
    Failed(String),
}

/// One finger's job as stored: [`JobOutcome`] with the whole reading kept.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Stored {
    /// Not finished.
    Pending,
    /// The reading and what the card weighs it with.
    Done(StoredReading),
    /// Why the print could not be read.
    Failed(String),
}

struct Job {
    id: String,
    package: Uuid,
    finger: Finger,
}

/// How long a job may stay `running` before its worker is presumed dead.
/// The engine reads a print in well under a second; minutes mean a crash.
pub const STALE_JOB: chrono::Duration = chrono::Duration::minutes(5);

impl AnalysisCentre {
    /// Takes and runs queued jobs (of `package` only, when given) until none
    /// is left.
    pub async fn work(
        &self,
        worker: &str,
        package: Option<Uuid>,
    ) -> Result<WorkReport, AnalysisError> {
        let mut report = WorkReport::default();
        while let Some(job) = self.take_job(worker, package).await? {
            if self.run_job(&job, worker).await? {
                report.done += 1;
            } else {
                report.failed += 1;
            }
        }
        Ok(report)
    }

    /// Runs jobs as they arrive, looking for new ones every `idle` when
    /// the queue is empty; returns only on a database error. For a server
    /// that analyses what it receives while analysts work.
    pub async fn work_continuously(
        &self,
        worker: &str,
        idle: std::time::Duration,
    ) -> Result<(), AnalysisError> {
        loop {
            self.work(worker, None).await?;
            tokio::time::sleep(idle).await;
        }
    }

    async fn take_job(
        &self,
        worker: &str,
        package: Option<Uuid>,
    ) -> Result<Option<Job>, AnalysisError> {
        let lock = match self.db.backend {
            Backend::Postgres => "FOR UPDATE SKIP LOCKED",
            Backend::Sqlite => "",
        };
        let only = if package.is_some() {
            "AND package_id = $4"
        } else {
            ""
        };
        // A job still `running` long after it was taken belongs to a worker
        // that died: it is taken again rather than left hanging.
        let sql = format!(
            "UPDATE jobs SET state = 'running', worker = $1, taken_at = $2 \
             WHERE id = (SELECT id FROM jobs \
                         WHERE (state = 'queued' OR (state = 'running' AND taken_at < $3)) {only} \
                         ORDER BY id LIMIT 1 {lock}) \
             RETURNING id, package_id, finger"
        );
        let now = chrono::Utc::now();
        let mut query = sqlx::query(&sql)
            .bind(worker)
            .bind(stamp(now))
            .bind(stamp(now - STALE_JOB));
        if let Some(package) = package {
            query = query.bind(package.to_string());
        }
        let Some(row) = query.fetch_optional(&self.db.pool).await? else {
            return Ok(None);
        };
        let corrupt = |what: &str| AnalysisError::Corrupt(format!("job {what}"));
        Ok(Some(Job {
            id: row.try_get("id")?,
            package: row
                .try_get::<String, _>("package_id")?
                .parse()
                .map_err(|_| corrupt("package id"))?,
            finger: row
                .try_get::<String, _>("finger")?
                .parse()
                .map_err(|_| corrupt("finger"))?,
        }))
    }

    /// Runs the engine on the job's print; `true` when it read it. The
    /// last job of a package then weighs the card ([`Self::weigh_card`]).
    async fn run_job(&self, job: &Job, worker: &str) -> Result<bool, AnalysisError> {
        let actor = format!("worker:{worker}");
        let read = self.run_engine(job, &actor).await?;
        self.weigh_card(job.package, &actor).await?;
        Ok(read)
    }

    /// Reads the job's print and stores the reading (or why it failed),
    /// recording both the look at the print and what was stored.
    async fn run_engine(&self, job: &Job, actor: &str) -> Result<bool, AnalysisError> {
        let reading = match self.read(job.package, job.finger, None).await? {
            Ok(reading) => Ok(seal_reading(
                &self.key_of(job.package).await?,
                job.package,
                job.finger,
                &reading,
            )),
            Err(why) => Err(why),
        };
        let done_at = stamp(chrono::Utc::now());
        let (package, finger) = (job.package.to_string(), job.finger.code());
        let object = format!("prints/{package}/{finger}");
        // Opened only now: the ledger's lock is held for the writes alone.
        let mut journal = self.begin(actor).await?;
        let read = match reading {
            Ok(sealed) => {
                sqlx::query(
                    "UPDATE jobs SET state = 'done', done_at = $1, engine = $2, reading_ciphertext = $3 WHERE id = $4",
                )
                .bind(done_at)
                .bind(ENGINE)
                .bind(sealed)
                .bind(&job.id)
                .execute(&mut *journal.tx)
                .await?;
                journal
                    .record_rows(
                        "print.read",
                        object,
                        &[(
                            Recorded::Readings,
                            "package_id = $1 AND finger = $2",
                            &[package.as_str(), finger],
                        )],
                    )
                    .await?;
                true
            }
            Err(why) => {
                sqlx::query(
                    "UPDATE jobs SET state = 'failed', done_at = $1, engine = $2, error = $3 WHERE id = $4",
                )
                .bind(done_at)
                .bind(ENGINE)
                .bind(why)
                .bind(&job.id)
                .execute(&mut *journal.tx)
                .await?;
                journal.record("print.unreadable", object, Vec::new());
                false
            }
        };
        self.commit(journal).await?;
        Ok(read)
    }

    /// The engine's reading of one finger of `package`, its class weighed
    /// by `weights` (the finger's where `None`); the inner `Err` says why
    /// the print cannot be read.
    pub(crate) async fn read(
        &self,
        package: Uuid,
        finger: Finger,
        weights: Option<[f32; 5]>,
    ) -> Result<Result<StoredReading, String>, AnalysisError> {
        let print = self.print(package, finger).await?;
        tokio::task::spawn_blocking(move || {
            read_print_weighed(&print.wsq, print.ppi, finger, weights)
        })
        .await
        .map_err(|e| AnalysisError::Corrupt(format!("the engine stopped: {e}")))
    }

    /// The print of one finger with the engine's overlay drawn on it (PNG),
    /// read as its reading was made (the same weights: the finger's, or
    /// the card's), so that its lines are the reading's; the inner `Err`
    /// says why the print cannot be drawn. The look is recorded in the
    /// ledger under `analyst` before the print is decrypted.
    pub async fn overlay_png(
        &self,
        package: Uuid,
        finger: Finger,
        analyst: &str,
    ) -> Result<Result<Vec<u8>, String>, AnalysisError> {
        self.record_access(
            &format!("analyst:{analyst}"),
            "print.view",
            format!("prints/{package}/{}", finger.code()),
        )
        .await?;
        // Only this finger's reading is opened, for the weights it was made with.
        let weights = self
            .stored_outcomes_of(package, Some(finger))
            .await?
            .into_iter()
            .find_map(|(_, outcome)| match outcome {
                Stored::Done(stored) => stored.weights,
                _ => None,
            });
        let print = self.print(package, finger).await?;
        tokio::task::spawn_blocking(move || {
            crate::engine::overlay_png(&print.wsq, print.ppi, finger, weights)
        })
        .await
        .map_err(|e| AnalysisError::Corrupt(format!("the overlay task stopped: {e}")))
    }

    /// The data key of `package`.
    pub(crate) async fn key_of(&self, package: Uuid) -> Result<DataKey, AnalysisError> {
        self.package_key(package, &self.package_row(package).await?)
    }

    /// Jobs by state (of one package, when given).
    pub async fn job_counts(&self, package: Option<Uuid>) -> Result<JobCounts, AnalysisError> {
        let rows = match package {
            Some(p) => {
                sqlx::query("SELECT state FROM jobs WHERE package_id = $1")
                    .bind(p.to_string())
                    .fetch_all(&self.db.pool)
                    .await?
            }
            None => {
                sqlx::query("SELECT state FROM jobs")
                    .fetch_all(&self.db.pool)
                    .await?
            }
        };
        let mut counts = JobCounts::default();
        for row in rows {
            match row.try_get::<String, _>("state")?.as_str() {
                "queued" => counts.queued += 1,
                "running" => counts.running += 1,
                "done" => counts.done += 1,
                _ => counts.failed += 1,
            }
        }
        Ok(counts)
    }

    /// The engine's outcome for each finger of `package`.
    pub(crate) async fn outcomes(
        &self,
        package: Uuid,
    ) -> Result<Vec<(Finger, JobOutcome)>, AnalysisError> {
        Ok(self
            .stored_outcomes(package)
            .await?
            .into_iter()
            .map(|(finger, outcome)| {
                let outcome = match outcome {
                    Stored::Done(stored) => JobOutcome::Done(stored.reading),
                    Stored::Failed(why) => JobOutcome::Failed(why),
                    Stored::Pending => JobOutcome::Pending,
                };
                (finger, outcome)
            })
            .collect())
    }

    /// Each finger's outcome with all the job keeps of a reading.
    pub(crate) async fn stored_outcomes(
        &self,
        package: Uuid,
    ) -> Result<Vec<(Finger, Stored)>, AnalysisError> {
        self.stored_outcomes_of(package, None).await
    }

    /// [`Self::stored_outcomes`], of one finger only when given.
    async fn stored_outcomes_of(
        &self,
        package: Uuid,
        only: Option<Finger>,
    ) -> Result<Vec<(Finger, Stored)>, AnalysisError> {
        let key = self.key_of(package).await?;
        let rows = sqlx::query("SELECT * FROM jobs WHERE package_id = $1 AND finger LIKE $2")
            .bind(package.to_string())
            .bind(only.map_or("%", Finger::code))
            .fetch_all(&self.db.pool)
            .await?;
        let mut out = Vec::new();
        for row in rows {
            let code: String = row.try_get("finger")?;
            let finger: Finger = code
                .parse()
                .map_err(|_| AnalysisError::Corrupt(format!("finger '{code}'")))?;
            let outcome = match row.try_get::<String, _>("state")?.as_str() {
                "done" => {
                    let field = format!("reading:{finger}");
                    let sealed: Vec<u8> = row.try_get("reading_ciphertext")?;
                    let plain = open_field(&key, &package_aad(&key, package, &field), &sealed)
                        .map_err(|_| AnalysisError::Tampered(format!("reading {finger}")))?;
                    Stored::Done(
                        serde_json::from_slice(&plain)
                            .map_err(|_| AnalysisError::Corrupt(format!("reading {finger}")))?,
                    )
                }
                "failed" => Stored::Failed(
                    row.try_get::<Option<String>, _>("error")?
                        .unwrap_or_default(),
                ),
                _ => Stored::Pending,
            };
            out.push((finger, outcome));
        }
        out.sort_by_key(|(f, _)| f.position());
        Ok(out)
    }
}

/// A reading sealed under its package's key, bound to its finger.
pub(crate) fn seal_reading(
    key: &DataKey,
    package: Uuid,
    finger: Finger,
    reading: &StoredReading,
) -> Vec<u8> {
    let field = format!("reading:{finger}");
    seal_field(
        key,
        &package_aad(key, package, &field),
        &serde_json::to_vec(reading).expect("a reading serialises"),
    )
}
