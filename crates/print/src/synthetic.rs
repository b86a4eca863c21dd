//! Synthetic prints of known truth, for tests.
//!
//! The orientation field comes from the singular points by the zero-pole
//! model of Sherlock and Monro, θ(z) = θ₀ + ½(Σ arg(z − coreₖ) − Σ arg(z − deltaₖ)),
//! or, for a plain arch, from a bent-ridge model. Ridges are grown from
//! noise by repeated Gabor filtering along that field (as in SFinGe): each
//! pass strengthens the frequency and direction asked for, and a clipping
//! step keeps the ridges binary. The truth ridge count of each delta is
//! read on the clean ridge map along the exact line to its core.
//!
//! [`Spec::of_class`] draws one typical print of a class; [`Spec::random`]
//! varies everything a real print varies (where the points lie, how far
//! apart, the pattern's tilt, the ridge period, the noise) for measuring
//! the engine; [`Score`] compares an analysis with the truth.

use std::f32::consts::PI;

use image::{GrayImage, Luma};

use crate::classify::PatternClass;
use crate::singular::SingularPoints;

/// What to draw.
#[derive(Clone, Debug, PartialEq)]
pub struct Spec {
    /// Image width, pixels.
    pub width: u32,
    /// Image height, pixels.
    pub height: u32,
    /// Core positions, pixels.
    pub cores: Vec<(f32, f32)>,
    /// Delta positions, pixels.
    pub deltas: Vec<(f32, f32)>,
    /// Ridge period, pixels (about 9 at 500 ppi).
    pub period: f32,
    /// Class the points make (for tests of the classifier).
    pub class: PatternClass,
    /// Seed of the noise the ridges grow from.
    pub seed: u64,
    /// Standard deviation of the grey noise added at the end.
    pub noise: f32,
    /// Tilt of the whole pattern, radians, in the image's own sense (x
    /// right, y down: positive turns clockwise on screen). The points are
    /// given where they lie after the turn; the field turns with them.
    pub rotation: f32,
}

/// A rendered synthetic print with its truth.
#[derive(Clone, Debug)]
pub struct SyntheticPrint {
    /// The grey image: dark ridges on a light ground, finger inside an ellipse.
    pub image: GrayImage,
    /// True cores.
    pub cores: Vec<(f32, f32)>,
    /// True deltas.
    pub deltas: Vec<(f32, f32)>,
    /// True ridge count from each delta to its nearest core.
    pub ridge_counts: Vec<u32>,
    /// The class drawn.
    pub class: PatternClass,
}

const SIZE: (u32, u32) = (416, 448);

impl Spec {
    /// A typical print of `class`; `seed` varies the noise and moves the
    /// singular points by a few pixels.
    pub fn of_class(class: PatternClass, seed: u64) -> Spec {
        let mut rng = Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1);
        let mut jitter = |v: f32| v + (rng.next() - 0.5) * 24.0;
        let (cx, cy) = (208.0, 190.0);
        let (cores, deltas) = match class {
            PatternClass::A => (vec![], vec![]),
            PatternClass::T => (
                vec![(jitter(cx), jitter(cy))],
                vec![(jitter(cx), jitter(cy + 90.0))],
            ),
            PatternClass::L => (
                vec![(jitter(cx - 30.0), jitter(cy))],
                vec![(jitter(cx + 110.0), jitter(cy + 120.0))],
            ),
            PatternClass::R => (
                vec![(jitter(cx + 30.0), jitter(cy))],
                vec![(jitter(cx - 110.0), jitter(cy + 120.0))],
            ),
            PatternClass::W => (
                vec![
                    (jitter(cx), jitter(cy - 25.0)),
                    (jitter(cx), jitter(cy + 25.0)),
                ],
                vec![
                    (jitter(cx - 130.0), jitter(cy + 130.0)),
                    (jitter(cx + 130.0), jitter(cy + 130.0)),
                ],
            ),
        };
        Spec {
            width: SIZE.0,
            height: SIZE.1,
            cores,
            deltas,
            period: 9.0,
            class,
            seed,
            noise: 12.0,
            rotation: 0.0,
        }
    }

    /// A print of `class` drawn from the range real rolled prints span at
    /// 500 ppi: core–delta distances from 45 to 190 px (about 4 to 22
    /// ridges), whorl cores 20–60 px apart, tilt up to ±20°, ridge period
    /// 7.5–11 px, grey noise σ 6–24. Every point lies at least 40 px inside
    /// the finger, where a delta can be seen at all.
    pub fn random(class: PatternClass, seed: u64) -> Spec {
        let mut rng = Rng(seed.wrapping_mul(0xD1B5_4A32_D192_ED03) | 1);
        let (w, h) = SIZE;
        let centre = (w as f32 / 2.0, h as f32 / 2.0);
        loop {
            let mut spec = Spec {
                period: rng.between(7.5, 11.0),
                noise: rng.between(6.0, 24.0),
                rotation: rng.between(-20.0, 20.0).to_radians(),
                ..Spec::of_class(class, seed)
            };
            let (cores, deltas) = upright_points(class, &mut rng);
            let turn = |p: (f32, f32)| rotate_about(p, centre, spec.rotation);
            spec.cores = cores.into_iter().map(turn).collect();
            spec.deltas = deltas.into_iter().map(turn).collect();
            let inside = |p: &(f32, f32)| spec.inside_finger_by(p.0, p.1, 40.0);
            if spec.cores.iter().chain(&spec.deltas).all(inside) {
                return spec;
            }
        }
    }

    /// Ridge direction at (`x`, `y`), radians.
    pub fn orientation(&self, x: f32, y: f32) -> f32 {
        if self.cores.is_empty() && self.deltas.is_empty() {
            return arch_orientation(self, x, y);
        }
        let arg = |p: &(f32, f32)| (y - p.1).atan2(x - p.0);
        let sum: f32 =
            self.cores.iter().map(arg).sum::<f32>() - self.deltas.iter().map(arg).sum::<f32>();
        // Cores and deltas come in equal numbers here, so turning the
        // points turns their arguments' sum by nothing: the tilt is added.
        self.rotation + 0.5 * sum
    }

    /// Renders the print and reads its truth.
    pub fn render(&self) -> SyntheticPrint {
        let ridges = grow_ridges(self);
        let ridge_counts = self
            .deltas
            .iter()
            .map(|d| match (self.class, nearest(&self.cores, d)) {
                (PatternClass::A | PatternClass::T, _) | (_, None) => 0,
                (_, Some(core)) => count_on_ridge_map(&ridges, self.width as usize, *d, *core),
            })
            .collect();
        SyntheticPrint {
            image: to_image(self, &ridges),
            cores: self.cores.clone(),
            deltas: self.deltas.clone(),
            ridge_counts,
            class: self.class,
        }
    }

    fn inside_finger(&self, x: f32, y: f32) -> bool {
        self.inside_finger_by(x, y, 0.0)
    }

    /// Inside the finger's ellipse and at least `margin` px from its edge
    /// (nearly: the ellipse is shrunk by `margin` on both axes).
    fn inside_finger_by(&self, x: f32, y: f32, margin: f32) -> bool {
        let (cx, cy) = (self.width as f32 / 2.0, self.height as f32 / 2.0);
        let (rx, ry) = (
            self.width as f32 * 0.46 - margin,
            self.height as f32 * 0.47 - margin,
        );
        ((x - cx) / rx).powi(2) + ((y - cy) / ry).powi(2) <= 1.0
    }
}

/// Points, pixels.
type Points = Vec<(f32, f32)>;

/// Cores and deltas of an upright print of `class`, before the tilt.
fn upright_points(class: PatternClass, rng: &mut Rng) -> (Points, Points) {
    let (cx, cy) = (
        SIZE.0 as f32 / 2.0 + rng.between(-20.0, 20.0),
        rng.between(150.0, 210.0),
    );
    // A delta below the core and to one side, at a distance from 45 to 190
    // px, the line between them 20–50° below the horizontal. On that line
    // the zero-pole field always runs straight up and down (the core's and
    // the delta's arguments differ by π there), so a steeper line would run
    // along the ridges it is meant to cross, which no real loop does: its
    // delta lies beside the limbs it counts.
    let delta_below = |core: (f32, f32), side: f32, rng: &mut Rng| {
        let distance = rng.between(45.0, 190.0);
        let angle = rng.between(20.0, 50.0).to_radians();
        (
            core.0 + side * distance * angle.cos(),
            core.1 + distance * angle.sin(),
        )
    };
    match class {
        PatternClass::A => (vec![], vec![]),
        PatternClass::T => {
            let core = (cx, cy);
            let below = (cx + rng.between(-12.0, 12.0), cy + rng.between(45.0, 110.0));
            (vec![core], vec![below])
        }
        PatternClass::L | PatternClass::R => {
            // A left loop opens to the left: its delta lies to the right.
            let side = if class == PatternClass::L { 1.0 } else { -1.0 };
            let core = (cx - side * rng.between(0.0, 40.0), cy);
            let delta = delta_below(core, side, rng);
            (vec![core], vec![delta])
        }
        PatternClass::W => {
            let gap = rng.between(20.0, 60.0);
            let lean = rng.between(-15.0, 15.0);
            let upper = (cx - lean / 2.0, cy - gap / 2.0);
            let lower = (cx + lean / 2.0, cy + gap / 2.0);
            let left = delta_below(lower, -1.0, rng);
            let right = delta_below(lower, 1.0, rng);
            (vec![upper, lower], vec![left, right])
        }
    }
}

fn rotate_about(p: (f32, f32), centre: (f32, f32), angle: f32) -> (f32, f32) {
    let (s, c) = angle.sin_cos();
    let (dx, dy) = (p.0 - centre.0, p.1 - centre.1);
    (centre.0 + c * dx - s * dy, centre.1 + s * dx + c * dy)
}

/// A found core further than this from every true core is a false one, px.
pub const CORE_RADIUS: f32 = 40.0;
/// The same for deltas, px (about three ridges).
pub const DELTA_RADIUS: f32 = 32.0;

/// How an analysis of a synthetic print compares with its truth.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Score {
    /// For each true core, the distance to the nearest core found, if one
    /// lies within [`CORE_RADIUS`].
    pub core_errors: Vec<Option<f32>>,
    /// For each true delta, the distance to the nearest delta found within
    /// [`DELTA_RADIUS`].
    pub delta_errors: Vec<Option<f32>>,
    /// For each true delta, its true ridge count and the count the engine
    /// gave the delta it found there (none where it found none).
    pub ridge_counts: Vec<(u32, Option<u32>)>,
    /// Cores found near no true core.
    pub false_cores: usize,
    /// Deltas found near no true delta.
    pub false_deltas: usize,
}

impl SyntheticPrint {
    /// Compares `analysis` (of this print's image) with the truth.
    pub fn score(&self, analysis: &crate::Analysis) -> Score {
        let cores: Vec<(f32, f32)> = analysis
            .cores
            .iter()
            .map(|c| (c.x as f32, c.y as f32))
            .collect();
        let deltas: Vec<(f32, f32)> = analysis
            .deltas
            .iter()
            .map(|d| (d.x as f32, d.y as f32))
            .collect();
        self.score_points(&cores, &deltas, &analysis.ridge_counts)
    }

    /// Compares singular points as the search found them (before the
    /// output places them), with a count per delta in their order, with
    /// the truth.
    pub fn score_found(&self, found: &SingularPoints, ridge_counts: &[u32]) -> Score {
        self.score_points(
            &found.core_positions(),
            &found.delta_positions(),
            ridge_counts,
        )
    }

    /// Compares points found (pixels) and the ridge count of each delta
    /// found (in the order of `deltas`) with the truth.
    fn score_points(
        &self,
        cores: &[(f32, f32)],
        deltas: &[(f32, f32)],
        ridge_counts: &[u32],
    ) -> Score {
        let core_matches: Vec<_> = self
            .cores
            .iter()
            .map(|t| nearest_within(t, cores, CORE_RADIUS))
            .collect();
        let delta_matches: Vec<_> = self
            .deltas
            .iter()
            .map(|t| nearest_within(t, deltas, DELTA_RADIUS))
            .collect();
        let unmatched = |found: &[(f32, f32)], truth: &[(f32, f32)], radius: f32| {
            found
                .iter()
                .filter(|f| !truth.iter().any(|t| dist(f, t) <= radius))
                .count()
        };
        Score {
            core_errors: core_matches.iter().map(|m| m.map(|(_, d)| d)).collect(),
            delta_errors: delta_matches.iter().map(|m| m.map(|(_, d)| d)).collect(),
            ridge_counts: self
                .ridge_counts
                .iter()
                .zip(&delta_matches)
                .map(|(&truth, m)| {
                    let counted = m.and_then(|(i, _)| ridge_counts.get(i).copied());
                    (truth, counted)
                })
                .collect(),
            false_cores: unmatched(cores, &self.cores, CORE_RADIUS),
            false_deltas: unmatched(deltas, &self.deltas, DELTA_RADIUS),
        }
    }
}

/// Index of and distance to the point of `found` nearest `truth`, if within `radius`.
fn nearest_within(truth: &(f32, f32), found: &[(f32, f32)], radius: f32) -> Option<(usize, f32)> {
    found
        .iter()
        .enumerate()
        .map(|(i, f)| (i, dist(truth, f)))
        .filter(|&(_, d)| d <= radius)
        .min_by(|a, b| a.1.total_cmp(&b.1))
}

/// The point of `points` nearest `to` (the core a delta's true count runs to).
pub fn nearest<'a>(points: &'a [(f32, f32)], to: &(f32, f32)) -> Option<&'a (f32, f32)> {
    points
        .iter()
        .min_by(|a, b| dist(a, to).total_cmp(&dist(b, to)))
}

fn dist(a: &(f32, f32), b: &(f32, f32)) -> f32 {
    (a.0 - b.0).hypot(a.1 - b.1)
}

/// A plain arch turned by the spec's tilt.
fn arch_orientation(spec: &Spec, x: f32, y: f32) -> f32 {
    let centre = (spec.width as f32 / 2.0, spec.height as f32 / 2.0);
    // Read the upright arch at the point the tilt brought here.
    let (x, y) = rotate_about((x, y), centre, -spec.rotation);
    spec.rotation + upright_arch_orientation(spec, x, y)
}

/// Ridges bent upwards over the middle of the finger, flatter below.
fn upright_arch_orientation(spec: &Spec, x: f32, y: f32) -> f32 {
    let cx = spec.width as f32 / 2.0;
    let s = spec.width as f32 * 0.22;
    let height = 60.0 * (1.0 - (y / spec.height as f32)).clamp(0.2, 1.0);
    let u = (x - cx) / s;
    // Slope of y = −height·exp(−u²/2), in image rows (down is +y).
    (height * u / s * (-0.5 * u * u).exp()).atan()
}

/// Gabor growth: returns the ridge map, +1 ridge … −1 valley, row-major.
fn grow_ridges(spec: &Spec) -> Vec<f32> {
    let (w, h) = (spec.width as usize, spec.height as usize);
    const ANGLES: usize = 24;
    let kernels: Vec<Kernel> = (0..ANGLES)
        .map(|k| Kernel::gabor(k as f32 * PI / ANGLES as f32, spec.period))
        .collect();
    let angle_index: Vec<usize> = (0..w * h)
        .map(|i| {
            let theta = spec
                .orientation((i % w) as f32, (i / w) as f32)
                .rem_euclid(PI);
            ((theta / PI * ANGLES as f32).round() as usize) % ANGLES
        })
        .collect();
    let mut rng = Rng(spec.seed.wrapping_add(0x5851_F42D_4C95_7F2D) | 1);
    let mut map: Vec<f32> = (0..w * h)
        .map(|_| if rng.next() < 0.5 { -1.0 } else { 1.0 })
        .collect();
    let mut next = vec![0.0f32; w * h];
    for _ in 0..6 {
        for y in 0..h {
            for x in 0..w {
                let v = kernels[angle_index[y * w + x]].apply(&map, w, h, x, y);
                next[y * w + x] = (v * 4.0).clamp(-1.0, 1.0);
            }
        }
        std::mem::swap(&mut map, &mut next);
    }
    map
}

struct Kernel {
    radius: isize,
    taps: Vec<f32>,
}

impl Kernel {
    /// Even Gabor filter for ridges of direction `theta` and period `period`.
    fn gabor(theta: f32, period: f32) -> Kernel {
        let radius = (period * 0.8).ceil() as isize;
        let sigma = period * 0.45;
        let (c, s) = (theta.cos(), theta.sin());
        let mut taps = Vec::new();
        for dy in -radius..=radius {
            for dx in -radius..=radius {
                let (fx, fy) = (dx as f32, dy as f32);
                let across = -fx * s + fy * c;
                let envelope = (-(fx * fx + fy * fy) / (2.0 * sigma * sigma)).exp();
                taps.push(envelope * (2.0 * PI * across / period).cos());
            }
        }
        let norm: f32 = taps.iter().map(|t| t.abs()).sum();
        taps.iter_mut().for_each(|t| *t /= norm);
        Kernel { radius, taps }
    }

    fn apply(&self, map: &[f32], w: usize, h: usize, x: usize, y: usize) -> f32 {
        let r = self.radius;
        let mut sum = 0.0;
        let mut k = 0;
        for dy in -r..=r {
            let yy = (y as isize + dy).clamp(0, h as isize - 1) as usize;
            for dx in -r..=r {
                let xx = (x as isize + dx).clamp(0, w as isize - 1) as usize;
                sum += self.taps[k] * map[yy * w + xx];
                k += 1;
            }
        }
        sum
    }
}

/// Ridges (positive runs) crossing the line, those touching the ends excluded.
fn count_on_ridge_map(map: &[f32], w: usize, from: (f32, f32), to: (f32, f32)) -> u32 {
    let steps = dist(&from, &to).ceil() as usize;
    let on_ridge: Vec<bool> = (0..=steps)
        .map(|i| {
            let t = i as f32 / steps.max(1) as f32;
            let (x, y) = (from.0 + t * (to.0 - from.0), from.1 + t * (to.1 - from.1));
            map[y.round() as usize * w + x.round() as usize] > 0.0
        })
        .collect();
    let mut runs = 0;
    let mut start = None;
    for i in 0..=on_ridge.len() {
        let ridge = i < on_ridge.len() && on_ridge[i];
        match (ridge, start) {
            (true, None) => start = Some(i),
            (false, Some(s)) => {
                if s > 2 && i + 3 < on_ridge.len() {
                    runs += 1;
                }
                start = None;
            }
            _ => {}
        }
    }
    runs
}

fn to_image(spec: &Spec, map: &[f32]) -> GrayImage {
    let w = spec.width as usize;
    let mut rng = Rng(spec.seed.wrapping_add(0x2545_F491_4F6C_DD1D) | 1);
    GrayImage::from_fn(spec.width, spec.height, |x, y| {
        let noise = (rng.next() + rng.next() + rng.next() - 1.5) * 2.0 * spec.noise;
        let grey = if spec.inside_finger(x as f32, y as f32) {
            130.0 - 90.0 * map[y as usize * w + x as usize]
        } else {
            235.0
        };
        Luma([(grey + noise).clamp(0.0, 255.0) as u8])
    })
}

/// A small xorshift generator: tests must not depend on a crate's stream.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> f32 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 >> 40) as f32 / (1u64 << 24) as f32
    }

    /// Uniform in [`low`, `high`).
    fn between(&mut self, low: f32, high: f32) -> f32 {
        low + (high - low) * self.next()
    }
}
