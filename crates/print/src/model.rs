//! The class models over the features. The engine asks a [`Classifier`]:
//! the shipped one is the support-vector classifier of [`crate::svm`],
//! whose probabilities [`Classifier::probabilities`] mixes with the field
//! network's ([`crate::field_net`], trained outside by
//! `train/field_cnn.py`); the feature network below is kept to compare
//! against (`evaluate --learner mlp`).
//!
//! The network: a small neural network (one hidden layer of tanh units,
//! softmax output) over standardised features, trained by full-batch Adam
//! with an L2 penalty, the classes weighted so that the rare ones (arches,
//! tented arches) are not drowned by the loops.
//!
//! The shipped classifier (`model.json`) is trained on all labelled SD14
//! development prints by `cargo run --release -p vantay-print --example
//! evaluate -- --write-model`, which also reports its k-fold accuracy.

use std::sync::OnceLock;

use serde::{Deserialize, Serialize};

use crate::classify::PatternClass;
use crate::svm::Svm;

const CLASSES: usize = PatternClass::ALL.len();

/// A trained model.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Model {
    /// Mean of each feature over the training set.
    pub mean: Vec<f32>,
    /// 1 / standard deviation of each feature (0 for a constant feature).
    pub inv_std: Vec<f32>,
    /// Hidden units: one weight per feature, then the bias.
    pub hidden: Vec<Vec<f32>>,
    /// Per class: one weight per hidden unit, then the bias.
    pub output: Vec<Vec<f32>>,
}

/// How to train a [`Model`].
#[derive(Clone, Debug)]
pub struct TrainOptions {
    /// Hidden units.
    pub hidden: usize,
    /// L2 penalty on the weights.
    pub l2: f32,
    /// Adam steps over the whole set.
    pub iterations: usize,
    /// Adam step size.
    pub learning_rate: f32,
    /// Seed of the initial weights.
    pub seed: u64,
    /// Each class weighs 1 / share^power: 0.5 (the default) lifts the rare
    /// classes without letting 15 arches dominate; 1 weighs every class
    /// equally, as the mean per-class recall does.
    pub class_weight_power: f32,
}

impl Default for TrainOptions {
    fn default() -> Self {
        TrainOptions {
            hidden: 16,
            l2: 0.001,
            iterations: 300,
            learning_rate: 0.01,
            seed: 1,
            class_weight_power: 0.5,
        }
    }
}

/// A trained learner that names a print's class.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Classifier {
    /// The network of this module.
    Network(Model),
    /// One-versus-one support-vector machines ([`crate::svm`]).
    SupportVectors(Svm),
}

/// How the machines' and the field network's probabilities become one
/// answer: their weighted mean, sharpened so that the stated confidence
/// matches how often the class is right.
///
/// No weight per class: weighing arches and tented arches up in the
/// decision looked worth 1.8 points of mean recall when chosen on one fold
/// split, but nothing once each fold's weights were chosen without its own
/// prints (`train/mix_study.py`, docs/benchmarks/print.md, eighth round).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Mix {
    /// The network's share of the mean (`evaluate --network-weight`; chosen
    /// on the cross-validation folds from 0.5, 0.7 and 1, and kept when the
    /// network read more planes: 0.6–0.9 all within a few tenths).
    pub network_weight: f32,
    /// Power applied to the mean (`evaluate --sharpness`; chosen on the
    /// folds by the calibration error, as the machines' slope was: from
    /// 1.5, 2, 2.5 and 3 at first, then from 1.25, 1.5, 1.75 and 2 once the
    /// network read more planes).
    pub sharpness: f32,
}

impl Mix {
    /// The combination the engine uses.
    pub const SHIPPED: Mix = Mix {
        network_weight: 0.7,
        sharpness: 1.75,
    };

    /// The combined probabilities. The mean of two models is less sure than
    /// either (and the network is trained with smoothed labels), so it
    /// understates how often it is right; the power restores that without
    /// changing which class is largest.
    pub fn apply(&self, own: &[f32; CLASSES], network: &[f32; CLASSES]) -> [f32; CLASSES] {
        let w = self.network_weight;
        sharpen(
            &std::array::from_fn(|k| w * network[k] + (1.0 - w) * own[k]),
            self.sharpness,
        )
    }

    /// What the finger and card priors weigh where the network read the
    /// print: the network's probabilities alone, sharpened as the mix is.
    ///
    /// The priors move only the prints the answer is unsure of, and the
    /// machines' share in the mix makes it sure where the network alone is
    /// not, so it hides from the priors what they could mend. Measured on
    /// whole-card folds (docs/benchmarks/print.md, sixteenth round; the
    /// choice made on splits 0 and 1, checked on split 2): with the card,
    /// 94.7 / 89.8 % (overall / mean per-class recall, 3 splits pooled)
    /// on the network alone against 93.7 / 87.8 on the mix; with the finger
    /// alone 94.3 / 89.0 against 93.4 / 86.2. Without a prior the mix stays
    /// the better (93.7 against 93.1 overall).
    pub fn for_priors(&self, network: &[f32; CLASSES]) -> [f32; CLASSES] {
        sharpen(network, self.sharpness)
    }
}

/// `p` raised to `power` and normalised to sum to 1 again.
fn sharpen(p: &[f32; CLASSES], power: f32) -> [f32; CLASSES] {
    let sharpened = p.map(|x| x.max(0.0).powf(power));
    let sum = sharpened.iter().sum::<f32>().max(f32::MIN_POSITIVE);
    sharpened.map(|x| x / sum)
}

impl Classifier {
    /// The class probabilities from the features and, where the field
    /// network ([`crate::field_net`]) read the print, its probabilities too,
    /// the two combined ([`Mix::SHIPPED`]).
    pub fn probabilities(
        &self,
        features: &[f32],
        network: Option<&[f32; CLASSES]>,
    ) -> [f32; CLASSES] {
        let own = match self {
            Classifier::Network(model) => model.predict(features),
            Classifier::SupportVectors(svm) => svm.predict(features),
        };
        match network {
            Some(net) => Mix::SHIPPED.apply(&own, net),
            None => own,
        }
    }

    /// The class and the probability the classifier gives it.
    pub fn decide(&self, features: &[f32]) -> (PatternClass, f32) {
        self.decide_and_predict(features).0
    }

    /// [`Self::decide`] and the classifier's own probabilities, from one
    /// evaluation of the model.
    pub fn decide_and_predict(&self, features: &[f32]) -> ((PatternClass, f32), [f32; CLASSES]) {
        match self {
            Classifier::Network(model) => {
                let probabilities = model.predict(features);
                (most_likely(&probabilities), probabilities)
            }
            Classifier::SupportVectors(svm) => svm.decide_and_predict(features),
        }
    }
}

/// `probabilities` times `weights`, summing to 1 again; as they are with
/// no weights, or where the weights leave nothing of them.
pub fn weigh(probabilities: &[f32; CLASSES], weights: Option<&[f32; CLASSES]>) -> [f32; CLASSES] {
    let Some(weights) = weights else {
        return *probabilities;
    };
    let weighed: [f32; CLASSES] = std::array::from_fn(|k| probabilities[k] * weights[k]);
    let sum = weighed.iter().sum::<f32>();
    if sum > 0.0 && sum.is_finite() {
        weighed.map(|p| p / sum)
    } else {
        *probabilities
    }
}

/// The most probable class and its probability.
pub fn most_likely(p: &[f32; CLASSES]) -> (PatternClass, f32) {
    let best = (0..CLASSES)
        .max_by(|&a, &b| p[a].total_cmp(&p[b]))
        .unwrap_or(0);
    (PatternClass::ALL[best], p[best])
}

/// The classifier shipped with the crate.
pub fn shipped() -> Option<&'static Classifier> {
    static MODEL: OnceLock<Option<Classifier>> = OnceLock::new();
    MODEL
        .get_or_init(|| serde_json::from_str(include_str!("model.json")).ok())
        .as_ref()
}

impl Model {
    /// Class probabilities, in [`PatternClass::ALL`] order.
    pub fn predict(&self, features: &[f32]) -> [f32; CLASSES] {
        let x = self.standardise(features);
        let h = hidden_layer(&self.hidden, &x);
        output_layer(&self.output, &h)
    }

    fn standardise(&self, features: &[f32]) -> Vec<f32> {
        features
            .iter()
            .zip(&self.mean)
            .zip(&self.inv_std)
            .map(|((v, m), s)| (v - m) * s)
            .collect()
    }

    /// Trains on `(features, class)` samples.
    pub fn train(samples: &[(Vec<f32>, PatternClass)], options: &TrainOptions) -> Model {
        let dims = samples.first().map_or(0, |s| s.0.len());
        let (mean, inv_std) = standardisation(samples, dims);
        let mut rng = options.seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
        let mut random = |scale: f32| {
            rng ^= rng << 13;
            rng ^= rng >> 7;
            rng ^= rng << 17;
            ((rng >> 40) as f32 / (1u64 << 24) as f32 - 0.5) * 2.0 * scale
        };
        let h_scale = 1.0 / (dims as f32).sqrt();
        let hidden: Vec<Vec<f32>> = (0..options.hidden)
            .map(|_| (0..=dims).map(|_| random(h_scale)).collect())
            .collect();
        let o_scale = 1.0 / (options.hidden as f32).sqrt();
        let output: Vec<Vec<f32>> = (0..CLASSES)
            .map(|_| (0..=options.hidden).map(|_| random(o_scale)).collect())
            .collect();
        let mut model = Model {
            mean,
            inv_std,
            hidden,
            output,
        };
        let xs: Vec<Vec<f32>> = samples.iter().map(|(f, _)| model.standardise(f)).collect();
        let weights = sample_weights(samples, options.class_weight_power);
        let mut adam = Adam::new(&model);
        for step in 1..=options.iterations {
            let (gh, go) = gradients(&model, &xs, samples, &weights, options.l2);
            adam.step(&mut model, &gh, &go, options.learning_rate, step);
        }
        model
    }
}

fn hidden_layer(hidden: &[Vec<f32>], x: &[f32]) -> Vec<f32> {
    hidden
        .iter()
        .map(|w| (w[x.len()] + w.iter().zip(x).map(|(a, b)| a * b).sum::<f32>()).tanh())
        .collect()
}

fn output_layer(output: &[Vec<f32>], h: &[f32]) -> [f32; CLASSES] {
    let mut logits = [0.0f32; CLASSES];
    for (k, w) in output.iter().enumerate() {
        logits[k] = w[h.len()] + w.iter().zip(h).map(|(a, b)| a * b).sum::<f32>();
    }
    let max = logits.iter().copied().fold(f32::MIN, f32::max);
    let mut sum = 0.0;
    for v in logits.iter_mut() {
        *v = (*v - max).exp();
        sum += *v;
    }
    logits.iter_mut().for_each(|v| *v /= sum);
    logits
}

type Layer = Vec<Vec<f32>>;

/// Gradients of the weighted cross-entropy plus the L2 penalty.
fn gradients(
    model: &Model,
    xs: &[Vec<f32>],
    samples: &[(Vec<f32>, PatternClass)],
    weights: &[f32],
    l2: f32,
) -> (Layer, Layer) {
    let mut gh: Layer = model.hidden.iter().map(|w| vec![0.0; w.len()]).collect();
    let mut go: Layer = model.output.iter().map(|w| vec![0.0; w.len()]).collect();
    let n_hidden = model.hidden.len();
    let mut delta_h = vec![0.0f32; n_hidden];
    for ((x, (_, class)), &weight) in xs.iter().zip(samples).zip(weights) {
        let h = hidden_layer(&model.hidden, x);
        let p = output_layer(&model.output, &h);
        delta_h.iter_mut().for_each(|d| *d = 0.0);
        for k in 0..CLASSES {
            let err = (p[k] - f32::from(k == class.index())) * weight;
            for j in 0..n_hidden {
                go[k][j] += err * h[j];
                delta_h[j] += err * model.output[k][j];
            }
            go[k][n_hidden] += err;
        }
        for j in 0..n_hidden {
            let d = delta_h[j] * (1.0 - h[j] * h[j]);
            for (g, v) in gh[j].iter_mut().zip(x) {
                *g += d * v;
            }
            gh[j][x.len()] += d;
        }
    }
    add_penalty(&mut gh, &model.hidden, l2);
    add_penalty(&mut go, &model.output, l2);
    (gh, go)
}

/// L2 on the weights, not on the biases (the last entry of each row).
fn add_penalty(gradient: &mut Layer, weights: &Layer, l2: f32) {
    for (g, w) in gradient.iter_mut().zip(weights) {
        let last = w.len() - 1;
        for j in 0..last {
            g[j] += l2 * w[j];
        }
    }
}

struct Adam {
    m: (Layer, Layer),
    v: (Layer, Layer),
}

impl Adam {
    fn new(model: &Model) -> Adam {
        let zeros = |l: &Layer| -> Layer { l.iter().map(|w| vec![0.0; w.len()]).collect() };
        Adam {
            m: (zeros(&model.hidden), zeros(&model.output)),
            v: (zeros(&model.hidden), zeros(&model.output)),
        }
    }

    fn step(&mut self, model: &mut Model, gh: &Layer, go: &Layer, rate: f32, t: usize) {
        let (b1, b2) = (0.9f32, 0.999f32);
        let c1 = 1.0 - b1.powi(t as i32);
        let c2 = 1.0 - b2.powi(t as i32);
        let update = |w: &mut Layer, g: &Layer, m: &mut Layer, v: &mut Layer| {
            for i in 0..w.len() {
                for j in 0..w[i].len() {
                    m[i][j] = b1 * m[i][j] + (1.0 - b1) * g[i][j];
                    v[i][j] = b2 * v[i][j] + (1.0 - b2) * g[i][j] * g[i][j];
                    w[i][j] -= rate * (m[i][j] / c1) / ((v[i][j] / c2).sqrt() + 1e-8);
                }
            }
        };
        update(&mut model.hidden, gh, &mut self.m.0, &mut self.v.0);
        update(&mut model.output, go, &mut self.m.1, &mut self.v.1);
    }
}

pub(crate) fn standardisation(
    samples: &[(Vec<f32>, PatternClass)],
    dims: usize,
) -> (Vec<f32>, Vec<f32>) {
    let n = samples.len().max(1) as f32;
    let mut mean = vec![0.0f32; dims];
    for (f, _) in samples {
        mean.iter_mut().zip(f).for_each(|(m, v)| *m += v / n);
    }
    let mut var = vec![0.0f32; dims];
    for (f, _) in samples {
        var.iter_mut()
            .zip(f.iter().zip(&mean))
            .for_each(|(s, (v, m))| *s += (v - m) * (v - m) / n);
    }
    let inv_std = var
        .iter()
        .map(|v| if *v > 1e-8 { 1.0 / v.sqrt() } else { 0.0 })
        .collect();
    (mean, inv_std)
}

/// Weight of each sample: its class weighs 1 / (class share)^`power`
/// (√ by default), so rare classes count more without being overfitted;
/// weights sum to 1.
fn sample_weights(samples: &[(Vec<f32>, PatternClass)], power: f32) -> Vec<f32> {
    let mut counts = [0usize; CLASSES];
    samples.iter().for_each(|s| counts[s.1.index()] += 1);
    let per_class: Vec<f32> = counts
        .iter()
        .map(|&c| match c {
            0 => 0.0,
            // The square root exactly as before, so that the default
            // reproduces the shipped model bit for bit.
            _ if (power - 0.5).abs() < f32::EPSILON => 1.0 / (c as f32).sqrt(),
            _ => (c as f32).powf(-power),
        })
        .collect();
    let total: f32 = samples.iter().map(|s| per_class[s.1.index()]).sum();
    samples
        .iter()
        .map(|s| per_class[s.1.index()] / total)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mixing_weighs_the_network_and_sharpening_keeps_the_class() {
        let own = [0.1, 0.1, 0.6, 0.1, 0.1];
        let net = [0.05, 0.05, 0.1, 0.1, 0.7];
        let plain = |network_weight| Mix {
            network_weight,
            sharpness: 1.0,
        };
        // The network's share decides between L (the machines') and W.
        let (class, _) = most_likely(&plain(0.7).apply(&own, &net));
        assert_eq!(class, PatternClass::W);
        let (class, _) = most_likely(&plain(0.3).apply(&own, &net));
        assert_eq!(class, PatternClass::L);
        // Sharpening keeps the order and the total, and raises the top.
        let unsharpened = plain(0.7).apply(&own, &net);
        let sharp = Mix {
            sharpness: 1.75,
            ..plain(0.7)
        }
        .apply(&own, &net);
        assert!((sharp.iter().sum::<f32>() - 1.0).abs() < 1e-6);
        assert_eq!(most_likely(&sharp).0, most_likely(&unsharpened).0);
        assert!(most_likely(&sharp).1 > most_likely(&unsharpened).1);
    }

    #[test]
    fn the_priors_weigh_the_network_alone_sharpened_as_the_mix() {
        let own = [0.1, 0.1, 0.6, 0.1, 0.1];
        let net = [0.05, 0.05, 0.1, 0.1, 0.7];
        let for_priors = Mix::SHIPPED.for_priors(&net);
        // The machines' L does not reach it: the network alone, at the
        // mix's sharpness.
        let alone = Mix {
            network_weight: 1.0,
            ..Mix::SHIPPED
        }
        .apply(&own, &net);
        for (a, b) in for_priors.iter().zip(alone) {
            assert!((a - b).abs() < 1e-6);
        }
        assert!((for_priors.iter().sum::<f32>() - 1.0).abs() < 1e-6);
        assert!(for_priors[4] > net[4], "sharpened: the top rises");
        assert_eq!(most_likely(&for_priors).0, PatternClass::W);
    }

    #[test]
    fn shipped_classifier_loads_and_reads_the_shipped_features() {
        // A model.json the engine cannot read would silently fall back to
        // the rules on singular points: make that a failing test instead.
        let shipped = shipped().expect("src/model.json parses as a Classifier");
        let Classifier::SupportVectors(svm) = shipped else {
            panic!("the shipped classifier is the support-vector one");
        };
        assert_eq!(svm.mean.len(), crate::classify::FEATURES);
        assert!(svm
            .vectors
            .iter()
            .all(|v| v.len() == crate::classify::FEATURES));
        assert_eq!(svm.duels.len(), 10, "one duel per pair of the 5 classes");
    }
}
