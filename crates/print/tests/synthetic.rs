//! Singular points and ridge counts against the truth of synthetic prints.

use std::sync::OnceLock;

use rayon::prelude::*;
use vantay_print::synthetic::{Spec, SyntheticPrint};
use vantay_print::{Analysis, Extractor, PatternClass};

const SEEDS: u64 = 3;

/// Every class × seed, rendered and analysed once for all the tests.
fn cases() -> &'static [(PatternClass, u64, SyntheticPrint, Analysis)] {
    static CASES: OnceLock<Vec<(PatternClass, u64, SyntheticPrint, Analysis)>> = OnceLock::new();
    CASES.get_or_init(|| {
        let specs: Vec<(PatternClass, u64)> = PatternClass::ALL
            .into_iter()
            .flat_map(|c| (0..SEEDS).map(move |s| (c, s)))
            .collect();
        specs
            .into_par_iter()
            .map(|(class, seed)| {
                let print = Spec::of_class(class, seed).render();
                // Rules on singular points: the shipped model was trained on
                // SD14 cards, whose framing synthetic prints do not share.
                let analysis = Extractor::with_model(None).extract(&print.image, 500);
                (class, seed, print, analysis)
            })
            .collect()
    })
}

fn of_class(
    wanted: &[PatternClass],
) -> impl Iterator<Item = &'static (PatternClass, u64, SyntheticPrint, Analysis)> + '_ {
    cases().iter().filter(move |c| wanted.contains(&c.0))
}

/// Distance from a true core to the nearest core found (None if none found).
fn core_error(truth: (f32, f32), analysis: &Analysis) -> Option<f32> {
    analysis
        .cores
        .iter()
        .map(|c| (c.x as f32 - truth.0).hypot(c.y as f32 - truth.1))
        .min_by(f32::total_cmp)
}

#[test]
fn cores_are_found_near_their_true_place() {
    let mut errors = Vec::new();
    let mut missed = 0;
    for (_, _, print, analysis) in of_class(&[
        PatternClass::L,
        PatternClass::R,
        PatternClass::W,
        PatternClass::T,
    ]) {
        for &core in &print.cores {
            match core_error(core, analysis) {
                Some(e) if e < 40.0 => errors.push(e),
                _ => missed += 1,
            }
        }
    }
    let mean = errors.iter().sum::<f32>() / errors.len().max(1) as f32;
    println!(
        "synthetic cores: {} found within 40 px, {missed} missed, mean error {mean:.1} px",
        errors.len()
    );
    assert!(
        errors.len() >= 3 * missed,
        "too many cores missed: {missed} of {}",
        errors.len() + missed
    );
    assert!(mean < 16.0, "mean core error {mean:.1} px");
}

#[test]
fn ridge_counts_are_within_one_of_the_truth() {
    let (mut within, mut total) = (0, 0);
    for (class, seed, print, analysis) in
        of_class(&[PatternClass::L, PatternClass::R, PatternClass::W])
    {
        for (delta, truth) in print.deltas.iter().zip(&print.ridge_counts) {
            total += 1;
            let found = analysis
                .deltas
                .iter()
                .position(|d| (d.x as f32 - delta.0).hypot(d.y as f32 - delta.1) < 32.0)
                .and_then(|i| analysis.ridge_counts.get(i));
            match found {
                Some(count) if count.abs_diff(*truth) <= 1 => within += 1,
                Some(count) => println!("{class:?} seed {seed}: counted {count}, truth {truth}"),
                None => println!("{class:?} seed {seed}: delta at {delta:?} not found"),
            }
        }
    }
    let share = within as f32 / total as f32;
    println!(
        "synthetic ridge counts within ±1 of the truth: {within}/{total} ({:.0} %)",
        100.0 * share
    );
    assert!(share >= 0.6, "only {within}/{total} ridge counts within ±1");
}

#[test]
fn plain_arches_have_no_delta_and_no_count() {
    for (_, seed, _, analysis) in of_class(&[PatternClass::A]) {
        assert!(
            analysis.deltas.is_empty(),
            "seed {seed}: deltas found in a plain arch: {:?}",
            analysis.deltas
        );
        assert_eq!(analysis.class, PatternClass::A, "seed {seed}");
        assert!(analysis.ridge_counts.is_empty());
    }
}

#[test]
fn synthetic_truth_counts_grow_with_distance() {
    let near = Spec {
        deltas: vec![(300.0, 260.0)],
        ..Spec::of_class(PatternClass::L, 0)
    };
    let far = Spec {
        deltas: vec![(330.0, 330.0)],
        ..near.clone()
    };
    let (near, far) = (near.render(), far.render());
    assert!(
        far.ridge_counts[0] > near.ridge_counts[0],
        "{:?} vs {:?}",
        far.ridge_counts,
        near.ridge_counts
    );
}

#[test]
fn rules_classify_synthetic_prints_of_each_class() {
    let mut right = 0;
    for (class, seed, _, analysis) in cases() {
        if analysis.class == *class {
            right += 1;
        } else {
            println!("{class:?} seed {seed} read as {:?}", analysis.class);
        }
    }
    println!(
        "synthetic prints classified by the rules: {right}/{}",
        cases().len()
    );
    assert!(
        right * 5 >= cases().len() * 4,
        "only {right}/{} right",
        cases().len()
    );
}

/// Mean tangent score of the inner polar rings around the core: 1 where
/// ridges circle the core, −1 where they run along the radius.
fn circling(analysis: &Analysis) -> f32 {
    use vantay_print::classify::{self, Anchor, GridLayout, GridShape};
    let details = &analysis.details;
    let layout = GridLayout {
        shape: GridShape::Polar,
        cell: 3,
        cells: 2,
        anchor: Anchor::Core,
        coherence_weighted: false,
    };
    let f = classify::features_with(
        &details.singular,
        &details.singular_field,
        &details.mask,
        &[layout],
    );
    let polar = &f[classify::POINT_FEATURES..];
    assert_eq!(polar.len(), layout.len());
    polar.iter().step_by(2).sum::<f32>() / (polar.len() / 2) as f32
}

#[test]
fn polar_features_see_whorls_circle_more_than_loops() {
    let mean = |classes: &[PatternClass]| {
        let scores: Vec<f32> = of_class(classes).map(|c| circling(&c.3)).collect();
        scores.iter().sum::<f32>() / scores.len() as f32
    };
    let whorl = mean(&[PatternClass::W]);
    let looped = mean(&[PatternClass::L, PatternClass::R]);
    println!("circling score: whorls {whorl:.2}, loops {looped:.2}");
    assert!(
        whorl > looped + 0.05,
        "whorls {whorl:.2}, loops {looped:.2}"
    );
}

#[test]
fn shipped_features_are_the_grids_then_the_traced_flow_then_the_fine_flow() {
    use vantay_print::fine_flow::{self, FineScratch};
    use vantay_print::{classify, flow};
    for (_, _, print, analysis) in cases() {
        let d = &analysis.details;
        assert_eq!(d.features.len(), classify::FEATURES);
        let grids = classify::features_with(
            &d.singular,
            &d.singular_field,
            &d.mask,
            classify::SHIPPED_GRIDS,
        );
        assert_eq!(d.features[..grids.len()], grids[..]);
        const {
            assert!(
                classify::SHIPPED_FLOW
                    && classify::SHIPPED_FINE_FLOW
                    && !classify::SHIPPED_MULTISCALE
            )
        };
        let b = d.orientation.block as f32;
        let anchor = d
            .singular
            .cores
            .first()
            .map(|c| (c.x / b, c.y / b))
            .unwrap_or_else(|| classify::centroid(&d.mask));
        let traced = grids.len() + flow::FEATURES;
        assert_eq!(
            d.features[grids.len()..traced],
            flow::features(&d.orientation, &d.mask, anchor)[..]
        );
        let fine = fine_flow::features(
            &print.image,
            &d.mask,
            d.orientation.block,
            (anchor.0 * b, anchor.1 * b),
            &mut FineScratch::default(),
        );
        assert_eq!(d.features[traced..], fine[..]);
    }
}

/// Share of the fine field's pseudo-ridges near the core that circle: a
/// whorl's small central circuits survive there.
#[test]
fn fine_traced_ridges_circle_round_whorls_only() {
    use vantay_print::{classify, flow};
    let circling = classify::feature_len(classify::SHIPPED_GRIDS) + flow::FEATURES;
    let mean = |classes: &[PatternClass]| {
        let v: Vec<f32> = of_class(classes)
            .map(|c| c.3.details.features[circling])
            .collect();
        v.iter().sum::<f32>() / v.len() as f32
    };
    let (w, l) = (
        mean(&[PatternClass::W]),
        mean(&[PatternClass::L, PatternClass::R]),
    );
    println!("fine field, share of circling lines near the core: whorls {w:.2}, loops {l:.2}");
    assert!(w > 0.3 && l < 0.1, "whorls {w:.2}, loops {l:.2}");
}

/// Share of the pseudo-ridges round the core that circle (|turning| ≥ 1.6π).
#[test]
fn traced_ridges_circle_round_whorls_and_recurve_in_loops() {
    let n = vantay_print::classify::feature_len(vantay_print::classify::SHIPPED_GRIDS);
    let (circling, recurving) = (n, n + 1);
    let mean = |classes: &[PatternClass], k: usize| {
        let v: Vec<f32> = of_class(classes).map(|c| c.3.details.features[k]).collect();
        v.iter().sum::<f32>() / v.len() as f32
    };
    let (w, l) = (
        mean(&[PatternClass::W], circling),
        mean(&[PatternClass::L, PatternClass::R], circling),
    );
    println!("share of circling lines near the core: whorls {w:.2}, loops {l:.2}");
    assert!(w > 0.3 && l < 0.1, "whorls {w:.2}, loops {l:.2}");
    let (l, a) = (
        mean(&[PatternClass::L, PatternClass::R], recurving),
        mean(&[PatternClass::A], recurving),
    );
    println!("share of recurving lines near the core: loops {l:.2}, plain arches {a:.2}");
    assert!(l > a + 0.3, "loops {l:.2}, arches {a:.2}");
}
