#!/usr/bin/env python3
"""Side-by-side timing of vantay-wsq and the Python `wsq` 0.9 Pillow plugin
(NBIS's C codec), plus encoder size and PSNR against NIST's `cwsq` output.

Run from the workspace root, with a Python that has `wsq==0.9` installed:

    CARGO_TARGET_DIR=... python3 crates/wsq/benches/compare.py

It times Python first, then `cargo bench -p vantay-wsq --bench codec`
(criterion), then Python again, so that a change of machine load between
the two shows. Prints a Markdown table.
"""
import io
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time

from PIL import Image
import wsq  # noqa: F401  (registers the WSQ plugin with Pillow)
import _wsq

DATA = os.path.join(os.path.dirname(__file__), "../../../../shared/data")
SD14 = os.path.join(DATA, "sd14-dev/s0024301.wsq")
RAW = os.path.join(DATA, "nist-reference/wsq/data_finger_gray_raw_finger.raw")
NIST_WSQ = os.path.join(DATA, "nist-reference/wsq/execs_cwsq_finger_nist.wsq")
RUNS = 30


def median_ms(fn, runs=RUNS):
    fn()
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t) * 1000)
    return statistics.median(times)


def python_times():
    sd14 = open(SD14, "rb").read()
    raw = open(RAW, "rb").read()
    finger = Image.frombytes("L", (500, 500), raw)

    def decode():
        Image.open(io.BytesIO(sd14)).load()

    def encode():
        finger.save(io.BytesIO(), "WSQ")  # the plugin's 0.75 bpp setting

    return median_ms(decode), median_ms(encode)


def rust_times():
    out = subprocess.run(
        ["cargo", "bench", "-p", "vantay-wsq", "--bench", "codec", "--",
         "--warm-up-time", "2", "--measurement-time", "5"],
        check=True, capture_output=True, text=True).stdout
    found = {}
    for name, mid, unit in re.findall(r"^(\S+)\s+time:\s+\[\S+ \S+ (\S+) (\S+) \S+ \S+\]", out, re.M):
        found[name] = float(mid) * {"ms": 1.0, "µs": 1e-3, "us": 1e-3, "s": 1000.0}[unit]
    return found["decode_sd14_832x768"], found["encode_finger_500x500_0.75bpp"]


def psnr(a, b):
    se = sum((x - y) ** 2 for x, y in zip(a, b))
    return 10 * __import__("math").log10(255 * 255 / (se / len(a)))


def encoder_comparison():
    raw = open(RAW, "rb").read()
    with tempfile.TemporaryDirectory() as tmp:
        ours_path = os.path.join(tmp, "ours.wsq")
        subprocess.run(["cargo", "run", "-q", "--release", "-p", "vantay-wsq", "--example",
                        "encode_raw", "--", RAW, "500", "500", "0.75", ours_path], check=True)
        ours = open(ours_path, "rb").read()
    nist = open(NIST_WSQ, "rb").read()
    # Both decoded by NBIS's decoder (inside the Python package).
    ours_px = _wsq.decompress(ours)[0]
    nist_px = _wsq.decompress(nist)[0]
    return len(ours), psnr(raw, ours_px), len(nist), psnr(raw, nist_px)


def main():
    py1 = python_times()
    rs = rust_times()
    py2 = python_times()
    size_o, psnr_o, size_n, psnr_n = encoder_comparison()
    print("| task | vantay-wsq (Rust) | Python wsq 0.9 / Pillow, before | after |")
    print("|---|---|---|---|")
    print(f"| decode SD14 print 832×768 | {rs[0]:.2f} ms | {py1[0]:.1f} ms | {py2[0]:.1f} ms |")
    print(f"| encode 500×500 at 0.75 bpp | {rs[1]:.2f} ms | {py1[1]:.1f} ms | {py2[1]:.1f} ms |")
    print()
    print("| encoder output (500×500, 0.75 bpp) | bytes | PSNR vs input (decoded by NBIS) |")
    print("|---|---|---|")
    print(f"| vantay-wsq | {size_o} | {psnr_o:.2f} dB |")
    print(f"| NIST cwsq (execs_cwsq_finger_nist.wsq) | {size_n} | {psnr_n:.2f} dB |")
    print(f"\nload average: {os.getloadavg()}, python {sys.version.split()[0]}")


if __name__ == "__main__":
    main()
