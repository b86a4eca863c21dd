//! A small convolutional network that reads the orientation field itself.
//!
//! The hand-made evidence of [`crate::classify`] (singular points, grids,
//! traced pseudo-ridges) stops at about 90 % on SD14 whatever the learner:
//! each summary throws away where on the print a faint second loop or a
//! delta at the edge of the rolled area lies. This network instead sees
//! the whole print block by block (one cell per 8-pixel block): the planes
//! its weights file names (see [`Planes`]: the ridge-direction field and
//! the foreground, and optionally the unsmoothed block field, the singular
//! points' smoother field, the gradient energy and the grey level), four
//! 3 × 3 convolutions each followed by ReLU and 2 × 2 max pooling, then the
//! mean and the maximum of every channel over the print, and one linear
//! layer to the five classes. Batch normalisation is folded into the
//! convolutions when the weights are exported, so only convolutions remain
//! here.
//!
//! It is trained, and measured by cross-validation, outside the engine by
//! `train/field_cnn.py` on the fields this engine computes (`evaluate
//! --dump-field`); the weights ship in `field_net.json`. The print is read
//! twice, as it is and in a mirror (columns reversed, every sin 2θ negated,
//! left and right loops swapped back), and the two answers averaged: a left
//! loop in a mirror is a right loop, so both halves of the training serve
//! both.

use std::sync::OnceLock;

use ndarray::linalg::general_mat_mul;
use ndarray::{ArrayView2, ArrayViewMut2};
use serde::{Deserialize, Serialize};

use crate::classify::PatternClass;
use crate::grid::Grid;
use crate::normalize::BlockStats;
use crate::orientation::{BlockTensors, OrientationField};

/// Classes in the order of the network's outputs (that of [`crate::classify::PatternClass::ALL`]).
pub const CLASSES: usize = PatternClass::ALL.len();

/// A group of input planes, each a value per block, zero off the print.
/// The trainer (`field_cnn.py --inputs`) names them the same way.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Planes {
    /// The ridge-direction field, cos 2θ and sin 2θ weighted by its
    /// coherence, and the foreground (1 on the print).
    Base,
    /// Each block's own doubled-angle vector over its gradient energy,
    /// before any smoothing (a faint or small loop the smoothing averages
    /// away is still there).
    Raw,
    /// The singular points' smoother field, cos 2θ and sin 2θ weighted by
    /// its coherence.
    Coarse,
    /// ln(1 + mean squared gradient), standardised: how clearly ridges
    /// show.
    Energy,
    /// Mean grey (0–1), standardised: over-inked and faint patches.
    Grey,
}

impl Planes {
    /// Channels this group adds.
    pub fn channels(self) -> usize {
        match self {
            Planes::Base => 3,
            Planes::Raw | Planes::Coarse => 2,
            Planes::Energy | Planes::Grey => 1,
        }
    }
}

/// One group of planes as the network reads it, with the centring and
/// scale the trainer measured on the foreground of the training prints
/// (used by the one-plane groups only).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Input {
    /// Which planes.
    pub planes: Planes,
    /// Subtracted before scaling.
    #[serde(default)]
    pub mean: f32,
    /// Divided by after centring.
    #[serde(default = "unit")]
    pub sd: f32,
}

fn unit() -> f32 {
    1.0
}

/// What an earlier weights file without `inputs` was trained on.
fn base_only() -> Vec<Input> {
    vec![Input {
        planes: Planes::Base,
        mean: 0.0,
        sd: 1.0,
    }]
}

/// What the network may read of one print, every grid on the same blocks.
#[derive(Clone, Copy, Debug)]
pub struct FieldInput<'a> {
    /// The ridge-direction field.
    pub field: &'a OrientationField,
    /// The singular points' smoother field.
    pub coarse: &'a OrientationField,
    /// The structure tensors before smoothing.
    pub tensors: &'a BlockTensors,
    /// Grey mean and contrast per block.
    pub stats: &'a BlockStats,
    /// The foreground.
    pub mask: &'a Grid<u8>,
}

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
    /// The input planes, in the order of the first convolution's channels.
    #[serde(default = "base_only")]
    pub inputs: Vec<Input>,
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

/// A convolution's weights rearranged for the forward pass: the
/// `(9 × inputs) × outputs` matrix of [`convolve`]'s product, row-major,
/// its rows in the order of a patch (`[kernel row][kernel column][input]`).
#[derive(Debug)]
struct Kernel {
    inputs: usize,
    outputs: usize,
    taps: Vec<f32>,
    bias: Vec<f32>,
}

impl Kernel {
    /// Rearranges a convolution whose sizes were checked.
    fn from_conv(conv: Conv) -> Kernel {
        let (n_in, n_out) = (conv.inputs, conv.outputs);
        let mut taps = vec![0.0; 9 * n_in * n_out];
        for o in 0..n_out {
            for c in 0..n_in {
                for k in 0..9 {
                    taps[(k * n_in + c) * n_out + o] = conv.weight[(o * n_in + c) * 9 + k];
                }
            }
        }
        Kernel {
            inputs: n_in,
            outputs: n_out,
            taps,
            bias: conv.bias,
        }
    }
}

/// A network ready to run.
#[derive(Debug)]
pub struct Runner {
    inputs: Vec<Input>,
    channels: usize,
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
    patches: Vec<f32>,
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
        if net.inputs.is_empty() {
            return Err(NetError::Shape("no input planes".into()));
        }
        if let Some(bad) = net
            .inputs
            .iter()
            .find(|i| !(i.sd.is_finite() && i.sd > 0.0))
        {
            return Err(NetError::Shape(format!(
                "input {:?}: scale {} is not a positive number",
                bad.planes, bad.sd
            )));
        }
        let inputs_channels = net.inputs.iter().map(|i| i.planes.channels()).sum();
        let mut channels = inputs_channels;
        let mut kernels = Vec::with_capacity(net.convs.len());
        for (i, conv) in net.convs.into_iter().enumerate() {
            let (n_in, n_out) = (conv.inputs, conv.outputs);
            if n_in != channels
                || n_in == 0
                || n_out == 0
                || conv.weight.len() != n_out * n_in * 9
                || conv.bias.len() != n_out
            {
                return Err(NetError::Shape(format!(
                    "convolution {i}: {n_in} → {n_out} channels, {} weights, {} biases, after {channels} channels",
                    conv.weight.len(),
                    conv.bias.len()
                )));
            }
            kernels.push(Kernel::from_conv(conv));
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
            inputs: net.inputs,
            channels: inputs_channels,
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
    /// for one print: the mean of the print's and its mirror image's answers.
    pub fn predict(&self, input: &FieldInput, scratch: &mut NetScratch) -> [f32; CLASSES] {
        self.fill_input(input, false, &mut scratch.input);
        let direct = self.forward(scratch);
        self.fill_input(input, true, &mut scratch.input);
        let mirrored = self.forward(scratch);
        // In the mirror a left loop is a right loop: read each class's
        // answer from its mirror image's place.
        std::array::from_fn(|k| {
            let seen_as = PatternClass::ALL[k].mirrored().index();
            0.5 * (direct[k] + mirrored[seen_as])
        })
    }

    /// The network's input planes for one print, optionally seen in a
    /// mirror (columns reversed, every sin 2θ negated).
    fn fill_input(&self, input: &FieldInput, mirror: bool, out: &mut Maps) {
        let FieldInput {
            field,
            coarse,
            tensors,
            stats,
            mask,
        } = *input;
        let (cols, rows) = [
            field.dims(),
            coarse.dims(),
            (tensors.energy.cols, tensors.energy.rows),
            (stats.mean.cols, stats.mean.rows),
        ]
        .into_iter()
        .fold((mask.cols, mask.rows), |(c, r), (c2, r2)| {
            (c.min(c2), r.min(r2))
        });
        let n = self.channels;
        let sign = if mirror { -1.0 } else { 1.0 };
        out.reset(cols, rows, n);
        for r in 0..rows {
            for c in 0..cols {
                let src = if mirror { cols - 1 - c } else { c };
                if mask.get(src, r) == 0 {
                    continue;
                }
                let cell = &mut out.data[(r * cols + c) * n..][..n];
                let mut k = 0;
                let mut put = |v: f32| {
                    cell[k] = v;
                    k += 1;
                };
                // A field's doubled-angle vector weighted by its coherence.
                let weighted = |f: &OrientationField| {
                    let w = f.coherence.get(src, r);
                    [f.cos2.get(src, r) * w, sign * f.sin2.get(src, r) * w]
                };
                for input in &self.inputs {
                    let standard = |v: f32| (v - input.mean) / input.sd;
                    match input.planes {
                        Planes::Base => {
                            weighted(field).into_iter().for_each(&mut put);
                            put(1.0);
                        }
                        Planes::Coarse => weighted(coarse).into_iter().for_each(&mut put),
                        Planes::Raw => {
                            let [x, y] = tensors.unsmoothed(src, r);
                            put(x);
                            put(sign * y);
                        }
                        Planes::Energy => put(standard(tensors.energy.get(src, r).ln_1p())),
                        Planes::Grey => put(standard(stats.mean.get(src, r) / 255.0)),
                    }
                }
            }
        }
    }

    /// One pass over `scratch.input`: softmax probabilities.
    fn forward(&self, scratch: &mut NetScratch) -> [f32; CLASSES] {
        let NetScratch {
            input,
            a,
            b,
            patches,
        } = scratch;
        // Each convolution writes `a`, each pooling `b`, which the next
        // convolution reads.
        for (i, kernel) in self.kernels.iter().enumerate() {
            convolve(if i == 0 { input } else { b }, kernel, patches, a);
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

impl Maps {
    fn reset(&mut self, cols: usize, rows: usize, channels: usize) {
        self.cols = cols;
        self.rows = rows;
        self.channels = channels;
        self.data.clear();
        self.data.resize(cols * rows * channels, 0.0);
    }
}

/// 3 × 3 convolution with zero padding, then ReLU, as one matrix product:
/// each cell's 3 × 3 neighbourhood laid out as a row (`patches`, the
/// order of the kernel's taps), times the taps, onto the biases.
///
/// A multiply-add per tap and cell, looping over the cells, reloaded every
/// tap for every cell and skipped the ReLU's zeros; the product (ndarray's,
/// by `matrixmultiply`, which picks AVX and FMA at run time where the
/// processor has them) keeps blocks of both in registers and does the
/// zeros' work too in about half the time (9.9–11.1 → 5.0–5.9 ms a print
/// and its mirror on the idle 2.3 GHz build machine).
fn convolve(input: &Maps, kernel: &Kernel, patches: &mut Vec<f32>, out: &mut Maps) {
    let (cols, rows) = (input.cols, input.rows);
    let (n_in, n_out) = (kernel.inputs, kernel.outputs);
    debug_assert_eq!(input.channels, n_in);
    let width = 9 * n_in;
    gather_patches(input, patches);
    out.reset(cols, rows, n_out);
    for cell in out.data.chunks_exact_mut(n_out) {
        cell.copy_from_slice(&kernel.bias);
    }
    let cells = cols * rows;
    if cells == 0 {
        return;
    }
    // Row-major operands: (cells × width) · (width × n_out) + out.
    multiply_add(cells, width, n_out, patches, &kernel.taps, &mut out.data);
    for a in out.data.iter_mut() {
        *a = a.max(0.0);
    }
}

/// `out += a · b` for row-major `a` (`m × k`), `b` (`k × n`) and `out`
/// (`m × n`).
fn multiply_add(m: usize, k: usize, n: usize, a: &[f32], b: &[f32], out: &mut [f32]) {
    let shape = "the patches, taps and maps are sized for the product";
    let a = ArrayView2::from_shape((m, k), &a[..m * k]).expect(shape);
    let b = ArrayView2::from_shape((k, n), &b[..k * n]).expect(shape);
    let mut out = ArrayViewMut2::from_shape((m, n), &mut out[..m * n]).expect(shape);
    general_mat_mul(1.0, &a, &b, 1.0, &mut out);
}

/// Each cell's 3 × 3 neighbourhood as one row of `9 × channels` values,
/// tap by tap (row of the kernel, then column), zeros beyond the edge.
fn gather_patches(input: &Maps, patches: &mut Vec<f32>) {
    let (cols, rows, n) = (input.cols, input.rows, input.channels);
    // Every value is written below: resizing without clearing first spares
    // a second pass over a buffer of a few megabytes.
    patches.resize(cols * rows * 9 * n, 0.0);
    for (cell, patch) in patches.chunks_exact_mut(9 * n).enumerate() {
        let (r, c) = (cell / cols, cell % cols);
        for (tap, values) in patch.chunks_exact_mut(n).enumerate() {
            let (sr, sc) = ((r + tap / 3).checked_sub(1), (c + tap % 3).checked_sub(1));
            match (sr.filter(|&sr| sr < rows), sc.filter(|&sc| sc < cols)) {
                (Some(sr), Some(sc)) => {
                    values.copy_from_slice(&input.data[(sr * cols + sc) * n..][..n]);
                }
                _ => values.fill(0.0),
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

    /// Everything the network may read of a made-up print, all foreground.
    #[derive(Clone)]
    struct MadeUp {
        field: OrientationField,
        tensors: BlockTensors,
        stats: BlockStats,
        mask: Grid<u8>,
    }

    impl MadeUp {
        /// A `cols` × `rows` print whose doubled ridge angle at each block
        /// is `angle2(c, r)`, fully coherent, of gradient energy 100 and
        /// grey `grey(c, r)` (0–255).
        fn new(
            cols: usize,
            rows: usize,
            angle2: impl Fn(usize, usize) -> f32,
            grey: impl Fn(usize, usize) -> f32,
        ) -> MadeUp {
            let plane = |f: &dyn Fn(usize, usize) -> f32| Grid {
                cols,
                rows,
                data: (0..cols * rows).map(|i| f(i % cols, i / cols)).collect(),
            };
            let cos2 = plane(&|c, r| angle2(c, r).cos());
            let sin2 = plane(&|c, r| angle2(c, r).sin());
            MadeUp {
                tensors: BlockTensors {
                    block: 8,
                    vx: plane(&|c, r| 100.0 * angle2(c, r).cos()),
                    vy: plane(&|c, r| 100.0 * angle2(c, r).sin()),
                    energy: plane(&|_, _| 100.0),
                },
                field: OrientationField {
                    block: 8,
                    cos2,
                    sin2,
                    coherence: plane(&|_, _| 1.0),
                },
                stats: BlockStats {
                    mean: plane(&grey),
                    std_dev: plane(&|_, _| 40.0),
                },
                mask: Grid::filled(cols, rows, 1),
            }
        }

        /// Horizontal ridges on mid-grey paper.
        fn level(cols: usize, rows: usize) -> MadeUp {
            MadeUp::new(cols, rows, |_, _| 0.0, |_, _| 128.0)
        }

        fn input(&self) -> FieldInput<'_> {
            FieldInput {
                field: &self.field,
                coarse: &self.field,
                tensors: &self.tensors,
                stats: &self.stats,
                mask: &self.mask,
            }
        }

        /// The same print seen in a mirror.
        fn mirrored(&self) -> MadeUp {
            let mut sin2 = self.field.sin2.mirrored();
            sin2.data.iter_mut().for_each(|v| *v = -*v);
            MadeUp {
                field: OrientationField {
                    block: 8,
                    cos2: self.field.cos2.mirrored(),
                    sin2,
                    coherence: self.field.coherence.mirrored(),
                },
                tensors: self.tensors.mirrored(),
                stats: BlockStats {
                    mean: self.stats.mean.mirrored(),
                    std_dev: self.stats.std_dev.mirrored(),
                },
                mask: self.mask.mirrored(),
            }
        }
    }

    /// One convolution over `inputs`: channel 0 copies the first input
    /// plane (centre tap); channel 1 sums the third input plane round
    /// each cell (the foreground, for `base`), less 5.
    fn tiny_network(inputs: Vec<Input>) -> FieldNet {
        let n: usize = inputs.iter().map(|i| i.planes.channels()).sum();
        let mut weight = vec![0.0; 2 * n * 9];
        weight[4] = 1.0;
        if n >= 3 {
            for k in 0..9 {
                weight[(n + 2) * 9 + k] = 1.0;
            }
        }
        let mut head = vec![0.0; CLASSES * 4];
        head[0] = 1.0; // class A reads channel 0's mean
        head[4 + 1] = 1.0; // class T reads channel 1's mean
        FieldNet {
            inputs,
            convs: vec![Conv {
                inputs: n,
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

    fn softmax_of(logits: [f32; CLASSES]) -> [f32; CLASSES] {
        let e = logits.map(f32::exp);
        let sum: f32 = e.iter().sum();
        e.map(|v| v / sum)
    }

    fn assert_close(got: [f32; CLASSES], want: [f32; CLASSES]) {
        for (g, w) in got.iter().zip(want) {
            assert!((g - w).abs() < 1e-6, "{got:?} against {want:?}");
        }
    }

    #[test]
    fn forward_pass_computes_what_the_layers_say() {
        let runner = Runner::new(tiny_network(base_only())).expect("layers fit");
        let print = MadeUp::level(4, 4);
        let p = runner.predict(&print.input(), &mut NetScratch::default());
        // Channel 0 is 1 everywhere. Channel 1 is 0 at the corners (4 − 5,
        // cut by the ReLU), 1 on the edges and 4 inside; each 2 × 2 pool
        // holds one inner cell, so both its mean and maximum are 4. Logits
        // (1, 4, 0, 0, 0); the mirror image is the same field.
        assert_close(p, softmax_of([1.0, 4.0, 0.0, 0.0, 0.0]));
    }

    #[test]
    fn the_matrix_product_convolves_as_the_taps_say() {
        // Against the convolution written out tap by tap, on maps with
        // edges on every side, negative sums (the ReLU) and odd sizes.
        let mut seed = 7u32;
        let mut next = move || {
            seed = seed.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            (seed >> 8) as f32 / (1 << 24) as f32 - 0.5
        };
        for (cols, rows, n_in, n_out) in
            [(5, 4, 3, 16), (1, 7, 2, 32), (6, 1, 16, 48), (3, 3, 1, 1)]
        {
            let input = Maps {
                cols,
                rows,
                channels: n_in,
                data: (0..cols * rows * n_in).map(|_| next()).collect(),
            };
            let weight: Vec<f32> = (0..n_out * n_in * 9).map(|_| next()).collect();
            let bias: Vec<f32> = (0..n_out).map(|_| next()).collect();
            let kernel = Kernel::from_conv(Conv {
                inputs: n_in,
                outputs: n_out,
                weight: weight.clone(),
                bias: bias.clone(),
            });
            let mut out = Maps::default();
            convolve(&input, &kernel, &mut Vec::new(), &mut out);
            for r in 0..rows {
                for c in 0..cols {
                    for o in 0..n_out {
                        let mut want = bias[o];
                        for (kr, kc) in (0..3).flat_map(|kr| (0..3).map(move |kc| (kr, kc))) {
                            let (sr, sc) = (r as isize + kr - 1, c as isize + kc - 1);
                            if sr < 0 || sc < 0 || sr >= rows as isize || sc >= cols as isize {
                                continue;
                            }
                            for i in 0..n_in {
                                let v = input.data[(sr as usize * cols + sc as usize) * n_in + i];
                                want += v * weight[(o * n_in + i) * 9 + (kr * 3 + kc) as usize];
                            }
                        }
                        let got = out.data[(r * cols + c) * n_out + o];
                        assert!(
                            (got - want.max(0.0)).abs() < 1e-5,
                            "{cols}×{rows}, {n_in} → {n_out}: cell ({c}, {r}) channel {o}: {got} against {}",
                            want.max(0.0)
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn one_plane_inputs_are_standardised_as_the_weights_file_says() {
        // Grey 191.25 / 255 = 0.75, centred on 0.5 and scaled by 0.25: 1.
        let inputs = vec![Input {
            planes: Planes::Grey,
            mean: 0.5,
            sd: 0.25,
        }];
        let runner = Runner::new(tiny_network(inputs)).expect("layers fit");
        let print = MadeUp::new(4, 4, |_, _| 0.0, |_, _| 191.25);
        let p = runner.predict(&print.input(), &mut NetScratch::default());
        assert_close(p, softmax_of([1.0, 0.0, 0.0, 0.0, 0.0]));
    }

    #[test]
    fn weights_without_inputs_read_the_ridge_field_alone() {
        // Files written before the input planes were named.
        let mut json = serde_json::to_value(tiny_network(base_only())).expect("serialises");
        json.as_object_mut().expect("an object").remove("inputs");
        let runner = Runner::from_json(&json.to_string()).expect("loads");
        assert_eq!(runner.inputs, base_only());
        assert_eq!(runner.channels, 3);
    }

    #[test]
    fn layers_that_do_not_fit_are_refused_with_the_reason() {
        let mut net = tiny_network(base_only());
        net.convs[0].inputs = 4;
        let err = Runner::new(net).unwrap_err().to_string();
        assert!(err.contains("convolution 0"), "{err}");
        let mut net = tiny_network(base_only());
        net.head.bias.pop();
        let err = Runner::new(net).unwrap_err().to_string();
        assert!(err.contains("head"), "{err}");
        let mut net = tiny_network(base_only());
        net.inputs[0].sd = 0.0;
        let err = Runner::new(net).unwrap_err().to_string();
        assert!(err.contains("scale"), "{err}");
        let mut net = tiny_network(base_only());
        net.inputs.clear();
        let err = Runner::new(net).unwrap_err().to_string();
        assert!(err.contains("no input planes"), "{err}");
        let mut net = tiny_network(base_only());
        net.convs[0].outputs = 0;
        net.convs[0].bias.clear();
        net.convs[0].weight.clear();
        let err = Runner::new(net).unwrap_err().to_string();
        assert!(err.contains("3 → 0 channels"), "{err}");
        assert!(Runner::from_json("{").is_err());
    }

    #[test]
    fn a_mirrored_print_gets_left_and_right_swapped() {
        let runner = shipped().expect("field_net.json loads");
        // A loop-like field, ridges turning round a point left of centre,
        // on paper darker to the right.
        let print = MadeUp::new(
            24,
            20,
            |c, r| 2.0 * (r as f32 - 8.0).atan2(c as f32 - 9.0) + 0.3,
            |c, _| 100.0 + 5.0 * c as f32,
        );
        let mut scratch = NetScratch::default();
        let p = runner.predict(&print.input(), &mut scratch);
        let q = runner.predict(&print.mirrored().input(), &mut scratch);
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
            let print = MadeUp::level(cols, rows);
            let p = runner.predict(&print.input(), &mut NetScratch::default());
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
