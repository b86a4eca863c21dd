//! The one place the analysis engine is called, so another engine (or a
//! newer version) replaces this function and nothing else.

use serde::{Deserialize, Serialize};
use vantay_exchange::{PatternClass, Point, Reading};
use vantay_print::input::{decode, Decoded, Limits};
use vantay_print::Finger;

/// The engine's name and version, as results record it.
pub const ENGINE: &str = concat!("vantay-print ", env!("CARGO_PKG_VERSION"));

/// Decodes a WSQ print of `finger` and reads its class, subtype, singular
/// points, ridge counts and quality. `Err` says why the print cannot be
/// read.
pub fn read_print(wsq: &[u8], ppi: u16, finger: Finger) -> Result<Reading, String> {
    read_print_weighed(wsq, ppi, finger, None).map(|stored| stored.reading)
}

/// What a job keeps of the engine's reading of one print (sealed in the
/// jobs table): the reading, and what the card needs to weigh it again
/// once the customer's other fingers are read ([`crate::AnalysisCentre::work`]).
/// Stored as the reading's own fields beside these two, so a reading kept
/// before they existed reads back with neither.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StoredReading {
    /// The reading.
    #[serde(flatten)]
    pub reading: Reading,
    /// The class probabilities from the print alone, before the finger or
    /// the card weighed them ([`vantay_print::Details::probabilities`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub probabilities: Option<[f32; 5]>,
    /// What the class was weighed by: the finger's weights
    /// ([`vantay_print::finger_prior`]) until the card's
    /// ([`vantay_print::card_prior`]) replace them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub weights: Option<[f32; 5]>,
}

/// [`read_print`] with the class weighed by `weights` (the card's), or by
/// the finger's where none are given; keeps what the card pass needs.
pub fn read_print_weighed(
    wsq: &[u8],
    ppi: u16,
    finger: Finger,
    weights: Option<[f32; 5]>,
) -> Result<StoredReading, String> {
    let (_, analysis, weights) = analyse(wsq, ppi, finger, weights)?;
    // A blank or smudged-over scan gets no made-up reading: the job fails
    // with the reason, and the analyst asks for a rescan.
    analysis.check_print().map_err(|e| e.to_string())?;
    Ok(StoredReading {
        reading: reading_of(&analysis),
        probabilities: analysis.details.probabilities,
        weights,
    })
}

/// The overlay of a print as its reading was made: read again with the
/// reading's weights, so that its lines are those of the reading beside it.
pub fn overlay_png(
    wsq: &[u8],
    ppi: u16,
    finger: Finger,
    weights: Option<[f32; 5]>,
) -> Result<Vec<u8>, String> {
    let (decoded, analysis, _) = analyse(wsq, ppi, finger, weights)?;
    vantay_print::overlay::png(&decoded.image, &analysis).map_err(|e| e.to_string())
}

/// Decodes the print and analyses it with `weights`, or its finger's where
/// none are given; gives the decoded print, the analysis and the weights
/// used.
fn analyse(
    wsq: &[u8],
    ppi: u16,
    finger: Finger,
    weights: Option<[f32; 5]>,
) -> Result<(Decoded, vantay_print::Analysis, Option<[f32; 5]>), String> {
    let decoded = decode(wsq, &Limits::default()).map_err(|e| e.to_string())?;
    let ppi = decoded.ppi.unwrap_or(ppi);
    // The package names the finger: the class weighs what that finger
    // carries most often (vantay_print::finger_prior) until the card is read.
    let weights = weights.or_else(|| vantay_print::finger_prior::weights(Some(finger)));
    let mut analysis =
        vantay_print::Extractor::new().extract_weighed(&decoded.image, ppi, weights.as_ref());
    // A loop's delta found only on a second, looser look is counted less
    // reliably (5 of 10 SD14 loops within one ridge of the examiner): the
    // loop goes to an analyst to be counted, as it did before the engine
    // looked again, rather than into an automatically signed result.
    analysis.withdraw_recovered_delta();
    Ok((decoded, analysis, weights))
}

/// The exchange's reading of an analysis.
fn reading_of(analysis: &vantay_print::Analysis) -> Reading {
    // One class type from the engine to the report (vantay_domain::PatternClass).
    let class = analysis.class;
    let subtype = serde_json::to_value(analysis.subtype)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_else(|| format!("{:?}", analysis.subtype));
    let cores: Vec<Point> = analysis
        .cores
        .iter()
        .map(|c| Point { x: c.x, y: c.y })
        .collect();
    // The JSON gives 0 for a delta the engine could not count (no core to
    // count to); a reading must not pass that off as a count.
    let found: Vec<(Point, Option<u32>)> = analysis
        .deltas
        .iter()
        .enumerate()
        .map(|(k, d)| (Point { x: d.x, y: d.y }, analysis.counted_ridges(k)))
        .collect();
    let (deltas, ridge_counts) = counted_deltas(class, &analysis.reported_deltas(), found);
    Reading {
        class,
        subtype,
        confidence: analysis.confidence,
        cores,
        deltas,
        ridge_counts,
        quality: analysis.quality,
        reviewed: false,
    }
}

/// The engine counts ridges to every delta it finds a core for; the
/// convention (and the report's figures) record one count for a loop and
/// two for a whorl. `reported` ([`vantay_print::Analysis::reported_deltas`])
/// names the deltas kept: a loop's own (below a core whose head points up),
/// a whorl's outermost two below its centre; further deltas are creases or
/// smudges. An arch keeps what it found (a tented arch's delta is worth
/// showing) but no count. Where a kept delta was not counted (`None`: no
/// core found to count to) the reading gives its deltas without counts, so
/// that it goes to an analyst to be counted rather than into a report with
/// a count of 0 nobody read.
fn counted_deltas(
    class: PatternClass,
    reported: &[usize],
    found: Vec<(Point, Option<u32>)>,
) -> (Vec<Point>, Vec<u32>) {
    let kept: Vec<(Point, Option<u32>)> = reported
        .iter()
        .filter_map(|&k| found.get(k).copied())
        .collect();
    let points = kept.iter().map(|(p, _)| *p).collect();
    let counts = match class {
        PatternClass::A | PatternClass::T => Vec::new(),
        PatternClass::L | PatternClass::R | PatternClass::W => kept
            .iter()
            .map(|(_, count)| *count)
            .collect::<Option<Vec<u32>>>()
            .unwrap_or_default(),
    };
    (points, counts)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(x: u32, y: u32) -> Point {
        Point { x, y }
    }

    #[test]
    fn counts_follow_the_convention_for_each_class() {
        let found = vec![
            (at(100, 600), Some(9)),
            (at(390, 340), Some(2)),
            (at(700, 620), Some(11)),
        ];
        let (deltas, counts) = counted_deltas(PatternClass::W, &[0, 2], found.clone());
        assert_eq!(
            (deltas, counts),
            (vec![at(100, 600), at(700, 620)], vec![9, 11])
        );
        let (deltas, counts) = counted_deltas(PatternClass::L, &[1], found.clone());
        assert_eq!((deltas, counts), (vec![at(390, 340)], vec![2]));
        let (deltas, counts) = counted_deltas(PatternClass::T, &[0, 1, 2], found);
        assert_eq!((deltas.len(), counts), (3, vec![]));
        let (deltas, counts) = counted_deltas(PatternClass::R, &[], vec![]);
        assert!(deltas.is_empty() && counts.is_empty());
    }

    #[test]
    fn a_delta_with_no_core_to_count_to_gives_no_count() {
        // A loop read without a core: its delta is shown, its count (the
        // engine's 0) is not, so the reading goes to an analyst.
        let found = vec![(at(296, 480), None)];
        let (deltas, counts) = counted_deltas(PatternClass::R, &[0], found);
        assert_eq!((deltas, counts), (vec![at(296, 480)], vec![]));
        // A whorl with one of its two deltas uncounted gives neither count.
        let found = vec![(at(100, 600), Some(9)), (at(700, 620), None)];
        let (deltas, counts) = counted_deltas(PatternClass::W, &[0, 1], found);
        assert_eq!((deltas.len(), counts), (2, vec![]));
    }

    /// SD14's s0024325 is a right loop (its examiner counted 14) whose core
    /// the engine does not find; it reads the class surely (0.95) and one
    /// delta. Before, the reading carried the JSON's 0 as the loop's count
    /// and an automatic answer signed it.
    #[test]
    fn a_real_loop_read_without_its_core_goes_to_an_analyst_to_be_counted() {
        let Some(sd14) = vantay_testkit::sd14() else {
            return;
        };
        let wsq = std::fs::read(sd14.join("s0024325.wsq")).expect("an SD14 print");
        let reading = read_print(&wsq, 500, Finger::R5).expect("a readable print");
        assert_eq!(reading.class, PatternClass::R);
        assert!(reading.cores.is_empty() && !reading.deltas.is_empty());
        assert!(
            reading.ridge_counts.is_empty(),
            "{:?}",
            reading.ridge_counts
        );
        assert!(reading.check_ridge_counts().is_err());
    }

    #[test]
    fn a_stored_reading_keeps_its_weights_and_reads_an_older_reading() {
        let reading = Reading {
            class: PatternClass::W,
            subtype: "plain_whorl".into(),
            confidence: 0.93,
            cores: vec![at(400, 320)],
            deltas: vec![at(250, 540), at(600, 530)],
            ridge_counts: vec![14, 11],
            quality: 61,
            reviewed: false,
        };
        let stored = StoredReading {
            reading: reading.clone(),
            probabilities: Some([0.01, 0.02, 0.3, 0.07, 0.6]),
            weights: Some([0.5, 1.0, 1.2, 0.8, 1.4]),
        };
        let json = serde_json::to_vec(&stored).unwrap();
        assert_eq!(
            serde_json::from_slice::<StoredReading>(&json).unwrap(),
            stored
        );
        // A reading stored before the card pass: no probabilities, no weights.
        let older = serde_json::to_vec(&reading).unwrap();
        let read: StoredReading = serde_json::from_slice(&older).unwrap();
        assert_eq!(
            (read.reading, read.probabilities, read.weights),
            (reading, None, None)
        );
    }
}
