//! A small convolutional network that reads the orientation field itself.
//!
//! The hand-made evidence of [`crate::classify`] (singular points, grids,
//! traced pseudo-ridges) stops at about 90 % on SD14 whatever the learner:
//! each summary throws away where on the print a faint second loop or a
//! delta at the edge of the rolled area lies. This network instead sees
//! the whole ridge-direction field, block by block: three input channels
//! per 8-pixel block (cos 2θ and sin 2θ weighted by the field's coherence,
//! zero off the print, and the foreground itself), four 3 × 3 convolutions
//! each followed by ReLU and 2 × 2 max pooling, then the mean and the
//! maximum of every channel over the print, and one linear layer to the
//! five classes. Batch normalisation is folded into the convolutions when
//! the weights are exported, so only convolutions remain here.
//!
//! It is trained, and measured by cross-validation, outside the engine by
//! `train/field_cnn.py` on the fields this engine computes (`evaluate
//! --dump-field`); the weights ship in `field_net.json`. The print is read
//! twice, as it is and in a mirror (columns reversed, sin 2θ negated, left
//! and right loops swapped back), and the two answers averaged: a left loop
//! in a mirror is a right loop, so both halves of the training serve both.

use std::sync::OnceLock;

use serde::{Deserialize, Serialize};

use crate::classify::PatternClass;
use crate::grid::Grid;
use crate::orientation::OrientationField;

/// Classes in the order of the network's outputs (that of [`crate::classify::PatternClass::ALL`]).
pub const CLASSES: usize = PatternClass::ALL.len();
/// Input channels: cos 2θ · coherence, sin 2θ · coherence, foreground.
pub const INPUTS: usize = 3;

/// One 3 × 3 convolution (padding 1), batch normalisation folded in.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Conv {
    /// Input channels.
    pub inputs: usize,
    /// Output channels.
    pub outputs: usize,
    /// Weights in the exporter's order: `[output][input][row][column]`.
    pub weight: Vec<f32>,
    /// One per output channel.
    pub bias: Vec<f32>,
}

/// The final linear layer over the pooled channels.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Linear {
    /// Inputs (twice the last convolution's channels: mean, then maximum).
    pub inputs: usize,
    /// `[class][input]`.
    pub weight: Vec<f32>,
    /// One per class.
    pub bias: Vec<f32>,
}

/// The network's weights as exported.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FieldNet {
    /// Convolutions, each followed by ReLU and 2 × 2 max pooling.
    pub convs: Vec<Conv>,
    /// The classifier over the pooled channels.
    pub head: Linear,
    /// What the trainer's own forward pass answered for a few SD14 prints,
    /// which this one must reproduce (see the tests).
    #[serde(default)]
    pub checks: Vec<Check>,
}

/// The trainer's answer for one print.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Check {
    /// File name in `sd14-dev`.
    pub file: String,
    /// Class probabilities, order of [`crate::classify::PatternClass::ALL`].
    pub probabilities: Vec<f32>,
}

/// A convolution's weights rearranged for the forward pass:
/// `[kernel row][kernel column][input][output]`, so that the innermost loop
/// runs over contiguous output channels.
#[derive(Debug)]
struct Kernel {
    inputs: usize,
    outputs: usize,
    taps: Vec<f32>,
    bias: Vec<f32>,
}

/// A network ready to run.
#[derive(Debug)]
pub struct Runner {
    kernels: Vec<Kernel>,
    head: Linear,
    checks: Vec<Check>,
}

/// A stack of feature maps, channels innermost (`[row][column][channel]`).
#[derive(Clone, Debug, Default)]
struct Maps {
    cols: usize,
    rows: usize,
    channels: usize,
    data: Vec<f32>,
}

/// Buffers reused from one print to the next.
#[derive(Debug, Default)]
pub struct NetScratch {
    input: Maps,
    a: Maps,
    b: Maps,
}

/// Why a weights file cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum NetError {
    /// Not the JSON of a [`FieldNet`].
    #[error("the network's weights are not valid JSON: {0}")]
    Json(#[from] serde_json::Error),
    /// Sizes that do not fit together.
    #[error("the network's layers do not fit together: {0}")]
    Shape(String),
}

impl Runner {
    /// Checks the layers fit together and rearranges the weights.
    pub fn new(net: FieldNet) -> Result<Runner, NetError> {
        let mut channels = INPUTS;
        let mut kernels = Vec::with_capacity(net.convs.len());
        for (i, conv) in net.convs.into_iter().enumerate() {
            let (n_in, n_out) = (conv.inputs, conv.outputs);
            if n_in != channels || conv.weight.len() != n_out * n_in * 9 || conv.bias.len() != n_out
            {
                return Err(NetError::Shape(format!(
                    "convolution {i}: {n_in} → {n_out} channels, {} weights, {} biases, after {channels} channels",
                    conv.weight.len(),
                    conv.bias.len()
                )));
            }
            let mut taps = vec![0.0; 9 * n_in * n_out];
            for o in 0..n_out {
                for c in 0..n_in {
                    for k in 0..9 {
                        taps[(k * n_in + c) * n_out + o] = conv.weight[(o * n_in + c) * 9 + k];
                    }
                }
            }
            kernels.push(Kernel {
                inputs: n_in,
                outputs: n_out,
                taps,
                bias: conv.bias,
            });
            channels = n_out;
        }
        let head = net.head;
        if head.inputs != 2 * channels
            || head.weight.len() != CLASSES * head.inputs
            || head.bias.len() != CLASSES
        {
            return Err(NetError::Shape(format!(
                "head: {} inputs for {channels} channels, {} weights, {} biases",
                head.inputs,
                head.weight.len(),
                head.bias.len()
            )));
        }
        Ok(Runner {
            kernels,
            head,
            checks: net.checks,
        })
    }

    /// The trainer's answers for a few prints, to check this forward pass by.
    pub fn checks(&self) -> &[Check] {
        &self.checks
    }

    /// Reads exported weights (JSON).
    pub fn from_json(text: &str) -> Result<Runner, NetError> {
        Runner::new(serde_json::from_str(text)?)
    }

    /// Class probabilities (order of [`crate::classify::PatternClass::ALL`])
    /// for the ridge-direction `field` and foreground `mask`: the mean of
    /// the print's and its mirror image's answers.
    pub fn predict(
        &self,
        field: &OrientationField,
        mask: &Grid<u8>,
        scratch: &mut NetScratch,
    ) -> [f32; CLASSES] {
        fill_input(field, mask, false, &mut scratch.input);
        let direct = self.forward(scratch);
        fill_input(field, mask, true, &mut scratch.input);
        let mirrored = self.forward(scratch);
        // In the mirror a left loop is a right loop: read each class's
        // answer from its mirror image's place.
        std::array::from_fn(|k| {
            let seen_as = PatternClass::ALL[k].mirrored().index();
            0.5 * (direct[k] + mirrored[seen_as])
        })
    }

    /// One pass over `scratch.input`: softmax probabilities.
    fn forward(&self, scratch: &mut NetScratch) -> [f32; CLASSES] {
        let NetScratch { input, a, b } = scratch;
        // Each convolution writes `a`, each pooling `b`, which the next
        // convolution reads.
        for (i, kernel) in self.kernels.iter().enumerate() {
            convolve(if i == 0 { input } else { b }, kernel, a);
            pool(a, b);
        }
        let pooled = mean_and_max(if self.kernels.is_empty() { input } else { b });
        let head = &self.head;
        let logits: [f32; CLASSES] = std::array::from_fn(|k| {
            let w = &head.weight[k * head.inputs..(k + 1) * head.inputs];
            head.bias[k] + w.iter().zip(&pooled).map(|(w, x)| w * x).sum::<f32>()
        });
        softmax(logits)
    }
}

/// The network's input for one print, optionally seen in a mirror.
fn fill_input(field: &OrientationField, mask: &Grid<u8>, mirror: bool, out: &mut Maps) {
    let (cols, rows) = (
        mask.cols.min(field.cos2.cols),
        mask.rows.min(field.cos2.rows),
    );
    out.reset(cols, rows, INPUTS);
    for r in 0..rows {
        for c in 0..cols {
            let src = if mirror { cols - 1 - c } else { c };
            if mask.get(src, r) == 0 {
                continue;
            }
            let w = field.coherence.get(src, r);
            let sin = field.sin2.get(src, r) * w;
            let i = (r * cols + c) * INPUTS;
            out.data[i] = field.cos2.get(src, r) * w;
            out.data[i + 1] = if mirror { -sin } else { sin };
            out.data[i + 2] = 1.0;
        }
    }
}

impl Maps {
    fn reset(&mut self, cols: usize, rows: usize, channels: usize) {
        self.cols = cols;
        self.rows = rows;
        self.channels = channels;
        self.data.clear();
        self.data.resize(cols * rows * channels, 0.0);
    }
}

/// 3 × 3 convolution with zero padding, then ReLU.
fn convolve(input: &Maps, kernel: &Kernel, out: &mut Maps) {
    let (cols, rows) = (input.cols, input.rows);
    let (n_in, n_out) = (kernel.inputs, kernel.outputs);
    debug_assert_eq!(input.channels, n_in);
    out.reset(cols, rows, n_out);
    for r in 0..rows {
        for c in 0..cols {
            let acc = &mut out.data[(r * cols + c) * n_out..][..n_out];
            acc.copy_from_slice(&kernel.bias);
            for kr in 0..3 {
                let Some(sr) = (r + kr).checked_sub(1).filter(|&sr| sr < rows) else {
                    continue;
                };
                for kc in 0..3 {
                    let Some(sc) = (c + kc).checked_sub(1).filter(|&sc| sc < cols) else {
                        continue;
                    };
                    let pixel = &input.data[(sr * cols + sc) * n_in..][..n_in];
                    let taps = &kernel.taps[(kr * 3 + kc) * n_in * n_out..][..n_in * n_out];
                    for (&v, row) in pixel.iter().zip(taps.chunks_exact(n_out)) {
                        // After a ReLU most inputs are zero: skip them.
                        if v != 0.0 {
                            for (a, w) in acc.iter_mut().zip(row) {
                                *a += v * w;
                            }
                        }
                    }
                }
            }
            for a in acc.iter_mut() {
                *a = a.max(0.0);
            }
        }
    }
}

/// 2 × 2 max pooling, stride 2, a last odd row or column dropped.
fn pool(input: &Maps, out: &mut Maps) {
    let (cols, rows, n) = (input.cols / 2, input.rows / 2, input.channels);
    out.reset(cols, rows, n);
    for r in 0..rows {
        for c in 0..cols {
            let dst = &mut out.data[(r * cols + c) * n..][..n];
            for (dr, dc) in [(0, 0), (0, 1), (1, 0), (1, 1)] {
                let src = &input.data[((2 * r + dr) * input.cols + 2 * c + dc) * n..][..n];
                for (d, &s) in dst.iter_mut().zip(src) {
                    // Inputs are ReLU outputs (≥ 0), so 0 starts the maximum.
                    *d = d.max(s);
                }
            }
        }
    }
}

/// Every channel's mean over the map, then every channel's maximum.
fn mean_and_max(maps: &Maps) -> Vec<f32> {
    let n = maps.channels;
    let mut mean = vec![0.0f32; n];
    let mut max = vec![f32::NEG_INFINITY; n];
    for pixel in maps.data.chunks_exact(n) {
        for k in 0..n {
            mean[k] += pixel[k];
            max[k] = max[k].max(pixel[k]);
        }
    }
    let cells = (maps.cols * maps.rows).max(1) as f32;
    for (k, m) in max.iter_mut().enumerate() {
        mean[k] /= cells;
        if !m.is_finite() {
            *m = 0.0;
        }
    }
    mean.extend(max);
    mean
}

fn softmax(logits: [f32; CLASSES]) -> [f32; CLASSES] {
    let top = logits.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let exp = logits.map(|l| (l - top).exp());
    let sum: f32 = exp.iter().sum();
    exp.map(|e| e / sum)
}

/// The shipped network (`field_net.json`), read once.
pub fn shipped() -> Option<&'static Runner> {
    static NET: OnceLock<Option<Runner>> = OnceLock::new();
    NET.get_or_init(|| Runner::from_json(include_str!("field_net.json")).ok())
        .as_ref()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A `cols` × `rows` field of horizontal ridges, all foreground.
    fn level_field(cols: usize, rows: usize) -> (OrientationField, Grid<u8>) {
        let field = OrientationField {
            block: 8,
            cos2: Grid {
                cols,
                rows,
                data: vec![1.0; cols * rows],
            },
            sin2: Grid::new(cols, rows),
            coherence: Grid {
                cols,
                rows,
                data: vec![1.0; cols * rows],
            },
        };
        let mask = Grid {
            cols,
            rows,
            data: vec![1; cols * rows],
        };
        (field, mask)
    }

    /// One convolution: channel 0 copies cos 2θ (centre tap); channel 1
    /// counts the foreground cells round each cell, less 5.
    fn tiny_network() -> FieldNet {
        let mut weight = vec![0.0; 2 * INPUTS * 9];
        weight[4] = 1.0;
        for k in 0..9 {
            weight[(INPUTS + 2) * 9 + k] = 1.0;
        }
        let mut head = vec![0.0; CLASSES * 4];
        head[0] = 1.0; // class A reads channel 0's mean
        head[4 + 1] = 1.0; // class T reads channel 1's mean
        FieldNet {
            convs: vec![Conv {
                inputs: INPUTS,
                outputs: 2,
                weight,
                bias: vec![0.0, -5.0],
            }],
            head: Linear {
                inputs: 4,
                weight: head,
                bias: vec![0.0; CLASSES],
            },
            checks: Vec::new(),
        }
    }

    #[test]
    fn forward_pass_computes_what_the_layers_say() {
        let runner = Runner::new(tiny_network()).expect("layers fit");
        let (field, mask) = level_field(4, 4);
        let p = runner.predict(&field, &mask, &mut NetScratch::default());
        // Channel 0 is 1 everywhere. Channel 1 is 0 at the corners (4 − 5,
        // cut by the ReLU), 1 on the edges and 4 inside; each 2 × 2 pool
        // holds one inner cell, so both its mean and maximum are 4. Logits
        // (1, 4, 0, 0, 0); the mirror image is the same field.
        let e = [1f32.exp(), 4f32.exp(), 1.0, 1.0, 1.0];
        let sum: f32 = e.iter().sum();
        for (got, want) in p.iter().zip(e.map(|v| v / sum)) {
            assert!((got - want).abs() < 1e-6, "{p:?}");
        }
    }

    #[test]
    fn layers_that_do_not_fit_are_refused_with_the_reason() {
        let mut net = tiny_network();
        net.convs[0].inputs = 4;
        let err = Runner::new(net).unwrap_err().to_string();
        assert!(err.contains("convolution 0"), "{err}");
        let mut net = tiny_network();
        net.head.bias.pop();
        let err = Runner::new(net).unwrap_err().to_string();
        assert!(err.contains("head"), "{err}");
        assert!(Runner::from_json("{").is_err());
    }

    #[test]
    fn a_mirrored_print_gets_left_and_right_swapped() {
        let runner = shipped().expect("field_net.json loads");
        // A loop-like field: ridges turning round a point left of centre.
        let (cols, rows) = (24, 20);
        let (mut field, mask) = level_field(cols, rows);
        for r in 0..rows {
            for c in 0..cols {
                let (dx, dy) = (c as f32 - 9.0, r as f32 - 8.0);
                let phi = 2.0 * dy.atan2(dx) + 0.3;
                field.cos2.set(c, r, phi.cos());
                field.sin2.set(c, r, phi.sin());
            }
        }
        let mut mirrored = field.clone();
        for r in 0..rows {
            for c in 0..cols {
                mirrored.cos2.set(c, r, field.cos2.get(cols - 1 - c, r));
                mirrored.sin2.set(c, r, -field.sin2.get(cols - 1 - c, r));
            }
        }
        let mut scratch = NetScratch::default();
        let p = runner.predict(&field, &mask, &mut scratch);
        let q = runner.predict(&mirrored, &mask, &mut scratch);
        for (a, b) in [(0, 0), (1, 1), (2, 3), (3, 2), (4, 4)] {
            assert!((p[a] - q[b]).abs() < 1e-5, "{p:?} against {q:?}");
        }
        assert!((p.iter().sum::<f32>() - 1.0).abs() < 1e-5);
    }

    #[test]
    fn a_field_smaller_than_the_pooling_still_gets_probabilities() {
        // Four poolings halve a 3 × 2 field to nothing: the answer must
        // still be a distribution, not NaN.
        let runner = shipped().expect("field_net.json loads");
        for (cols, rows) in [(3, 2), (1, 1), (0, 0)] {
            let (field, mask) = level_field(cols, rows);
            let p = runner.predict(&field, &mask, &mut NetScratch::default());
            assert!(p.iter().all(|v| v.is_finite() && *v >= 0.0), "{p:?}");
            assert!((p.iter().sum::<f32>() - 1.0).abs() < 1e-5, "{p:?}");
        }
    }

    #[test]
    fn shipped_network_loads_with_its_checks() {
        let runner = shipped().expect("field_net.json parses and its layers fit");
        assert_eq!(runner.kernels.len(), 4);
        assert!(
            !runner.checks().is_empty(),
            "the trainer's answers to check against"
        );
    }
}
