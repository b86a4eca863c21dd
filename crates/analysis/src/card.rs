//! The card pass: a package holds one customer's fingers, and once the
//! engine has read all of them each reading's class is weighed by what the
//! others say of the person ([`vantay_print::card_prior`]): a print the
//! engine could not decide between a loop and a whorl is likelier a whorl
//! on a card of whorls. Each job reads its print with its finger alone, so
//! workers still share a package's prints; the pass then changes only
//! what the card changes: a reading whose class stays gets its new
//! confidence, one whose class changes is read again with the card's
//! weights, so that its subtype, points and counts are the new class's.
//!
//! The pass runs after the last job of a package and again before an
//! answer, and is idempotent: a reading keeps the weights it was weighed by
//! ([`StoredReading::weights`]), and one already weighed by its card is
//! left alone. Readings are rewritten in one transaction.

use uuid::Uuid;
use vantay_domain::{Finger, PatternClass};

use crate::engine::StoredReading;
use crate::jobs::{seal_reading, Stored};
use crate::ledger::Recorded;
use crate::{AnalysisCentre, AnalysisError};

impl AnalysisCentre {
    /// Weighs each reading of `package` by its card once no job of the
    /// package is left to run (nothing happens before). Readings the engine
    /// kept no probabilities for (stored by an engine before the card pass)
    /// neither weigh nor are weighed.
    pub(crate) async fn weigh_card(&self, package: Uuid, actor: &str) -> Result<(), AnalysisError> {
        let outcomes = self.stored_outcomes(package).await?;
        if outcomes.iter().any(|(_, o)| matches!(o, Stored::Pending)) {
            return Ok(());
        }
        let read: Vec<(Finger, StoredReading)> = outcomes
            .into_iter()
            .filter_map(|(finger, outcome)| match outcome {
                Stored::Done(stored) => Some((finger, stored)),
                _ => None,
            })
            .collect();
        let card: Vec<(Finger, Option<[f32; 5]>)> = read
            .iter()
            .map(|(finger, stored)| (*finger, stored.probabilities))
            .collect();
        let weights = vantay_print::card_weights(&card);
        let key = self.key_of(package).await?;
        let mut changed = Vec::new();
        for ((finger, stored), weights) in read.into_iter().zip(weights) {
            // None: too few prints read for a card; the finger's weights stand.
            let Some(weights) = weights else {
                continue;
            };
            if stored.weights == Some(weights) {
                continue;
            }
            if let Some(weighed) = self.reweigh(package, finger, stored, weights).await? {
                changed.push((finger, seal_reading(&key, package, finger, &weighed)));
            }
        }
        if changed.is_empty() {
            return Ok(());
        }
        let package = package.to_string();
        let mut journal = self.begin(actor).await?;
        for (finger, sealed) in &changed {
            sqlx::query(
                "UPDATE jobs SET reading_ciphertext = $1 \
                 WHERE package_id = $2 AND finger = $3 AND state = 'done'",
            )
            .bind(sealed)
            .bind(&package)
            .bind(finger.code())
            .execute(&mut *journal.tx)
            .await?;
        }
        let fingers: Vec<&str> = changed.iter().map(|(finger, _)| finger.code()).collect();
        let filter = format!(
            "package_id = $1 AND finger IN ({})",
            (2..fingers.len() + 2)
                .map(|i| format!("${i}"))
                .collect::<Vec<_>>()
                .join(", ")
        );
        let values: Vec<&str> = std::iter::once(package.as_str()).chain(fingers).collect();
        journal
            .record_rows(
                "card.weigh",
                format!("packages/{package}"),
                &[(Recorded::Readings, filter.as_str(), values.as_slice())],
            )
            .await?;
        self.commit(journal).await
    }

    /// The fingers of `package` whose class the card changed: for each, the
    /// class and confidence the print alone gave (with its finger), for
    /// the analyst to see beside the reading.
    pub async fn read_alone(
        &self,
        package: Uuid,
    ) -> Result<Vec<(Finger, PatternClass, f32)>, AnalysisError> {
        let mut out = Vec::new();
        for (finger, outcome) in self.stored_outcomes(package).await? {
            let Stored::Done(stored) = outcome else {
                continue;
            };
            let (Some(probabilities), Some(finger_weights)) = (
                stored.probabilities,
                vantay_print::finger_prior::weights(Some(finger)),
            ) else {
                continue;
            };
            let (class, confidence) =
                vantay_print::weighed_decision(&probabilities, &finger_weights);
            if class != stored.reading.class {
                out.push((finger, class, confidence));
            }
        }
        Ok(out)
    }

    /// `stored` weighed by `weights`: its confidence anew where the class
    /// stays; read again where it changes (`None` if the print, read before,
    /// now fails, which leaves the reading as it was).
    async fn reweigh(
        &self,
        package: Uuid,
        finger: Finger,
        mut stored: StoredReading,
        weights: [f32; 5],
    ) -> Result<Option<StoredReading>, AnalysisError> {
        let Some(probabilities) = stored.probabilities else {
            return Ok(None);
        };
        let (class, confidence) = vantay_print::weighed_decision(&probabilities, &weights);
        if class == stored.reading.class {
            stored.reading.confidence = confidence;
            stored.weights = Some(weights);
            return Ok(Some(stored));
        }
        Ok(self.read(package, finger, Some(weights)).await?.ok())
    }
}
