//! The pipeline: one print in, its [`Analysis`] out.

use std::time::Instant;

use image::GrayImage;
use serde::{Deserialize, Serialize};

use crate::classify::{self, FeatureSet, PatternClass, Subtype};
use crate::grid::Grid;
use crate::model::{self, Classifier};
use crate::normalize::{self, BlockStats};
use crate::orientation::{BlockTensors, OrientationField};
use crate::params::Params;
use crate::presence::{self, NoPrint};
use crate::quality::{self, Quality};
use crate::ridge_count::{self, CountConvention, CountLine, LoopCore};
use crate::singular::SingularPoints;
use crate::{field_net, frequency, mask, pattern};
use vantay_domain::Finger;

/// A core in the output, pixels.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct CorePoint {
    /// Column.
    pub x: u32,
    /// Row.
    pub y: u32,
    /// Direction of the recurve's head, degrees counter-clockwise from the
    /// x axis with y up (90 = an upright loop).
    pub angle_deg: f32,
}

/// A delta in the output, pixels.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct DeltaPoint {
    /// Column.
    pub x: u32,
    /// Row.
    pub y: u32,
}

/// Everything the engine reads from one print. Serialises to the fields of
/// DESIGN §5 from `width` to `quality`; [`Record`] adds `file` and `ms`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Analysis {
    /// Image width, pixels.
    pub width: u32,
    /// Image height, pixels.
    pub height: u32,
    /// Resolution the analysis assumed, pixels per inch.
    pub dpi: u16,
    /// Pattern class.
    pub class: PatternClass,
    /// Finer pattern type.
    pub subtype: Subtype,
    /// Probability of the class, 0–1.
    pub confidence: f32,
    /// Cores, top first.
    pub cores: Vec<CorePoint>,
    /// Deltas, left first.
    pub deltas: Vec<DeltaPoint>,
    /// Core–delta ridge counts, one per delta (in the order of `deltas`); empty for an arch.
    pub ridge_counts: Vec<u32>,
    /// Quality 0–100, higher is better.
    pub quality: u8,
    /// Intermediate results for overlays and review; not part of the JSON.
    #[serde(skip)]
    pub details: Details,
}

/// Intermediate results kept for overlays and review.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Details {
    /// Foreground blocks (1 = ridges).
    pub mask: Grid<u8>,
    /// Orientation field used for ridge directions.
    pub orientation: OrientationField,
    /// Per-block quality.
    pub quality: Quality,
    /// Typical ridge period, pixels (0 when unknown).
    pub ridge_period: f32,
    /// Feature vector given to the class model.
    pub features: Vec<f32>,
    /// Singular points as detected (on the strongly smoothed field, with
    /// the close pairs it erased recovered from the lighter one), where the
    /// class evidence reads them (with the whorl-centre count the output
    /// drops); the output's points
    /// are these placed on the unsmoothed field ([`crate::pattern::place`]).
    pub singular: SingularPoints,
    /// The strongly smoothed orientation field the singular points and the
    /// class features are read from.
    pub singular_field: OrientationField,
    /// The field network's class probabilities (order of
    /// [`PatternClass::ALL`]), where it read the print.
    pub network: Option<[f32; 5]>,
    /// The class probabilities from the print alone, before the finger or
    /// the card weighed them ([`crate::classify::Classification::probabilities`]):
    /// what [`crate::card_prior`] reads of each print of a card.
    pub probabilities: Option<[f32; 5]>,
    /// The line each of `ridge_counts` was read along, in the order of the
    /// deltas; `None` for a delta not counted.
    pub count_lines: Vec<Option<CountLine>>,
    /// The index (in the deltas) of a loop's delta that detection missed
    /// and [`crate::pattern::recover_loop_delta`] found on a second, looser
    /// look: its count is a proposal for an analyst (within ±1 of SD14's
    /// examiners less often than the rest, docs/benchmarks/print.md).
    pub recovered_delta: Option<usize>,
}

impl PartialEq for OrientationField {
    fn eq(&self, other: &Self) -> bool {
        self.block == other.block
            && self.cos2 == other.cos2
            && self.sin2 == other.sin2
            && self.coherence == other.coherence
    }
}

impl Analysis {
    /// `Ok(ridge area, mm²)` when the image holds a fingerprint
    /// ([`crate::presence`]). Reads the details, which are not serialised:
    /// ask an analysis just made, not one read back from JSON.
    pub fn check_print(&self) -> Result<f32, NoPrint> {
        presence::check_mask(&self.details.mask, self.details.orientation.block, self.dpi)
    }

    /// Weighs the class anew by `weights` (a card's, [`card_weights`]):
    /// `true` where the class stays and only its confidence moves (the
    /// subtype, points and counts follow from the class alone, so they
    /// stand); `false`, with nothing changed, where the class would change
    /// or the analysis kept no probabilities, and the print must be read
    /// again with the weights ([`Extractor::extract_weighed`]).
    pub fn reweigh(&mut self, weights: &[f32; 5]) -> bool {
        let Some(probabilities) = self.details.probabilities else {
            return false;
        };
        let (class, confidence) = weighed_decision(&probabilities, weights);
        if class != self.class {
            return false;
        }
        self.confidence = confidence;
        true
    }

    /// Takes back the delta found only on the engine's second, looser look
    /// ([`Details::recovered_delta`]) with its count, leaving what the
    /// first look read: for a centre that signs counts without a person,
    /// where such a loop should go to an analyst to be counted.
    pub fn withdraw_recovered_delta(&mut self) {
        let Some(k) = self.details.recovered_delta.take() else {
            return;
        };
        self.deltas.remove(k);
        self.ridge_counts.remove(k);
        self.details.count_lines.remove(k);
    }

    /// The ridge count of delta `k` where it was counted; `None` where it
    /// was not (an arch's delta, or one with no core to count to), which
    /// `ridge_counts` and the JSON give as 0. Reads the details: ask an
    /// analysis just made.
    pub fn counted_ridges(&self, k: usize) -> Option<u32> {
        self.details.count_lines.get(k)?.as_ref()?;
        self.ridge_counts.get(k).copied()
    }

    /// A loop's core–delta ridge count: the count of its own delta
    /// ([`Analysis::loops_delta`]). `None` unless the print is read as a
    /// loop with a core and a delta.
    pub fn loop_ridge_count(&self) -> Option<u32> {
        self.loops_delta().map(|k| self.ridge_counts[k])
    }

    /// The deltas (indices in `deltas`) whose counts a report gives, as
    /// the convention records them: a loop's own ([`Analysis::loops_delta`];
    /// the first found where there is no core), a whorl's two
    /// ([`ridge_count::whorls_deltas`]), and for an arch every delta found
    /// (a tented arch's is worth showing), with no count.
    pub fn reported_deltas(&self) -> Vec<usize> {
        match self.class {
            PatternClass::A | PatternClass::T => (0..self.deltas.len()).collect(),
            PatternClass::L | PatternClass::R => {
                let own = self.loops_delta().unwrap_or(0);
                (own < self.deltas.len())
                    .then_some(own)
                    .into_iter()
                    .collect()
            }
            PatternClass::W => {
                let cores: Vec<_> = self.loop_cores().iter().map(|c| c.at).collect();
                ridge_count::whorls_deltas(&cores, &self.delta_points())
            }
        }
    }

    /// The index (in `deltas`) of a loop's own delta, the one whose count
    /// the report gives ([`ridge_count::loops_delta`]); `None` unless the
    /// print is read as a loop with a core and a delta.
    pub fn loops_delta(&self) -> Option<usize> {
        ridge_count::loops_delta(self.class, &self.loop_cores(), &self.delta_points())
    }

    /// The cores as the rules of [`ridge_count`] read them.
    fn loop_cores(&self) -> Vec<LoopCore> {
        self.cores
            .iter()
            .map(|c| LoopCore {
                at: (c.x as f32, c.y as f32),
                head_deg: c.angle_deg,
            })
            .collect()
    }

    /// The deltas, pixels.
    fn delta_points(&self) -> Vec<(f32, f32)> {
        self.deltas
            .iter()
            .map(|d| (d.x as f32, d.y as f32))
            .collect()
    }
}

/// One line of `vantay print analyze`: the file, its analysis, the time taken.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Record {
    /// File name as given.
    pub file: String,
    /// The analysis.
    #[serde(flatten)]
    pub analysis: Analysis,
    /// Milliseconds from decoding to the result.
    pub ms: f64,
}

/// The analysis engine with its scratch buffers: keep one per thread and
/// reuse it, so the pipeline does not allocate its grids anew for each print.
#[derive(Debug)]
pub struct Extractor {
    model: Option<Classifier>,
    network: Option<&'static field_net::Runner>,
    network_scratch: field_net::NetScratch,
    stats: BlockStats,
    tensors: BlockTensors,
    mask: Grid<u8>,
    /// Buffers of [`pattern::evidence`], with the orientation field at
    /// every scale: ridge directions first, then the field of the singular points.
    scratch: pattern::Scratch,
    periods: Grid<f32>,
    features: FeatureSet,
    /// The pipeline's settings for 500 ppi, scaled to each print's resolution.
    params: Params,
}

impl Default for Extractor {
    fn default() -> Self {
        Extractor::new()
    }
}

impl Extractor {
    /// An extractor using the shipped class models: the support-vector
    /// machines over the features and the field network.
    pub fn new() -> Self {
        Extractor::with_model(model::shipped().cloned()).with_network(field_net::shipped())
    }

    /// An extractor with a given feature model and no field network
    /// (`None`: rules on singular points).
    pub fn with_model(model: Option<Classifier>) -> Self {
        Extractor {
            model,
            network: None,
            network_scratch: field_net::NetScratch::default(),
            stats: BlockStats::default(),
            tensors: BlockTensors::default(),
            mask: Grid::default(),
            scratch: pattern::Scratch::default(),
            periods: Grid::default(),
            features: FeatureSet::shipped(),
            params: Params::default(),
        }
    }

    /// The same extractor with a field network (`None`: without one).
    pub fn with_network(mut self, network: Option<&'static field_net::Runner>) -> Self {
        self.network = network;
        self
    }

    /// The same extractor reading the features of `set` (for evaluating
    /// other feature sets; the model must have been trained on that set).
    pub fn with_features(mut self, set: FeatureSet) -> Self {
        self.features = set;
        self
    }

    /// The same extractor counting loops' ridges by `convention`.
    pub fn with_count_convention(mut self, convention: CountConvention) -> Self {
        self.set_count_convention(convention);
        self
    }

    /// Counts loops' ridges by `convention` from the next print on.
    pub fn set_count_convention(&mut self, convention: CountConvention) {
        self.params.ridge_count_convention = convention;
    }

    /// The same extractor with other settings (given for 500 ppi), for
    /// measuring them; [`Params::default`] is what ships.
    pub fn with_params(mut self, params: Params) -> Self {
        self.params = params;
        self
    }

    /// The block tensors and foreground of the last print analysed (what
    /// [`pattern::evidence`] starts from).
    pub fn tensors_and_mask(&self) -> (&BlockTensors, &Grid<u8>) {
        (&self.tensors, &self.mask)
    }

    /// What the field network reads of the last print analysed.
    pub fn network_input(&self) -> field_net::FieldInput<'_> {
        field_net::FieldInput {
            field: &self.scratch.fields[0],
            coarse: &self.scratch.fields[1],
            tensors: &self.tensors,
            stats: &self.stats,
            mask: &self.mask,
        }
    }

    /// Analyses one print scanned at `ppi` pixels per inch, of a finger
    /// not known.
    pub fn extract(&mut self, image: &GrayImage, ppi: u16) -> Analysis {
        self.extract_finger(image, ppi, None)
    }

    /// Analyses one print scanned at `ppi` pixels per inch; where the
    /// `finger` is known, the class weighs what that finger favours
    /// ([`crate::finger_prior`]) on the field network's own probabilities
    /// ([`crate::model::Mix::for_priors`]; on SD14, whole cards out of
    /// fold, 3 splits pooled: 94.3 % overall and 89.0 % mean per-class
    /// recall, against 93.4 / 86.2 with the finger weighing the mix;
    /// docs/benchmarks/print.md, sixteenth round).
    pub fn extract_finger(
        &mut self,
        image: &GrayImage,
        ppi: u16,
        finger: Option<Finger>,
    ) -> Analysis {
        self.extract_weighed(image, ppi, crate::finger_prior::weights(finger).as_ref())
    }

    /// Analyses the prints of one card, one person's fingers: each is read
    /// with its finger ([`Self::extract_finger`]), then its class weighed by
    /// what its card-mates say of the person ([`crate::card_prior`]) and, where
    /// that changes the class, read again with those weights, so that its
    /// subtype, points and counts are the new class's. In the order given.
    /// On SD14, whole cards out of fold, 3 splits pooled: 94.7 % overall,
    /// 89.8 % mean per-class recall (docs/benchmarks/print.md).
    pub fn extract_card(&mut self, prints: &[CardPrint<'_>]) -> Vec<Analysis> {
        let mut analyses: Vec<Analysis> = prints
            .iter()
            .map(|p| self.extract_finger(p.image, p.ppi, Some(p.finger)))
            .collect();
        let card: Vec<(Finger, Option<[f32; 5]>)> = prints
            .iter()
            .zip(&analyses)
            .map(|(p, a)| (p.finger, a.details.probabilities))
            .collect();
        for (k, weights) in card_weights(&card).into_iter().enumerate() {
            let Some(weights) = weights else { continue };
            if !analyses[k].reweigh(&weights) {
                analyses[k] = self.extract_weighed(prints[k].image, prints[k].ppi, Some(&weights));
            }
        }
        analyses
    }

    /// Analyses one print with its class probabilities weighed by `weights`
    /// (what is known beyond the print: [`crate::finger_prior::weights`],
    /// [`card_weights`]) before the most likely class is taken.
    pub fn extract_weighed(
        &mut self,
        image: &GrayImage,
        ppi: u16,
        weights: Option<&[f32; 5]>,
    ) -> Analysis {
        let p = self.params.scaled_to(ppi);
        normalize::compute(image, p.block, &mut self.stats);
        mask::foreground(image, &p, &mut self.tensors, &mut self.mask);
        let evidence = pattern::evidence(
            image,
            &self.tensors,
            &self.mask,
            &p,
            &self.features,
            &mut self.scratch,
        );
        let pattern::Evidence { points, features } = evidence;
        let mut placed = pattern::place(&self.tensors, &self.mask, &points, &p, &mut self.scratch);
        let (field, coarse) = (&self.scratch.fields[0], &self.scratch.fields[1]);
        frequency::compute(image, field, &self.mask, &p, &mut self.periods);
        // The network's scratch is taken out so that its input can borrow
        // the rest of the extractor.
        let mut scratch = std::mem::take(&mut self.network_scratch);
        let network = self
            .network
            .map(|net| net.predict(&self.network_input(), &mut scratch));
        self.network_scratch = scratch;
        let class = classify::classify(
            &features,
            &points,
            field,
            &self.mask,
            self.model.as_ref(),
            network.as_ref(),
            weights,
        );
        let recovered =
            pattern::recover_loop_delta(&mut placed, class.class, &self.mask, &p, &self.scratch);
        let recovered_delta = recovered.and_then(|d| placed.deltas.iter().position(|e| *e == d));
        let count_lines = ridge_count::count_lines(&placed, class.class, &p);
        let ridge_counts = ridge_count::count_all(image, field, &count_lines, &p);
        let quality = quality::compute(field, &self.stats, &self.periods, &self.mask);
        let details = Details {
            mask: self.mask.clone(),
            orientation: field.clone(),
            ridge_period: frequency::median_period(&self.periods),
            quality,
            features,
            singular: points.clone(),
            singular_field: coarse.clone(),
            network,
            probabilities: class.probabilities,
            count_lines,
            recovered_delta,
        };
        assemble(image, ppi, &placed, class, ridge_counts, details)
    }
}

fn assemble(
    image: &GrayImage,
    ppi: u16,
    points: &SingularPoints,
    class: classify::Classification,
    ridge_counts: Vec<u32>,
    details: Details,
) -> Analysis {
    let px = |v: f32| v.round().max(0.0) as u32;
    Analysis {
        width: image.width(),
        height: image.height(),
        dpi: ppi,
        class: class.class,
        subtype: class.subtype,
        confidence: round_confidence(class.confidence),
        cores: points
            .cores
            .iter()
            .map(|c| CorePoint {
                x: px(c.x),
                y: px(c.y),
                angle_deg: (c.angle_deg * 10.0).round() / 10.0,
            })
            .collect(),
        deltas: points
            .deltas
            .iter()
            .map(|d| DeltaPoint {
                x: px(d.x),
                y: px(d.y),
            })
            .collect(),
        ridge_counts,
        quality: details.quality.score,
        details,
    }
}

/// A confidence as the output gives it, to two decimals.
fn round_confidence(confidence: f32) -> f32 {
    (confidence * 100.0).round() / 100.0
}

/// The class `probabilities` (from the print alone,
/// [`Details::probabilities`]) give once weighed by `weights`, and its
/// confidence as the output gives it: where a reading kept elsewhere is
/// weighed anew by its card ([`card_weights`]).
pub fn weighed_decision(probabilities: &[f32; 5], weights: &[f32; 5]) -> (PatternClass, f32) {
    let (class, confidence) = model::most_likely(&model::weigh(probabilities, Some(weights)));
    (class, round_confidence(confidence))
}

/// One print of a card for [`Extractor::extract_card`].
#[derive(Clone, Copy, Debug)]
pub struct CardPrint<'a> {
    /// The print.
    pub image: &'a GrayImage,
    /// Its scan resolution, pixels per inch.
    pub ppi: u16,
    /// The finger it is.
    pub finger: Finger,
}

/// The weights the card gives each of its prints ([`crate::card_prior`]),
/// from each print's finger and its probabilities before weighing
/// ([`Details::probabilities`]), in the order given. `None` for a print
/// with no probabilities (read without a model), which also says nothing of
/// its card-mates; and for every print where fewer than two have them: one
/// print alone has no card-mates, and its finger's weights stand.
pub fn card_weights(card: &[(Finger, Option<[f32; 5]>)]) -> Vec<Option<[f32; 5]>> {
    let known: Vec<(usize, (Finger, [f32; 5]))> = card
        .iter()
        .enumerate()
        .filter_map(|(k, &(finger, p))| Some((k, (finger, p?))))
        .collect();
    let mut out = vec![None; card.len()];
    if known.len() < 2 {
        return out;
    }
    let prints: Vec<(Finger, [f32; 5])> = known.iter().map(|(_, print)| *print).collect();
    for ((k, _), weights) in known
        .iter()
        .zip(crate::card_prior::shipped().weights(&prints))
    {
        out[*k] = Some(weights);
    }
    out
}

/// Analyses one print with a fresh [`Extractor`]; for batches, keep an
/// extractor per thread instead.
pub fn analyze(image: &GrayImage, ppi: u16) -> Analysis {
    Extractor::new().extract(image, ppi)
}

/// Analyses one print of a known finger with a fresh [`Extractor`]
/// ([`Extractor::extract_finger`]).
pub fn analyze_finger(image: &GrayImage, ppi: u16, finger: Finger) -> Analysis {
    Extractor::new().extract_finger(image, ppi, Some(finger))
}

/// Times [`Extractor::extract_weighed`] and wraps the result in a [`Record`].
pub fn record(
    extractor: &mut Extractor,
    file: String,
    image: &GrayImage,
    ppi: u16,
    weights: Option<&[f32; 5]>,
    started: Instant,
) -> Record {
    let analysis = extractor.extract_weighed(image, ppi, weights);
    let ms = (started.elapsed().as_secs_f64() * 10_000.0).round() / 10.0;
    Record { file, analysis, ms }
}
