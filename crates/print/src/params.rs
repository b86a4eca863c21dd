//! Every tuning constant of the pipeline, in one place.
//!
//! Distances are given for 500 ppi and scaled by [`Params::for_ppi`] when a
//! print comes at another resolution.

use crate::ridge_count::CountConvention;

/// Parameters of one analysis run.
#[derive(Clone, Debug, PartialEq)]
pub struct Params {
    /// Side of a block of the orientation and mask grids, in pixels.
    pub block: usize,
    /// Radius, in blocks, of the box filter (applied twice) that smooths the
    /// orientation field used for ridge directions.
    pub smooth_radius: usize,
    /// Radius, in blocks, of the stronger smoothing used to find singular
    /// points: noise makes spurious cores and deltas on a lightly smoothed field.
    pub singular_smooth_radius: usize,
    /// A block is foreground when its gradient energy exceeds this share of
    /// the 95th-percentile energy of the image.
    pub mask_energy_share: f32,
    /// Minimum coherence of a foreground block (after smoothing).
    pub mask_min_coherence: f32,
    /// Blocks trimmed from the edge of the foreground before looking for
    /// singular points: the field is unreliable near the border.
    pub singular_margin: usize,
    /// Singular points of one kind closer than this (pixels) are merged.
    pub singular_merge_px: f32,
    /// Least mean coherence of the ridges around a singular point.
    pub singular_min_support: f32,
    /// How far (blocks) a singular point may move when refined on the lightly smoothed field.
    pub singular_refine_reach: usize,
    /// How far (blocks) it may move again when placed on the unsmoothed
    /// field for the output and the ridge counts.
    pub singular_place_reach: usize,
    /// A core and a delta closer than this (pixels) cancel out.
    pub singular_pair_px: f32,
    /// Closest and farthest apart (pixels) a core and a delta of the lighter
    /// field may lie to be taken for a pair the strong smoothing erased (a
    /// short loop's, a whorl's second) ([`crate::singular::recover_erased_pairs`]).
    pub singular_erased_pair_px: (f32, f32),
    /// How far (pixels) from a loop's core, and with how little coherence
    /// round it, a delta missed by the detection is looked for again
    /// ([`crate::singular::find_loop_delta`]); a reach of 0 turns the
    /// search off.
    pub loop_delta_search: (f32, f32),
    /// Half length (pixels) of the segment along the ridge that is averaged
    /// at each sample of a ridge-count line.
    pub ridge_count_half_len: f32,
    /// Radius (pixels) of the circle round each end point to which that end
    /// of a ridge-count line is also moved; the count is the lines' median.
    pub ridge_count_jitter_px: f32,
    /// Where a loop's count line ends at the core (the centre's choice;
    /// Holt's by default).
    pub ridge_count_convention: CountConvention,
    /// Under the FBI's convention, how far (pixels) a loop's count line
    /// ends from the singular point towards the loop's opening.
    pub fbi_core_offset_px: f32,
    /// Shortest and longest plausible ridge period in pixels.
    pub period_range: (f32, f32),
}

impl Default for Params {
    fn default() -> Self {
        Params {
            block: 8,
            smooth_radius: 2,
            singular_smooth_radius: 3,
            // 29 Nov: 0.12 and 0.05 before. Over-inked (dark) and pale
            // parts of a rolled print have weak gradients but ridges that
            // still agree on a direction; the old energy share cut them out,
            // and with them a whorl's upper circuits or a delta. Coherence
            // now carries the decision (see docs/benchmarks/print.md).
            mask_energy_share: 0.03,
            mask_min_coherence: 0.15,
            singular_margin: 1,
            singular_merge_px: 24.0,
            singular_pair_px: 40.0,
            singular_refine_reach: 3,
            // 30 Nov: 2 and 3 blocks place synthetic prints alike (105
            // deltas measured); the shorter reach is the safer on a noisy
            // real print, where stray points lie near the true one.
            singular_place_reach: 2,
            singular_min_support: 0.2,
            // 30 Nov: on the lighter field a short loop's core and delta
            // (45–60 px apart in the synthetic prints) are drawn to 30–40 px,
            // inside `singular_pair_px`;
            // 72 px is about eight ridges, beyond which the strong smoothing
            // keeps them apart itself.
            singular_erased_pair_px: (16.0, 72.0),
            loop_delta_search: (400.0, 0.1),
            ridge_count_half_len: 5.0,
            // 30 Nov: the points are placed within about 3.5 px (synthetic
            // prints); 4 px, under half a ridge period, covers that.
            ridge_count_jitter_px: 4.0,
            ridge_count_convention: CountConvention::Holt,
            // 1 Dec: chosen from 0, 4, 6, 8, 10, 12 and 16 px on the even
            // half of SD14's counted loops against the examiners' NCIC
            // counts, and confirmed on the odd half (docs/benchmarks/print.md).
            fbi_core_offset_px: 12.0,
            period_range: (5.0, 16.0),
        }
    }
}

impl Params {
    /// Parameters for a print scanned at `ppi` (distances scaled from 500 ppi).
    pub fn for_ppi(ppi: u16) -> Params {
        Params::default().scaled_to(ppi)
    }

    /// These parameters, given for 500 ppi, with their distances scaled
    /// for a print scanned at `ppi`.
    pub fn scaled_to(&self, ppi: u16) -> Params {
        let scale = f32::from(ppi.max(100)) / 500.0;
        let base = self.clone();
        Params {
            singular_merge_px: base.singular_merge_px * scale,
            singular_pair_px: base.singular_pair_px * scale,
            singular_erased_pair_px: (
                base.singular_erased_pair_px.0 * scale,
                base.singular_erased_pair_px.1 * scale,
            ),
            loop_delta_search: (base.loop_delta_search.0 * scale, base.loop_delta_search.1),
            ridge_count_half_len: base.ridge_count_half_len * scale,
            ridge_count_jitter_px: base.ridge_count_jitter_px * scale,
            fbi_core_offset_px: base.fbi_core_offset_px * scale,
            period_range: (base.period_range.0 * scale, base.period_range.1 * scale),
            ..base
        }
    }
}
