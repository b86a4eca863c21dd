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
    let analysis = vantay_print::analyze(&decoded.image, ppi);
    let class = PatternClass::from_letter(&format!("{:?}", analysis.class))
        .ok_or_else(|| format!("the engine gave an unknown class {:?}", analysis.class))?;
    let subtype = serde_json::to_value(analysis.subtype)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_else(|| format!("{:?}", analysis.subtype));
    Ok(Reading {
        class,
        subtype,
        confidence: analysis.confidence,
        cores: analysis
            .cores
            .iter()
            .map(|c| Point { x: c.x, y: c.y })
            .collect(),
        deltas: analysis
            .deltas
            .iter()
            .map(|d| Point { x: d.x, y: d.y })
            .collect(),
        ridge_counts: analysis.ridge_counts.clone(),
        quality: analysis.quality,
        reviewed: false,
    })
}
