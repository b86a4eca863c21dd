"""Ridge enhancement of the PCASYS kind, for the fifth-round experiment of
docs/benchmarks/print.md (measured, not shipped).

Each 32 x 32 tile (step 16, Hann-windowed, overlap-added) is Fourier
transformed; its spectrum is kept only in the ridge band (periods 5-16 px)
and multiplied by its own magnitude raised to K (0.4), which strengthens the
dominant ridge wave against noise. Reads the PNGs of SRC (made with
`vantay print convert`), writes the enhanced PNGs to DST:

    python3 fft_enhance.py SRC DST [K]

then `evaluate --png-dir DST --mask-from RAW_CACHE` measures them with the
foreground of the unenhanced prints.
"""
import os
import sys
from concurrent.futures import ProcessPoolExecutor

import numpy as np
from PIL import Image

TILE, STEP = 32, 16
WINDOW = np.outer(np.hanning(TILE + 2)[1:-1], np.hanning(TILE + 2)[1:-1])
_FY = np.fft.fftfreq(TILE)[:, None] * TILE
_FX = np.fft.rfftfreq(TILE)[None, :] * TILE
_RADIUS = np.hypot(_FY, _FX)
BAND = ((_RADIUS >= TILE / 16) & (_RADIUS <= TILE / 5)).astype(float)


def enhance(image, k):
    h, w = image.shape
    pad_y, pad_x = (-(h - TILE)) % STEP + STEP, (-(w - TILE)) % STEP + STEP
    padded = np.pad(image, ((STEP, pad_y), (STEP, pad_x)), mode="reflect")
    rows = range(0, padded.shape[0] - TILE + 1, STEP)
    cols = range(0, padded.shape[1] - TILE + 1, STEP)
    tiles = np.stack([padded[y:y + TILE, x:x + TILE] for y in rows for x in cols])
    tiles = tiles - tiles.mean(axis=(1, 2), keepdims=True)
    spectrum = np.fft.rfft2(tiles * WINDOW)
    spectrum = spectrum * np.abs(spectrum) ** k * BAND
    tiles = np.fft.irfft2(spectrum, s=(TILE, TILE)) * WINDOW
    out = np.zeros_like(padded)
    weight = np.zeros_like(padded)
    i = 0
    for y in rows:
        for x in cols:
            out[y:y + TILE, x:x + TILE] += tiles[i]
            weight[y:y + TILE, x:x + TILE] += WINDOW ** 2
            i += 1
    out = (out / np.maximum(weight, 1e-3))[STEP:STEP + h, STEP:STEP + w]
    lo, hi = np.percentile(out, 1), np.percentile(out, 99)
    return np.clip((out - lo) / (hi - lo) * 255, 0, 255).astype(np.uint8)


def one(args):
    src, dst, name, k = args
    image = np.asarray(Image.open(os.path.join(src, name)), dtype=np.float32)
    Image.fromarray(enhance(image, k)).save(os.path.join(dst, name))


def main():
    src, dst = sys.argv[1], sys.argv[2]
    k = float(sys.argv[3]) if len(sys.argv) > 3 else 0.4
    os.makedirs(dst, exist_ok=True)
    names = sorted(n for n in os.listdir(src) if n.endswith(".png"))
    with ProcessPoolExecutor() as pool:
        list(pool.map(one, [(src, dst, n, k) for n in names]))


if __name__ == "__main__":
    main()
