//! The one place the analysis engine is called, so another engine (or a
//! newer version) replaces this function and nothing else.

use vantay_exchange::{PatternClass, Point, Reading};
use vantay_print::input::{decode, Limits};

/// The engine's name and version, as results record it.
pub const ENGINE: &str = concat!("vantay-print ", env!("CARGO_PKG_VERSION"));

/// Decodes a WSQ print and reads its class, subtype, singular points,
/// ridge counts and quality. `Err` says why the print cannot be read.
pub fn read_print(wsq: &[u8], ppi: u16) -> Result<Reading, String> {
    let decoded = decode(wsq, &Limits::default()).map_err(|e| e.to_string())?;
    let ppi = decoded.ppi.unwrap_or(ppi);
    let mut analysis = vantay_print::analyze(&decoded.image, ppi);
    // A blank or smudged-over scan gets no made-up reading: the job fails
    // with the reason, and the analyst asks for a rescan.
    analysis.check_print().map_err(|e| e.to_string())?;
    // A loop's delta found only on a second, looser look is counted less
    // reliably (5 of 10 SD14 loops within one ridge of the examiner): the
    // loop goes to an analyst to be counted, as it did before the engine
    // looked again, rather than into an automatically signed result.
    analysis.withdraw_recovered_delta();
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
    let found: Vec<(Point, u32)> = analysis
        .deltas
        .iter()
        .map(|d| Point { x: d.x, y: d.y })
        .zip(analysis.ridge_counts.iter().copied())
        .collect();
    let (deltas, ridge_counts) = counted_deltas(class, &analysis.reported_deltas(), found);
    Ok(Reading {
        class,
        subtype,
        confidence: analysis.confidence,
        cores,
        deltas,
        ridge_counts,
        quality: analysis.quality,
        reviewed: false,
    })
}

/// The engine counts ridges to every delta it finds; the convention (and
/// the report's figures) record one count for a loop and two for a whorl.
/// `reported` ([`vantay_print::Analysis::reported_deltas`]) names the
/// deltas kept: a loop's own (below a core whose head points up), a
/// whorl's outermost two below its centre; further deltas are creases or
/// smudges. An arch keeps what it found (a tented arch's delta is worth
/// showing) but no count.
fn counted_deltas(
    class: PatternClass,
    reported: &[usize],
    found: Vec<(Point, u32)>,
) -> (Vec<Point>, Vec<u32>) {
    let kept: Vec<(Point, u32)> = reported
        .iter()
        .filter_map(|&k| found.get(k).copied())
        .collect();
    match class {
        PatternClass::A | PatternClass::T => {
            (kept.into_iter().map(|(p, _)| p).collect(), Vec::new())
        }
        PatternClass::L | PatternClass::R | PatternClass::W => kept.into_iter().unzip(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(x: u32, y: u32) -> Point {
        Point { x, y }
    }

    #[test]
    fn counts_follow_the_convention_for_each_class() {
        let found = vec![(at(100, 600), 9), (at(390, 340), 2), (at(700, 620), 11)];
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
}
