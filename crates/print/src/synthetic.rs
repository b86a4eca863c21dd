//! Synthetic prints of known truth, for tests.
//!
//! The orientation field comes from the singular points by the zero-pole
//! model of Sherlock and Monro, θ(z) = θ₀ + ½(Σ arg(z − coreₖ) − Σ arg(z − deltaₖ)),
//! or, for a plain arch, from a bent-ridge model. Ridges are grown from
//! noise by repeated Gabor filtering along that field (as in SFinGe): each
//! pass strengthens the frequency and direction asked for, and a clipping
//! step keeps the ridges binary. The truth ridge count of each delta is
//! read on the clean ridge map along the exact line to its core.

use std::f32::consts::PI;

use image::{GrayImage, Luma};

use crate::classify::PatternClass;

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
        0.5 * sum
    }

    /// Renders the print and reads its truth.
    pub fn render(&self) -> SyntheticPrint {
        let ridges = grow_ridges(self);
        let ridge_counts = self
            .deltas
            .iter()
            .map(|d| {
                let core = self
                    .cores
                    .iter()
                    .min_by(|a, b| dist(a, d).total_cmp(&dist(b, d)));
                match (self.class, core) {
                    (PatternClass::A | PatternClass::T, _) | (_, None) => 0,
                    (_, Some(core)) => count_on_ridge_map(&ridges, self.width as usize, *d, *core),
                }
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
        let (cx, cy) = (self.width as f32 / 2.0, self.height as f32 / 2.0);
        let (rx, ry) = (self.width as f32 * 0.46, self.height as f32 * 0.47);
        ((x - cx) / rx).powi(2) + ((y - cy) / ry).powi(2) <= 1.0
    }
}

fn dist(a: &(f32, f32), b: &(f32, f32)) -> f32 {
    (a.0 - b.0).hypot(a.1 - b.1)
}

/// Ridges bent upwards over the middle of the finger, flatter below.
fn arch_orientation(spec: &Spec, x: f32, y: f32) -> f32 {
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
}
