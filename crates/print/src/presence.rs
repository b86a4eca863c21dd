//! Is there a fingerprint in the image at all?
//!
//! The pipeline always answers with a class, and on a blank scan, a scan of
//! the glass or a picture of something else that answer is noise (a white
//! page reads as a whorl at 0.4). What decides is the foreground of
//! [`crate::mask`]: the blocks whose gradients are strong and agree on a
//! direction. Ridges over less than [`MIN_RIDGE_AREA_MM2`] cannot carry a
//! pattern (a loop's core and delta lie 3–10 mm apart), so such an image is
//! refused with [`NoPrint`] rather than read: at the front desk, so that
//! the clerk scans the finger again while the customer is there, and by the
//! engine, so that no reading is made up.

use image::GrayImage;

use crate::grid::Grid;
use crate::mask;
use crate::orientation::BlockTensors;
use crate::params::Params;

/// Least area of ridges, square millimetres, for an image to count as a
/// fingerprint: a 5 mm square. The foregrounds of the 899 SD14 rolled
/// prints cover 233–1 243 mm² (median 654); even a small flat sensor's
/// 13 × 13 mm window holds over 160.
pub const MIN_RIDGE_AREA_MM2: f32 = 25.0;

/// The image holds no fingerprint the engine can read.
#[derive(Clone, Copy, Debug, PartialEq, thiserror::Error)]
#[error(
    "no fingerprint found: ridges cover {area_mm2:.0} mm² of the image, and at least \
     {MIN_RIDGE_AREA_MM2:.0} mm² are needed to read a pattern; scan the finger again"
)]
pub struct NoPrint {
    /// The area the ridges cover, square millimetres.
    pub area_mm2: f32,
}

/// Area, square millimetres, of the foreground blocks of `mask` (side
/// `block` pixels) in an image scanned at `ppi`.
pub fn ridge_area_mm2(mask: &Grid<u8>, block: usize, ppi: u16) -> f32 {
    let blocks = mask.data.iter().filter(|&&m| m != 0).count();
    let mm_per_pixel = 25.4 / f32::from(ppi.max(1));
    blocks as f32 * (block as f32 * mm_per_pixel).powi(2)
}

/// `Ok(area)` when the ridges of `mask` cover enough of the image.
pub fn check_mask(mask: &Grid<u8>, block: usize, ppi: u16) -> Result<f32, NoPrint> {
    let area_mm2 = ridge_area_mm2(mask, block, ppi);
    if area_mm2 < MIN_RIDGE_AREA_MM2 {
        Err(NoPrint { area_mm2 })
    } else {
        Ok(area_mm2)
    }
}

/// Checks an image without analysing it (the pipeline's first two stages
/// only, a few milliseconds): for the front desk.
pub fn check(image: &GrayImage, ppi: u16) -> Result<f32, NoPrint> {
    let params = Params::for_ppi(ppi);
    let mut foreground = Grid::default();
    mask::foreground(
        image,
        &params,
        &mut BlockTensors::default(),
        &mut foreground,
    );
    check_mask(&foreground, params.block, ppi)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn area_counts_foreground_blocks_at_the_scan_resolution() {
        let mut mask = Grid::new(10, 10);
        for i in 0..50 {
            mask.data[i] = 1;
        }
        // 50 blocks of 8 × 8 px at 500 ppi: 50 × (8 × 0.0508 mm)² ≈ 8.26 mm².
        let area = ridge_area_mm2(&mask, 8, 500);
        assert!((area - 8.258).abs() < 0.01, "{area}");
        assert!((ridge_area_mm2(&mask, 8, 1000) - area / 4.0).abs() < 0.01);
        assert_eq!(check_mask(&mask, 8, 500), Err(NoPrint { area_mm2: area }));
    }

    #[test]
    fn a_blank_page_and_pure_noise_hold_no_print() {
        let white = GrayImage::from_pixel(500, 500, image::Luma([255]));
        assert_eq!(check(&white, 500), Err(NoPrint { area_mm2: 0.0 }));
        let mut state = 0x2545_F491_4F6C_DD1Du64;
        let noise = GrayImage::from_fn(400, 400, |_, _| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            image::Luma([(state >> 56) as u8])
        });
        let refused = check(&noise, 500).expect_err("noise is no print");
        assert!(refused.area_mm2 < MIN_RIDGE_AREA_MM2);
        let message = refused.to_string();
        assert!(message.contains("no fingerprint") && message.contains("scan the finger again"));
    }
}
