//! Overlays for review: the print with its foreground, orientation, cores,
//! deltas and ridge-count lines drawn on it, and for a whorl what its
//! subtype was read from.

use image::{GrayImage, ImageEncoder, Rgb, RgbImage};

use crate::analysis::Analysis;
use crate::classify::{self, PatternClass};
use crate::flow;

const BACKGROUND_TINT: Rgb<u8> = Rgb([40, 40, 120]);
const ORIENTATION: Rgb<u8> = Rgb([0, 170, 0]);
const CORE: Rgb<u8> = Rgb([230, 0, 0]);
const DELTA: Rgb<u8> = Rgb([0, 90, 255]);
const COUNT_LINE: Rgb<u8> = Rgb([255, 150, 0]);
/// A whorl's middle ridge and the line between its deltas, which its
/// subtype was read from.
const SUBTYPE_EVIDENCE: Rgb<u8> = Rgb([220, 0, 220]);

/// Draws `analysis` over `image`: background blocks tinted, a short line per
/// 16-pixel cell along the ridge direction, cores as red circles with their
/// direction, deltas as blue triangles, and in orange the lines the ridges
/// were counted along ([`crate::Details::count_lines`], which only an
/// analysis just made holds). For a whorl, in magenta, the pseudo-ridge
/// through the point midway between its two cores and the line between
/// its deltas: a double loop's middle ridge winds round each head and
/// leaves, a plain whorl's circles; a central pocket's delta line crosses
/// no circuit ([`classify::whorl_evidence`]).
pub fn draw(image: &GrayImage, analysis: &Analysis) -> RgbImage {
    let mut out = RgbImage::from_fn(image.width(), image.height(), |x, y| {
        let g = image.get_pixel(x, y).0[0];
        Rgb([g, g, g])
    });
    tint_background(&mut out, analysis);
    draw_orientation(&mut out, analysis);
    let lines = analysis.details.count_lines.iter();
    for (line_counted, count) in lines.zip(&analysis.ridge_counts) {
        if let (Some((from, to)), true) = (line_counted, *count > 0) {
            line(&mut out, *from, *to, COUNT_LINE);
        }
    }
    if analysis.class == PatternClass::W {
        draw_whorl_evidence(&mut out, analysis);
    }
    for core in &analysis.cores {
        let (x, y) = (core.x as f32, core.y as f32);
        circle(&mut out, (x, y), 10.0, CORE);
        circle(&mut out, (x, y), 11.0, CORE);
        let a = core.angle_deg.to_radians();
        line(
            &mut out,
            (x, y),
            (x + 24.0 * a.cos(), y - 24.0 * a.sin()),
            CORE,
        );
    }
    for delta in &analysis.deltas {
        triangle(&mut out, (delta.x as f32, delta.y as f32), 12.0, DELTA);
    }
    out
}

/// [`draw`], encoded as PNG.
pub fn png(image: &GrayImage, analysis: &Analysis) -> Result<Vec<u8>, image::ImageError> {
    let rgb = draw(image, analysis);
    let mut bytes = Vec::new();
    image::codecs::png::PngEncoder::new(&mut bytes).write_image(
        rgb.as_raw(),
        rgb.width(),
        rgb.height(),
        image::ExtendedColorType::Rgb8,
    )?;
    Ok(bytes)
}

fn tint_background(out: &mut RgbImage, analysis: &Analysis) {
    let mask = &analysis.details.mask;
    let b = analysis.details.orientation.block.max(1) as u32;
    for (x, y, p) in out.enumerate_pixels_mut() {
        let (c, r) = ((x / b) as usize, (y / b) as usize);
        let inside = c < mask.cols && r < mask.rows && mask.get(c, r) != 0;
        if !inside {
            for k in 0..3 {
                p.0[k] = ((u16::from(p.0[k]) * 2 + u16::from(BACKGROUND_TINT.0[k])) / 3) as u8;
            }
        }
    }
}

/// The lines [`classify::whorl_evidence`] reads, on the points and field
/// the subtype was read from.
fn draw_whorl_evidence(out: &mut RgbImage, analysis: &Analysis) {
    let details = &analysis.details;
    let (field, mask) = (&details.orientation, &details.mask);
    let block = field.block as f32;
    if let Some((x, y)) = classify::middle_of_two_cores(&details.singular) {
        let ridge = flow::path(field, mask, x / block, y / block);
        for pair in ridge.windows(2) {
            let at = |(c, r): (f32, f32)| (c * block, r * block);
            line(out, at(pair[0]), at(pair[1]), SUBTYPE_EVIDENCE);
        }
    }
    if let Some((from, to)) = classify::delta_line(&details.singular) {
        line(out, from, to, SUBTYPE_EVIDENCE);
    }
}

fn draw_orientation(out: &mut RgbImage, analysis: &Analysis) {
    let field = &analysis.details.orientation;
    let mask = &analysis.details.mask;
    let (cols, rows) = field.dims();
    let b = field.block as f32;
    for r in (1..rows).step_by(2) {
        for c in (1..cols).step_by(2) {
            if mask.get(c, r) == 0 {
                continue;
            }
            let theta = field.angle(c, r);
            let (x, y) = (c as f32 * b, r as f32 * b);
            let (dx, dy) = (6.0 * theta.cos(), 6.0 * theta.sin());
            line(out, (x - dx, y - dy), (x + dx, y + dy), ORIENTATION);
        }
    }
}

fn put(out: &mut RgbImage, x: f32, y: f32, colour: Rgb<u8>) {
    if x >= 0.0 && y >= 0.0 && (x as u32) < out.width() && (y as u32) < out.height() {
        out.put_pixel(x as u32, y as u32, colour);
    }
}

fn line(out: &mut RgbImage, from: (f32, f32), to: (f32, f32), colour: Rgb<u8>) {
    let steps = (to.0 - from.0)
        .abs()
        .max((to.1 - from.1).abs())
        .ceil()
        .max(1.0) as usize;
    for i in 0..=steps {
        let t = i as f32 / steps as f32;
        put(
            out,
            from.0 + t * (to.0 - from.0),
            from.1 + t * (to.1 - from.1),
            colour,
        );
    }
}

fn circle(out: &mut RgbImage, centre: (f32, f32), radius: f32, colour: Rgb<u8>) {
    for k in 0..96 {
        let a = k as f32 * std::f32::consts::TAU / 96.0;
        put(
            out,
            centre.0 + radius * a.cos(),
            centre.1 + radius * a.sin(),
            colour,
        );
    }
}

fn triangle(out: &mut RgbImage, centre: (f32, f32), size: f32, colour: Rgb<u8>) {
    let corners: Vec<(f32, f32)> = (0..3)
        .map(|k| {
            let a = -std::f32::consts::FRAC_PI_2 + k as f32 * std::f32::consts::TAU / 3.0;
            (centre.0 + size * a.cos(), centre.1 + size * a.sin())
        })
        .collect();
    for k in 0..3 {
        line(out, corners[k], corners[(k + 1) % 3], colour);
    }
}
