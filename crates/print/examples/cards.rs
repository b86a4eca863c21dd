//! Reads SD14's prints card by card ([`Extractor::extract_card`]) and says
//! what the card changed against each print read with its finger alone:
//! which prints changed class, and whether to the label or away from it.
//! The card and the finger are read from `HISTORY`'s scan name
//! (`tape205.n0407065.02`: card `tape205.n0407065`, position 2), as the
//! centre's capture names them; the examiner's codes are not read.
//!
//! The shipped models saw every one of these prints, so the counts here
//! show what the step does, not how well it does it: the fair figures are
//! `train/card_prior.py`'s, on card-grouped folds.
//!
//! ```text
//! cargo run --release -p vantay-print --example cards -- [--data ../shared/data/sd14-dev]
//! ```

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Instant;

use rayon::prelude::*;
use vantay_print::examiner;
use vantay_print::{input, Analysis, CardPrint, Extractor, Finger, PatternClass};

struct Print {
    file: String,
    finger: Finger,
    label: Option<PatternClass>,
    image: image::GrayImage,
}

fn main() {
    let mut data = PathBuf::from("../shared/data/sd14-dev");
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--data" => data = args.next().expect("--data DIR").into(),
            other => panic!("unknown argument {other}"),
        }
    }
    let labels = read_labels(&data);
    let cards = read_cards(&data, &labels);
    eprintln!(
        "{} cards, {} prints",
        cards.len(),
        cards.values().map(Vec::len).sum::<usize>()
    );
    let started = Instant::now();
    let read: Vec<(Vec<Analysis>, Vec<Analysis>, f64, f64)> = cards
        .par_iter()
        .map_init(Extractor::new, |extractor, (_, prints)| {
            read_card(extractor, prints)
        })
        .collect();
    eprintln!("{:.1} s", started.elapsed().as_secs_f64());
    let (mut right_alone, mut right_card, mut scored) = (0, 0, 0);
    let (mut ms_alone, mut ms_card) = (0.0, 0.0);
    for ((_, prints), (alone, card, t_alone, t_card)) in cards.iter().zip(&read) {
        ms_alone += t_alone;
        ms_card += t_card;
        for ((print, a), c) in prints.iter().zip(alone).zip(card) {
            let Some(label) = print.label else { continue };
            scored += 1;
            right_alone += usize::from(a.class == label);
            right_card += usize::from(c.class == label);
            if a.class != c.class {
                println!(
                    "{} {:?} label {:?}: alone {:?} {:.2}, with the card {:?} {:.2}",
                    print.file, print.finger, label, a.class, a.confidence, c.class, c.confidence
                );
            }
        }
    }
    let count = cards.len() as f64;
    println!(
        "{scored} prints: right alone {right_alone}, with the card {right_card} (in sample); \
         a card read {:.0} ms print by print, {:.0} ms as a card (one thread each)",
        ms_alone / count,
        ms_card / count
    );
}

/// The card read print by print with each finger, then as a card; and the
/// milliseconds each took.
fn read_card(
    extractor: &mut Extractor,
    prints: &[Print],
) -> (Vec<Analysis>, Vec<Analysis>, f64, f64) {
    let started = Instant::now();
    let alone: Vec<Analysis> = prints
        .iter()
        .map(|p| extractor.extract_finger(&p.image, 500, Some(p.finger)))
        .collect();
    let t_alone = started.elapsed().as_secs_f64() * 1000.0;
    let card: Vec<CardPrint> = prints
        .iter()
        .map(|p| CardPrint {
            image: &p.image,
            ppi: 500,
            finger: p.finger,
        })
        .collect();
    let started = Instant::now();
    let together = extractor.extract_card(&card);
    let t_card = started.elapsed().as_secs_f64() * 1000.0;
    (alone, together, t_alone, t_card)
}

fn read_labels(data: &std::path::Path) -> BTreeMap<String, PatternClass> {
    let text = std::fs::read_to_string(data.join("labels.csv")).expect("labels.csv");
    text.lines()
        .filter_map(|line| {
            let (file, class) = line.split_once(',')?;
            let class = match class.trim() {
                "A" => PatternClass::A,
                "T" => PatternClass::T,
                "L" => PatternClass::L,
                "R" => PatternClass::R,
                "W" => PatternClass::W,
                _ => return None,
            };
            Some((file.to_owned(), class))
        })
        .collect()
}

/// Every WSQ file of `data`, grouped by card, each card's prints in finger order.
fn read_cards(
    data: &std::path::Path,
    labels: &BTreeMap<String, PatternClass>,
) -> BTreeMap<String, Vec<Print>> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(data)
        .expect("the data directory")
        .filter_map(|e| Some(e.ok()?.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "wsq"))
        .collect();
    files.sort();
    let mut cards: BTreeMap<String, Vec<Print>> = BTreeMap::new();
    for path in files {
        let bytes = std::fs::read(&path).expect("a print");
        let history = examiner::history(&bytes).expect("SD14's HISTORY");
        let (Some(card), Some(finger)) = (examiner::card(&history), examiner::finger(&history))
        else {
            panic!("{}: no card or finger in HISTORY", path.display());
        };
        let file = path.file_name().unwrap().to_string_lossy().into_owned();
        let image = input::load(&path, &Default::default())
            .expect("decodes")
            .image;
        cards.entry(card.to_owned()).or_default().push(Print {
            label: labels.get(&file).copied(),
            file,
            finger,
            image,
        });
    }
    for prints in cards.values_mut() {
        prints.sort_by_key(|p| p.finger.index());
    }
    cards
}
