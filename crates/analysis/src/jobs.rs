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
use vantay_vault::{open_field, seal_field};

use crate::centre::package_aad;
use crate::db::Backend;
use crate::engine::{read_print, ENGINE};
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
            if self.run_job(&job).await? {
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

    /// Runs the engine on the job's print; `true` when it read it.
    async fn run_job(&self, job: &Job) -> Result<bool, AnalysisError> {
        let print = self.print(job.package, job.finger).await?;
        let finger = job.finger;
        let reading =
            tokio::task::spawn_blocking(move || read_print(&print.wsq, print.ppi, finger))
                .await
                .map_err(|e| AnalysisError::Corrupt(format!("the engine stopped: {e}")))?;
        let done_at = stamp(chrono::Utc::now());
        match reading {
            Ok(reading) => {
                let key = self.package_key(job.package, &self.package_row(job.package).await?)?;
                let field = format!("reading:{}", job.finger);
                let sealed = seal_field(
                    &key,
                    &package_aad(&key, job.package, &field),
                    &serde_json::to_vec(&reading).expect("a reading serialises"),
                );
                sqlx::query(
                    "UPDATE jobs SET state = 'done', done_at = $1, engine = $2, reading_ciphertext = $3 WHERE id = $4",
                )
                .bind(done_at)
                .bind(ENGINE)
                .bind(sealed)
                .bind(&job.id)
                .execute(&self.db.pool)
                .await?;
                Ok(true)
            }
            Err(why) => {
                sqlx::query(
                    "UPDATE jobs SET state = 'failed', done_at = $1, engine = $2, error = $3 WHERE id = $4",
                )
                .bind(done_at)
                .bind(ENGINE)
                .bind(why)
                .bind(&job.id)
                .execute(&self.db.pool)
                .await?;
                Ok(false)
            }
        }
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
        let key = self.package_key(package, &self.package_row(package).await?)?;
        let rows = sqlx::query("SELECT * FROM jobs WHERE package_id = $1")
            .bind(package.to_string())
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
                    JobOutcome::Done(
                        serde_json::from_slice(&plain)
                            .map_err(|_| AnalysisError::Corrupt(format!("reading {finger}")))?,
                    )
                }
                "failed" => JobOutcome::Failed(
                    row.try_get::<Option<String>, _>("error")?
                        .unwrap_or_default(),
                ),
                _ => JobOutcome::Pending,
            };
            out.push((finger, outcome));
        }
        out.sort_by_key(|(f, _)| f.position());
        Ok(out)
    }
}
