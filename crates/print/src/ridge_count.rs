//! Core–delta ridge counts (Bonnevie/Holt): the ridges that cross the
//! straight line between a delta and a core, the two end points excluded.
//!
//! The grey profile along the line is read through a short segment laid
//! along the local ridge direction at every sample, which bridges pores and
//! small breaks; a ridge is a dark run of that profile below its running
//! mean. Runs that touch either end point belong to the core or the delta
//! and are not counted.
//!
//! Near a core or a delta the ridges run at every angle, so a line ending a
//! few pixels off may graze a ridge there once, twice or not at all: with
//! the points placed within about 3.5 px, one line in seven missed the true
//! count by two or more on synthetic prints. The count given is therefore
//! the median over the 49 lines between the points round both ends (the
//! point itself and six on a circle of [`Params::ridge_count_jitter_px`]):
//! the count most lines near the points agree on. (Moving one end at a
//! time, 13 lines, did as well at the engine's points, but with a point
//! moved 4 px it missed by two or more nearly twice as often: 21 against
//! 12 of 320 lines.)

use image::GrayImage;
use serde::{Deserialize, Serialize};

use crate::classify::PatternClass;
use crate::orientation::OrientationField;
use crate::params::Params;
use crate::singular::{Core, SingularPoints};

/// Where a loop's ridge-count line ends at the core.
///
/// Schools place a loop's core differently, and the count follows: by a
/// ridge or so on SD14's loops (docs/benchmarks/print.md, "Against SD14's
/// examiners").
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CountConvention {
    /// Bonnevie and Holt, the dermatoglyphic convention `DOMAIN.md` gives
    /// the centre: the line ends at the innermost recurve's centre, where
    /// the orientation field's singular point lies.
    #[default]
    Holt,
    /// The FBI's (Henry's) convention, which NCIC codes and fingerprint
    /// bureaus follow: the core stands on the innermost recurve's shoulder,
    /// down from its apex where the singular point lies, so the line ends
    /// that far from the point towards the loop's opening
    /// ([`Params::fbi_core_offset_px`]) and crosses the recurve's leg.
    /// Whorls are counted as by Holt: the FBI traces a whorl instead of
    /// counting it.
    Fbi,
}

impl std::str::FromStr for CountConvention {
    type Err = String;

    /// `holt` or `fbi`, as the command line names them.
    fn from_str(name: &str) -> Result<Self, Self::Err> {
        match name {
            "holt" => Ok(CountConvention::Holt),
            "fbi" => Ok(CountConvention::Fbi),
            other => Err(format!("a count convention is holt or fbi, not {other:?}")),
        }
    }
}

/// A straight line from a delta to the point its count ends at, pixels.
pub type CountLine = ((f32, f32), (f32, f32));

/// The count along each of `lines` ([`count_lines`]); 0 where a delta is
/// not counted. Arches count 0 by convention (their "delta" is no loop's
/// delta); a delta without a core cannot be counted.
pub fn count_all(
    image: &GrayImage,
    field: &OrientationField,
    lines: &[Option<CountLine>],
    params: &Params,
) -> Vec<u32> {
    lines
        .iter()
        .map(|line| line.map_or(0, |(from, to)| count(image, field, from, to, params)))
        .collect()
}

/// The line each delta's count is read along (in the order of the deltas):
/// from the delta to its core's end under [`Params::ridge_count_convention`];
/// `None` where the delta is not counted (an arch, or no core). A loop's
/// delta is counted to the nearest core it can be the delta of
/// ([`is_loops_delta`]), or failing one to the nearest core; a whorl's to
/// the nearest core.
pub fn count_lines(
    points: &SingularPoints,
    class: PatternClass,
    params: &Params,
) -> Vec<Option<CountLine>> {
    if matches!(class, PatternClass::A | PatternClass::T) {
        return vec![None; points.deltas.len()];
    }
    let cores: Vec<LoopCore> = points.cores.iter().map(LoopCore::from).collect();
    points
        .deltas
        .iter()
        .map(|d| {
            let partner = partner_core(class, &cores, (d.x, d.y))?;
            Some(((d.x, d.y), core_end(&points.cores[partner], class, params)))
        })
        .collect()
}

/// The line between a loop's core and its delta runs at least this many
/// degrees below the horizontal. Chosen on the even half of SD14's counted
/// loops against the examiners' counts (docs/benchmarks/print.md).
pub const LOOP_DELTA_MIN_DROP_DEG: f32 = 15.0;

/// A core as the loop rules read it: where it is (pixels, y down) and the
/// direction its head points ([`Core::angle_deg`]).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LoopCore {
    /// Column and row, pixels.
    pub at: (f32, f32),
    /// Head direction, degrees counter-clockwise with y up.
    pub head_deg: f32,
}

impl From<&Core> for LoopCore {
    fn from(core: &Core) -> Self {
        LoopCore {
            at: (core.x, core.y),
            head_deg: core.angle_deg,
        }
    }
}

/// Whether `delta` (pixels, y down) can be the delta of a loop whose core
/// is `core`: below it, the line between them at least
/// [`LOOP_DELTA_MIN_DROP_DEG`] below the horizontal, and the core's head
/// pointing up, away from the delta. (Its head leans towards the delta's
/// side, away from the opening, so only its upward part tells.) A core and
/// a delta side by side, or a core whose head points down at the delta,
/// are a crease's or a smudge's pair, or lie at the edge of the rolled
/// area.
pub fn is_loops_delta(core: LoopCore, delta: (f32, f32)) -> bool {
    // The head's direction is measured with y up.
    let head_up = core.head_deg.to_radians().sin() > 0.0;
    lies_below(core.at, delta) && head_up
}

/// Whether `delta` lies below `core` (pixels, y down) as a pattern's delta
/// does: the line between them at least [`LOOP_DELTA_MIN_DROP_DEG`] below
/// the horizontal.
pub fn lies_below(core: (f32, f32), delta: (f32, f32)) -> bool {
    let (dx, dy) = (delta.0 - core.0, delta.1 - core.1);
    dy > 0.0 && dy.atan2(dx.abs()) >= LOOP_DELTA_MIN_DROP_DEG.to_radians()
}

/// The nearest of `cores` to `delta`, its index and distance; only among
/// the cores `delta` can be a loop's delta of ([`is_loops_delta`]) when
/// `fitting`.
fn nearest_core(cores: &[LoopCore], delta: (f32, f32), fitting: bool) -> Option<(usize, f32)> {
    cores
        .iter()
        .enumerate()
        .filter(|&(_, &c)| !fitting || is_loops_delta(c, delta))
        .map(|(k, c)| (k, (c.at.0 - delta.0).hypot(c.at.1 - delta.1)))
        .min_by(|a, b| a.1.total_cmp(&b.1))
}

/// The index of the core a delta is counted to: for a loop the nearest
/// core it can be the delta of ([`is_loops_delta`]), else (and for a
/// whorl) the nearest core.
pub fn partner_core(class: PatternClass, cores: &[LoopCore], delta: (f32, f32)) -> Option<usize> {
    let is_loop = matches!(class, PatternClass::L | PatternClass::R);
    is_loop
        .then(|| nearest_core(cores, delta, true))
        .flatten()
        .or_else(|| nearest_core(cores, delta, false))
        .map(|(k, _)| k)
}

/// Which of a loop's deltas is the loop's own (the one its count is given
/// for): among the deltas that can be the delta of some core
/// ([`is_loops_delta`]), the nearest to such a core; where none can, the
/// nearest to any core (the other deltas are creases or smudges). `None`
/// unless `class` is a loop with a core and a delta.
pub fn loops_delta(
    class: PatternClass,
    cores: &[LoopCore],
    deltas: &[(f32, f32)],
) -> Option<usize> {
    if !matches!(class, PatternClass::L | PatternClass::R) {
        return None;
    }
    let nearest = |fitting: bool| {
        deltas
            .iter()
            .enumerate()
            .filter_map(|(k, &d)| Some((k, nearest_core(cores, d, fitting)?.1)))
            .min_by(|a, b| a.1.total_cmp(&b.1))
            .map(|(k, _)| k)
    };
    nearest(true).or_else(|| nearest(false))
}

/// The deltas (indices) that lie below some core ([`lies_below`]), as a
/// pattern's deltas do; one beside or above every core is a crease's or
/// lies at the edge of the rolled area.
pub fn deltas_below_a_core(cores: &[(f32, f32)], deltas: &[(f32, f32)]) -> Vec<usize> {
    (0..deltas.len())
        .filter(|&k| cores.iter().any(|&c| lies_below(c, deltas[k])))
        .collect()
}

/// The two deltas a whorl's counts are given for, left first: the
/// left-most and right-most of the deltas below a core
/// ([`deltas_below_a_core`]), or of all the deltas where fewer than two
/// lie so.
pub fn whorls_deltas(cores: &[(f32, f32)], deltas: &[(f32, f32)]) -> Vec<usize> {
    let below = deltas_below_a_core(cores, deltas);
    let mut kept = if below.len() >= 2 {
        below
    } else {
        (0..deltas.len()).collect()
    };
    kept.sort_by(|&a, &b| deltas[a].0.total_cmp(&deltas[b].0));
    if kept.len() > 2 {
        kept = vec![kept[0], kept[kept.len() - 1]];
    }
    kept
}

/// Where a count's line ends at `core`: the point itself, or for a loop
/// under the FBI's convention that point moved along the loop towards its
/// opening (opposite the head, [`Core::angle_deg`]).
pub fn core_end(core: &Core, class: PatternClass, params: &Params) -> (f32, f32) {
    let is_loop = matches!(class, PatternClass::L | PatternClass::R);
    match params.ridge_count_convention {
        CountConvention::Fbi if is_loop => {
            // The head's direction is measured with y up; the opening lies opposite.
            let head = core.angle_deg.to_radians();
            let offset = params.fbi_core_offset_px;
            (core.x - offset * head.cos(), core.y + offset * head.sin())
        }
        _ => (core.x, core.y),
    }
}

/// Points on the circle round each end point to which that end is moved.
const MOVES: usize = 6;

/// Counts the ridges crossing the line from `from` to `to` (pixels): the
/// median over the lines between the points round both ends (module docs).
pub fn count(
    image: &GrayImage,
    field: &OrientationField,
    from: (f32, f32),
    to: (f32, f32),
    params: &Params,
) -> u32 {
    let circle = circle(params.ridge_count_jitter_px);
    // The point itself, then the points round it.
    let ends = |p: (f32, f32)| -> [(f32, f32); MOVES + 1] {
        std::array::from_fn(|k| match k {
            0 => p,
            _ => (p.0 + circle[k - 1].0, p.1 + circle[k - 1].1),
        })
    };
    let (starts, stops) = (ends(from), ends(to));
    let mut counts = [0u32; (MOVES + 1) * (MOVES + 1)];
    let lines = starts
        .iter()
        .flat_map(|a| stops.iter().map(move |b| (*a, *b)));
    for (slot, (start, stop)) in counts.iter_mut().zip(lines) {
        *slot = count_line(image, field, start, stop, params);
    }
    counts.sort_unstable();
    counts[counts.len() / 2]
}

/// [`MOVES`] points evenly round a circle of `radius` about the origin.
fn circle(radius: f32) -> [(f32, f32); MOVES] {
    std::array::from_fn(|k| {
        let angle = k as f32 * std::f32::consts::TAU / MOVES as f32;
        (radius * angle.cos(), radius * angle.sin())
    })
}

/// Counts the ridges crossing the one straight line from `from` to `to`.
pub fn count_line(
    image: &GrayImage,
    field: &OrientationField,
    from: (f32, f32),
    to: (f32, f32),
    params: &Params,
) -> u32 {
    let profile = profile(image, field, from, to, params.ridge_count_half_len);
    let window = (params.period_range.1.round() as usize) | 1;
    count_dark_runs(&profile, window, params.period_range.0 * 0.5)
}

/// Grey level at each pixel step of the line, averaged along the ridges.
fn profile(
    image: &GrayImage,
    field: &OrientationField,
    from: (f32, f32),
    to: (f32, f32),
    half_len: f32,
) -> Vec<f32> {
    let (dx, dy) = (to.0 - from.0, to.1 - from.1);
    let steps = dx.hypot(dy).ceil().max(1.0) as usize;
    (0..=steps)
        .map(|i| {
            let t = i as f32 / steps as f32;
            let (x, y) = (from.0 + t * dx, from.1 + t * dy);
            let (c, s) = field.direction_at(x, y);
            let n = half_len.ceil() as i32;
            let sum: f32 = (-n..=n)
                .map(|k| pixel(image, x + k as f32 * c, y + k as f32 * s))
                .sum();
            sum / (2 * n + 1) as f32
        })
        .collect()
}

fn pixel(image: &GrayImage, x: f32, y: f32) -> f32 {
    // Rounded by adding a half and truncating: `f32::round` is a library
    // call here, and this runs eleven times a sample on 49 lines.
    let xi = ((x.max(0.0) + 0.5) as u32).min(image.width() - 1);
    let yi = ((y.max(0.0) + 0.5) as u32).min(image.height() - 1);
    f32::from(image.get_pixel(xi, yi).0[0])
}

/// Counts runs darker than the running mean (window `window` samples),
/// leaving out runs that touch the first or last `end_skip` samples, and
/// runs shallower than a small share of the local contrast (noise).
pub fn count_dark_runs(profile: &[f32], window: usize, end_skip: f32) -> u32 {
    let n = profile.len();
    if n < 3 {
        return 0;
    }
    let half = window / 2;
    // Prefix sums: the running mean in constant time a sample, for the 49
    // lines of every count.
    let mut sums = Vec::with_capacity(n + 1);
    sums.push(0.0f64);
    for &v in profile {
        sums.push(sums[sums.len() - 1] + f64::from(v));
    }
    let mean_at = |i: usize| {
        let lo = i.saturating_sub(half);
        let hi = (i + half).min(n - 1);
        ((sums[hi + 1] - sums[lo]) / (hi - lo + 1) as f64) as f32
    };
    let skip = end_skip.ceil() as usize;
    let mut runs = 0;
    let mut start: Option<usize> = None;
    for i in 0..=n {
        let dark = profile.get(i).is_some_and(|&v| v < mean_at(i) - 1.0);
        match (dark, start) {
            (true, None) => start = Some(i),
            (false, Some(s)) => {
                let touches_end = s <= skip || i >= n - skip;
                if !touches_end {
                    runs += 1;
                }
                start = None;
            }
            _ => {}
        }
    }
    runs
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_dark_runs_and_skips_the_ends() {
        // Period 10: dark for 5 samples, light for 5; starts dark (at the delta).
        let profile: Vec<f32> = (0..100)
            .map(|i| if (i / 5) % 2 == 0 { 50.0 } else { 200.0 })
            .collect();
        // Dark runs start at 0, 10, …, 90: only the first touches an end.
        assert_eq!(count_dark_runs(&profile, 11, 2.0), 9);
    }

    /// An upright right loop: head up from a core at (300, 200), its delta
    /// down and to the left.
    fn upright_loop() -> SingularPoints {
        SingularPoints {
            cores: vec![Core {
                x: 300.0,
                y: 200.0,
                angle_deg: 90.0,
            }],
            deltas: vec![crate::singular::Delta { x: 200.0, y: 320.0 }],
            whorl_centres: 0,
        }
    }

    #[test]
    fn holt_ends_the_line_at_the_singular_point() {
        let lines = count_lines(&upright_loop(), PatternClass::R, &Params::default());
        assert_eq!(lines, vec![Some(((200.0, 320.0), (300.0, 200.0)))]);
    }

    #[test]
    fn fbi_ends_a_loops_line_towards_its_opening_and_leaves_whorls_alone() {
        let params = Params {
            ridge_count_convention: CountConvention::Fbi,
            ..Params::default()
        };
        let points = upright_loop();
        let [Some((_, (x, y)))] = count_lines(&points, PatternClass::R, &params)[..] else {
            panic!("one counted line")
        };
        // The head points up (y falls), so the opening lies below: y grows.
        assert!((x - 300.0).abs() < 1e-3, "{x}");
        assert!(
            (y - (200.0 + params.fbi_core_offset_px)).abs() < 1e-3,
            "{y}"
        );
        let whorl = count_lines(&points, PatternClass::W, &params);
        assert_eq!(whorl, vec![Some(((200.0, 320.0), (300.0, 200.0)))]);
        // At 1000 ppi the offset doubles with every other distance.
        let fine = params.scaled_to(1000);
        assert!((fine.fbi_core_offset_px - 2.0 * params.fbi_core_offset_px).abs() < 1e-3);
    }

    #[test]
    fn arches_and_deltas_without_a_core_are_not_counted() {
        let mut points = upright_loop();
        assert_eq!(
            count_lines(&points, PatternClass::T, &Params::default()),
            vec![None]
        );
        points.cores.clear();
        assert_eq!(
            count_lines(&points, PatternClass::L, &Params::default()),
            vec![None]
        );
    }

    fn core(x: f32, y: f32, head_deg: f32) -> LoopCore {
        LoopCore {
            at: (x, y),
            head_deg,
        }
    }

    #[test]
    fn a_loops_delta_lies_below_a_core_whose_head_points_up() {
        let upright = core(300.0, 200.0, 90.0);
        assert!(is_loops_delta(upright, (200.0, 320.0)));
        assert!(
            is_loops_delta(upright, (420.0, 260.0)),
            "27° below, either side"
        );
        assert!(!is_loops_delta(upright, (420.0, 220.0)), "9°: side by side");
        assert!(!is_loops_delta(upright, (250.0, 150.0)), "above");
        // Head tilted towards the delta's side still points up.
        assert!(is_loops_delta(core(300.0, 200.0, 40.0), (400.0, 260.0)));
        // A head pointing down at the delta: a crease's or an edge's core.
        assert!(!is_loops_delta(core(300.0, 200.0, -35.0), (310.0, 250.0)));
    }

    /// SD14's s0024700, a left loop: its core high, a crease's core and
    /// delta low down. The crease's delta, nearest the crease's core, was
    /// counted to it (2 ridges; the examiner counted 14).
    #[test]
    fn a_crease_pair_does_not_take_the_loops_count() {
        let cores = [core(360.0, 384.0, 83.0), core(516.0, 580.0, -34.1)];
        let delta = (464.0, 568.0);
        assert_eq!(partner_core(PatternClass::L, &cores, delta), Some(0));
        // A whorl's delta is counted to its nearest core, as before.
        assert_eq!(partner_core(PatternClass::W, &cores, delta), Some(1));
        // Of two deltas the loop's own is the one below an upright core,
        // though the other lies nearer a core.
        let cores = [core(168.0, 196.0, 90.9), core(320.0, 712.0, -74.8)];
        let deltas = [(364.0, 712.0), (392.0, 332.0)];
        assert_eq!(loops_delta(PatternClass::L, &cores, &deltas), Some(1));
        // Where no core fits, the delta nearest a core stands.
        assert_eq!(loops_delta(PatternClass::L, &cores[1..], &deltas), Some(0));
        assert_eq!(loops_delta(PatternClass::W, &cores, &deltas), None);
        assert_eq!(loops_delta(PatternClass::L, &[], &deltas), None);
    }

    #[test]
    fn a_whorls_counts_are_for_its_outermost_deltas_below_the_centre() {
        // SD14's s0024319: two deltas below the centre, a third high up
        // and to the right, which was the right-most and counted 29.
        let cores = [(308.0, 360.0), (320.0, 460.0)];
        let deltas = [(256.0, 520.0), (396.0, 528.0), (512.0, 184.0)];
        assert_eq!(whorls_deltas(&cores, &deltas), vec![0, 1]);
        // Four below: the outermost two, left first.
        let deltas = [
            (400.0, 600.0),
            (100.0, 500.0),
            (300.0, 550.0),
            (600.0, 520.0),
        ];
        assert_eq!(whorls_deltas(&cores, &deltas), vec![1, 3]);
        // Fewer than two below: all the deltas are candidates, as before.
        let deltas = [(700.0, 300.0), (256.0, 520.0)];
        assert_eq!(whorls_deltas(&cores, &deltas), vec![1, 0]);
    }
}
