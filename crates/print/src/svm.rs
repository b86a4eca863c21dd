//! A support-vector classifier: Gaussian-kernel C-SVMs, one for every pair
//! of classes (one-versus-one), trained by sequential minimal optimisation
//! with second-order working-set selection (Fan, Chen and Lin, JMLR 2005;
//! the method of LIBSVM). The rare classes get a larger C, as the network's
//! training weighs them more.
//!
//! Why beside the network: on the same features the margin-based learner
//! keeps the rare classes (arches, tented arches) apart from the loops
//! better, and it has no random start, so a retrain gives the same model.
//! Class probabilities come from the pairwise duels: each duel's decision
//! value through a logistic curve, coupled into one distribution by the
//! second method of Wu, Lin and Weng (JMLR 2004).

use serde::{Deserialize, Serialize};

use crate::classify::PatternClass;

const CLASSES: usize = PatternClass::ALL.len();

/// A trained one-versus-one support-vector classifier.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Svm {
    /// Mean of each feature over the training set.
    pub mean: Vec<f32>,
    /// 1 / standard deviation of each feature (0 for a constant feature).
    pub inv_std: Vec<f32>,
    /// Kernel width: K(x, y) = exp(−gamma · |x − y|²) on standardised features.
    pub gamma: f32,
    /// Slope of the logistic curve that turns a duel's decision value into
    /// the probability that its first class wins.
    pub slope: f32,
    /// The support vectors of all duels, standardised, each stored once.
    pub vectors: Vec<Vec<f32>>,
    /// One duel per pair of classes that both occur in training.
    pub duels: Vec<Duel>,
}

/// The binary machine deciding between two classes.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Duel {
    /// Index (in [`PatternClass::ALL`]) of the class a positive value picks.
    pub first: usize,
    /// Index of the class a negative value picks.
    pub second: usize,
    /// (index into [`Svm::vectors`], label × Lagrange multiplier).
    pub terms: Vec<(u32, f32)>,
    /// Offset: the decision value is Σ coefficient · K − rho.
    pub rho: f32,
}

/// How to train an [`Svm`].
#[derive(Clone, Debug)]
pub struct SvmOptions {
    /// Penalty of a margin violation, before the class weight.
    pub c: f32,
    /// Each class's C is multiplied by (mean class size / class size)^power.
    pub class_weight_power: f32,
    /// Stopping tolerance of the optimisation (largest KKT violation).
    pub tolerance: f32,
}

impl Default for SvmOptions {
    fn default() -> Self {
        SvmOptions {
            c: 1.0,
            class_weight_power: 0.5,
            tolerance: 1e-3,
        }
    }
}

impl Svm {
    /// Trains on `(features, class)` samples.
    pub fn train(samples: &[(Vec<f32>, PatternClass)], options: &SvmOptions) -> Svm {
        let dims = samples.first().map_or(0, |s| s.0.len());
        let (mean, inv_std) = crate::model::standardisation(samples, dims);
        let xs: Vec<Vec<f32>> = samples
            .iter()
            .map(|(f, _)| standardise(f, &mean, &inv_std))
            .collect();
        let labels: Vec<usize> = samples.iter().map(|s| s.1.index()).collect();
        let gamma = scale_gamma(&xs);
        let kernel = KernelMatrix::new(&xs, gamma);
        let penalty = class_penalties(&labels, options);
        let mut used = vec![None::<u32>; xs.len()];
        let mut vectors = Vec::new();
        let mut duels = Vec::new();
        for first in 0..CLASSES {
            for second in first + 1..CLASSES {
                let members: Vec<usize> = (0..xs.len())
                    .filter(|&i| labels[i] == first || labels[i] == second)
                    .collect();
                if !members.iter().any(|&i| labels[i] == first)
                    || !members.iter().any(|&i| labels[i] == second)
                {
                    continue;
                }
                let y: Vec<f32> = members
                    .iter()
                    .map(|&i| if labels[i] == first { 1.0 } else { -1.0 })
                    .collect();
                let c: Vec<f32> = members.iter().map(|&i| penalty[labels[i]]).collect();
                let problem = Problem {
                    kernel: &kernel,
                    members: &members,
                    y: &y,
                    c: &c,
                };
                let (alpha, rho) = problem.solve(options.tolerance);
                let terms = members
                    .iter()
                    .zip(&alpha)
                    .zip(&y)
                    .filter(|((_, &a), _)| a > 0.0)
                    .map(|((&i, &a), &y)| {
                        let slot = *used[i].get_or_insert_with(|| {
                            vectors.push(xs[i].clone());
                            (vectors.len() - 1) as u32
                        });
                        (slot, a * y)
                    })
                    .collect();
                duels.push(Duel {
                    first,
                    second,
                    terms,
                    rho,
                });
            }
        }
        Svm {
            mean,
            inv_std,
            gamma,
            slope: DEFAULT_SLOPE,
            vectors,
            duels,
        }
    }

    /// Each duel's decision value (positive: its first class), in
    /// [`Svm::duels`] order.
    pub fn decisions(&self, features: &[f32]) -> Vec<f32> {
        let x = standardise(features, &self.mean, &self.inv_std);
        let k: Vec<f32> = self
            .vectors
            .iter()
            .map(|v| (-self.gamma * squared_distance(v, &x)).exp())
            .collect();
        self.duels
            .iter()
            .map(|d| d.terms.iter().map(|&(i, a)| a * k[i as usize]).sum::<f32>() - d.rho)
            .collect()
    }

    /// The class most duels pick, with its coupled probability as the
    /// confidence.
    pub fn decide(&self, features: &[f32]) -> (PatternClass, f32) {
        self.decide_and_predict(features).0
    }

    /// [`Self::decide`] and [`Self::predict`] from one evaluation of the duels.
    pub fn decide_and_predict(&self, features: &[f32]) -> ((PatternClass, f32), [f32; CLASSES]) {
        let decisions = self.decisions(features);
        let probabilities = self.couple_on(&decisions);
        let class = self.vote_on(&decisions);
        ((class, probabilities[class.index()]), probabilities)
    }

    /// The class most duels pick (ties to the class earlier in
    /// [`PatternClass::ALL`], as LIBSVM breaks them).
    pub fn vote(&self, features: &[f32]) -> PatternClass {
        self.vote_on(&self.decisions(features))
    }

    fn vote_on(&self, decisions: &[f32]) -> PatternClass {
        let mut votes = [0u32; CLASSES];
        for (duel, &value) in self.duels.iter().zip(decisions) {
            votes[if value > 0.0 { duel.first } else { duel.second }] += 1;
        }
        let best = (0..CLASSES)
            .rev()
            .max_by_key(|&k| votes[k])
            .unwrap_or_default();
        PatternClass::ALL[best]
    }

    /// Class probabilities, in [`PatternClass::ALL`] order, coupled from the
    /// duels. (Their largest is not always the voted class: the vote keeps
    /// the rare classes better, the probabilities are better calibrated.)
    pub fn predict(&self, features: &[f32]) -> [f32; CLASSES] {
        self.couple_on(&self.decisions(features))
    }

    fn couple_on(&self, decisions: &[f32]) -> [f32; CLASSES] {
        // r[i][j]: probability that i beats j.
        let mut r = [[0.0f32; CLASSES]; CLASSES];
        let mut present = [false; CLASSES];
        for (duel, &value) in self.duels.iter().zip(decisions) {
            let p = 1.0 / (1.0 + (-self.slope * value).exp());
            let p = p.clamp(1e-4, 1.0 - 1e-4);
            r[duel.first][duel.second] = p;
            r[duel.second][duel.first] = 1.0 - p;
            present[duel.first] = true;
            present[duel.second] = true;
        }
        couple(&r, &present)
    }
}

/// Slope of the logistic curve: a decision value of ±1 (on the margin)
/// reads as 0.98 / 0.02. Chosen on the SD14 cross-validation folds as the
/// slope whose stated confidence best matches how often the vote is right
/// (expected calibration error 0.012 against 0.049 at slope 3 and 0.037 at
/// 5; docs/benchmarks/print.md).
const DEFAULT_SLOPE: f32 = 4.0;

fn standardise(features: &[f32], mean: &[f32], inv_std: &[f32]) -> Vec<f32> {
    features
        .iter()
        .zip(mean)
        .zip(inv_std)
        .map(|((v, m), s)| (v - m) * s)
        .collect()
}

fn squared_distance(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(p, q)| (p - q) * (p - q)).sum()
}

/// gamma = 1 / (features × variance of all standardised values): the usual
/// "scale" width, so that a typical pair of prints sits at K ≈ e^−2.
fn scale_gamma(xs: &[Vec<f32>]) -> f32 {
    let n = xs.iter().map(Vec::len).sum::<usize>().max(1) as f64;
    let mean = xs.iter().flatten().map(|&v| f64::from(v)).sum::<f64>() / n;
    let var = xs
        .iter()
        .flatten()
        .map(|&v| (f64::from(v) - mean).powi(2))
        .sum::<f64>()
        / n;
    let dims = xs.first().map_or(1, Vec::len).max(1) as f64;
    if var > 0.0 {
        (1.0 / (dims * var)) as f32
    } else {
        1.0 / dims as f32
    }
}

/// C of each class: `c` × (mean class size / class size)^power.
fn class_penalties(labels: &[usize], options: &SvmOptions) -> [f32; CLASSES] {
    let mut counts = [0usize; CLASSES];
    labels.iter().for_each(|&l| counts[l] += 1);
    let present = counts.iter().filter(|&&c| c > 0).count().max(1) as f32;
    let mean = labels.len() as f32 / present;
    counts.map(|c| match c {
        0 => 0.0,
        _ => options.c * (mean / c as f32).powf(options.class_weight_power),
    })
}

/// The Gaussian kernel between every pair of training samples (810 prints
/// in a cross-validation fold: 2.6 MB).
struct KernelMatrix {
    n: usize,
    values: Vec<f32>,
}

impl KernelMatrix {
    fn new(xs: &[Vec<f32>], gamma: f32) -> KernelMatrix {
        let n = xs.len();
        let mut values = vec![1.0f32; n * n];
        for i in 0..n {
            for j in i + 1..n {
                let k = (-gamma * squared_distance(&xs[i], &xs[j])).exp();
                values[i * n + j] = k;
                values[j * n + i] = k;
            }
        }
        KernelMatrix { n, values }
    }

    fn at(&self, i: usize, j: usize) -> f32 {
        self.values[i * self.n + j]
    }
}

/// One binary problem: the dual min ½ αᵀQα − Σα with Q = y yᵀ ∘ K,
/// 0 ≤ α ≤ C, yᵀα = 0, over the training samples `members`.
struct Problem<'a> {
    kernel: &'a KernelMatrix,
    members: &'a [usize],
    y: &'a [f32],
    c: &'a [f32],
}

const TAU: f32 = 1e-12;

impl Problem<'_> {
    fn q(&self, i: usize, j: usize) -> f32 {
        self.y[i] * self.y[j] * self.kernel.at(self.members[i], self.members[j])
    }

    /// The multipliers α and the offset rho.
    fn solve(&self, tolerance: f32) -> (Vec<f32>, f32) {
        let n = self.members.len();
        let mut alpha = vec![0.0f32; n];
        // Gradient of the objective: Qα − 1.
        let mut gradient = vec![-1.0f32; n];
        let max_steps = 100_000.max(100 * n);
        for _ in 0..max_steps {
            let Some((i, j)) = self.working_pair(&alpha, &gradient, tolerance) else {
                break;
            };
            let (old_i, old_j) = (alpha[i], alpha[j]);
            self.step(i, j, &mut alpha, &gradient);
            let (di, dj) = (alpha[i] - old_i, alpha[j] - old_j);
            for (k, g) in gradient.iter_mut().enumerate() {
                *g += self.q(i, k) * di + self.q(j, k) * dj;
            }
        }
        let rho = self.offset(&alpha, &gradient);
        (alpha, rho)
    }

    fn can_rise(&self, t: usize, alpha: &[f32]) -> bool {
        if self.y[t] > 0.0 {
            alpha[t] < self.c[t]
        } else {
            alpha[t] > 0.0
        }
    }

    fn can_fall(&self, t: usize, alpha: &[f32]) -> bool {
        if self.y[t] > 0.0 {
            alpha[t] > 0.0
        } else {
            alpha[t] < self.c[t]
        }
    }

    /// The maximal violating index i, then the j that most decreases the
    /// objective with it (second-order selection); `None` once the largest
    /// violation is under `tolerance`.
    fn working_pair(
        &self,
        alpha: &[f32],
        gradient: &[f32],
        tolerance: f32,
    ) -> Option<(usize, usize)> {
        let (mut g_max, mut i) = (f32::NEG_INFINITY, None);
        for (t, g) in gradient.iter().enumerate() {
            if self.can_rise(t, alpha) && -self.y[t] * g >= g_max {
                g_max = -self.y[t] * g;
                i = Some(t);
            }
        }
        let i = i?;
        let (mut g_min, mut best, mut j) = (f32::INFINITY, f32::INFINITY, None);
        for (t, g) in gradient.iter().enumerate() {
            if !self.can_fall(t, alpha) {
                continue;
            }
            let value = -self.y[t] * g;
            g_min = g_min.min(value);
            let diff = g_max - value;
            if diff > 0.0 {
                // The curvature of the objective along the pair's line.
                let quad = self.kernel.at(self.members[i], self.members[i])
                    + self.kernel.at(self.members[t], self.members[t])
                    - 2.0 * self.kernel.at(self.members[i], self.members[t]);
                let gain = -diff * diff / quad.max(TAU);
                if gain <= best {
                    best = gain;
                    j = Some(t);
                }
            }
        }
        if g_max - g_min < tolerance {
            return None;
        }
        j.map(|j| (i, j))
    }

    /// Moves α_i and α_j along the constraint yᵀα = 0 to the minimum of
    /// the objective on that line, clipped to the box.
    fn step(&self, i: usize, j: usize, alpha: &mut [f32], gradient: &[f32]) {
        let (ci, cj) = (self.c[i], self.c[j]);
        let k = self.kernel.at(self.members[i], self.members[i])
            + self.kernel.at(self.members[j], self.members[j])
            - 2.0 * self.kernel.at(self.members[i], self.members[j]);
        let quad = k.max(TAU);
        if self.y[i] != self.y[j] {
            let delta = (-gradient[i] - gradient[j]) / quad;
            let diff = alpha[i] - alpha[j];
            alpha[i] += delta;
            alpha[j] += delta;
            if diff > 0.0 {
                if alpha[j] < 0.0 {
                    alpha[j] = 0.0;
                    alpha[i] = diff;
                }
            } else if alpha[i] < 0.0 {
                alpha[i] = 0.0;
                alpha[j] = -diff;
            }
            if diff > ci - cj {
                if alpha[i] > ci {
                    alpha[i] = ci;
                    alpha[j] = ci - diff;
                }
            } else if alpha[j] > cj {
                alpha[j] = cj;
                alpha[i] = cj + diff;
            }
        } else {
            let delta = (gradient[i] - gradient[j]) / quad;
            let sum = alpha[i] + alpha[j];
            alpha[i] -= delta;
            alpha[j] += delta;
            if sum > ci {
                if alpha[i] > ci {
                    alpha[i] = ci;
                    alpha[j] = sum - ci;
                }
            } else if alpha[j] < 0.0 {
                alpha[j] = 0.0;
                alpha[i] = sum;
            }
            if sum > cj {
                if alpha[j] > cj {
                    alpha[j] = cj;
                    alpha[i] = sum - cj;
                }
            } else if alpha[i] < 0.0 {
                alpha[i] = 0.0;
                alpha[j] = sum;
            }
        }
    }

    /// rho: the mean of y·∇ over the free multipliers (those strictly inside
    /// the box), or the middle of the feasible interval when none is free.
    fn offset(&self, alpha: &[f32], gradient: &[f32]) -> f32 {
        let (mut upper, mut lower) = (f32::INFINITY, f32::NEG_INFINITY);
        let (mut sum, mut free) = (0.0f32, 0usize);
        for t in 0..alpha.len() {
            let yg = self.y[t] * gradient[t];
            let at_upper = alpha[t] >= self.c[t];
            let at_lower = alpha[t] <= 0.0;
            if at_upper || at_lower {
                // A bound multiplier only brackets rho.
                let bounds_above = (at_upper && self.y[t] < 0.0) || (at_lower && self.y[t] > 0.0);
                if bounds_above {
                    upper = upper.min(yg);
                } else {
                    lower = lower.max(yg);
                }
            } else {
                sum += yg;
                free += 1;
            }
        }
        if free > 0 {
            sum / free as f32
        } else {
            (upper + lower) / 2.0
        }
    }
}

/// Class probabilities from pairwise ones (Wu, Lin and Weng's second
/// method): the p minimising Σᵢ Σⱼ≠ᵢ (rⱼᵢ pᵢ − rᵢⱼ pⱼ)² with Σp = 1, which
/// is a small linear system. Classes without a duel get 0.
fn couple(r: &[[f32; CLASSES]; CLASSES], present: &[bool; CLASSES]) -> [f32; CLASSES] {
    let idx: Vec<usize> = (0..CLASSES).filter(|&k| present[k]).collect();
    let m = idx.len();
    let mut out = [0.0f32; CLASSES];
    if m == 0 {
        return out;
    }
    if m == 1 {
        out[idx[0]] = 1.0;
        return out;
    }
    // [Q 1; 1ᵀ 0] [p; b] = [0; 1].
    let size = m + 1;
    let mut a = vec![vec![0.0f64; size + 1]; size];
    for (u, &i) in idx.iter().enumerate() {
        for (v, &j) in idx.iter().enumerate() {
            a[u][v] = if u == v {
                idx.iter()
                    .filter(|&&k| k != i)
                    .map(|&k| f64::from(r[k][i]).powi(2))
                    .sum()
            } else {
                -f64::from(r[j][i]) * f64::from(r[i][j])
            };
        }
        a[u][m] = 1.0;
        a[m][u] = 1.0;
    }
    a[m][size] = 1.0;
    let p = solve_linear(a);
    let mut total = 0.0f32;
    for (u, &i) in idx.iter().enumerate() {
        out[i] = (p[u] as f32).max(0.0);
        total += out[i];
    }
    if total > 0.0 {
        out.iter_mut().for_each(|v| *v /= total);
    }
    out
}

/// Gaussian elimination with partial pivoting on an augmented matrix.
fn solve_linear(mut a: Vec<Vec<f64>>) -> Vec<f64> {
    let n = a.len();
    for col in 0..n {
        let pivot = (col..n)
            .max_by(|&p, &q| a[p][col].abs().total_cmp(&a[q][col].abs()))
            .unwrap_or(col);
        a.swap(col, pivot);
        let lead = a[col][col];
        if lead.abs() < 1e-12 {
            continue;
        }
        let pivot_row = a[col].clone();
        for (r, row) in a.iter_mut().enumerate() {
            if r != col {
                let factor = row[col] / lead;
                for (v, p) in row.iter_mut().zip(&pivot_row).skip(col) {
                    *v -= factor * p;
                }
            }
        }
    }
    (0..n)
        .map(|i| {
            if a[i][i].abs() < 1e-12 {
                0.0
            } else {
                a[i][n] / a[i][i]
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Three clouds of points, one per class, with a little overlap.
    fn clouds() -> Vec<(Vec<f32>, PatternClass)> {
        let mut state = 7u64;
        let mut noise = || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state >> 40) as f32 / (1u64 << 24) as f32 - 0.5
        };
        let centres = [
            (PatternClass::L, [2.0, 0.0]),
            (PatternClass::R, [-2.0, 0.0]),
            (PatternClass::W, [0.0, 2.5]),
        ];
        centres
            .iter()
            .flat_map(|&(class, [x, y])| {
                (0..40)
                    .map(|_| (vec![x + 2.0 * noise(), y + 2.0 * noise(), noise()], class))
                    .collect::<Vec<_>>()
            })
            .collect()
    }

    #[test]
    fn separates_clouds_and_states_probabilities() {
        let samples = clouds();
        let svm = Svm::train(&samples, &SvmOptions::default());
        assert_eq!(svm.duels.len(), 3, "three classes occur: three duels");
        let right = samples
            .iter()
            .filter(|(f, class)| svm.vote(f) == *class)
            .count();
        assert!(right >= 110, "{right} of 120 training points right");
        let (class, confidence) = svm.decide(&[2.5, 0.2, 0.0]);
        assert_eq!(class, PatternClass::L);
        assert!(
            confidence > 0.8,
            "confidence {confidence} deep in L's cloud"
        );
        let p = svm.predict(&[0.0, 0.8, 0.0]);
        assert!((p.iter().sum::<f32>() - 1.0).abs() < 1e-4);
        assert_eq!(p[PatternClass::A.index()], 0.0, "no arch was trained");
    }

    #[test]
    fn multipliers_stay_in_the_box_and_balance() {
        let samples = clouds();
        let options = SvmOptions::default();
        let svm = Svm::train(&samples, &options);
        let labels: Vec<usize> = samples.iter().map(|s| s.1.index()).collect();
        let c = class_penalties(&labels, &options);
        for duel in &svm.duels {
            // Σ y α = 0, and 0 < α ≤ C of the vector's class.
            let balance: f32 = duel.terms.iter().map(|t| t.1).sum();
            assert!(balance.abs() < 1e-3, "Σ yα = {balance}");
            let largest = c[duel.first].max(c[duel.second]);
            assert!(duel.terms.iter().all(|t| t.1.abs() <= largest + 1e-5));
        }
    }

    #[test]
    fn training_is_deterministic() {
        let samples = clouds();
        let a = Svm::train(&samples, &SvmOptions::default());
        let b = Svm::train(&samples, &SvmOptions::default());
        assert_eq!(a, b);
    }

    #[test]
    fn coupling_follows_a_clear_winner() {
        let mut r = [[0.5f32; CLASSES]; CLASSES];
        // Class 2 beats everyone 9 to 1.
        for k in (0..CLASSES).filter(|&k| k != 2) {
            r[2][k] = 0.9;
            r[k][2] = 0.1;
        }
        let p = couple(&r, &[true; CLASSES]);
        assert!((p.iter().sum::<f32>() - 1.0).abs() < 1e-5);
        assert!(p[2] > 0.6 && p.iter().enumerate().all(|(k, &v)| k == 2 || v < p[2]));
    }
}
