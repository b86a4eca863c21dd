"""Times pyfing 0.7.3's classic chain on the same SD14 prints as
`cargo run --release -p vantay-print --example bench`.

The chain: GMFS segmentation, GBFOE orientation, XSFFE frequency, GBFEN
enhancement (pyfing's non-learned methods). WSQ decoding (the `wsq` Pillow
plugin) is timed separately. Needs: pip install pyfing==0.7.3 wsq==0.9
numpy scipy opencv-python-headless.

    python3 crates/print/benches/pyfing_classic.py [DATA_DIR] [COUNT]
"""
import glob
import os
import statistics
import sys
import time

import numpy as np
import wsq  # noqa: F401  (registers the WSQ plugin with Pillow)
from PIL import Image

# pyfing imports keras at load time for its learned methods; the classic
# chain timed here never calls it, so a stand-in module does where no
# working keras backend is installed.
try:
    import keras  # noqa: F401
except Exception:
    import types
    stand_in = types.ModuleType("keras")
    for name in ("layers", "models", "ops", "saving", "utils", "backend"):
        setattr(stand_in, name, types.ModuleType("keras." + name))
        sys.modules["keras." + name] = getattr(stand_in, name)
    sys.modules["keras"] = stand_in
import pyfing as pf

data = sys.argv[1] if len(sys.argv) > 1 else "../shared/data/sd14-dev"
count = int(sys.argv[2]) if len(sys.argv) > 2 else 20
files = sorted(glob.glob(os.path.join(data, "*.wsq")))[:count]

seg, ori, freq, enh = pf.Gmfs(), pf.Gbfoe(), pf.Xsffe(), pf.Gbfen()
decode_ms, chain_ms = [], []
cpu_before = time.process_time()
for f in files:
    t0 = time.perf_counter()
    img = np.asarray(Image.open(f).convert("L"), dtype=np.uint8)
    t1 = time.perf_counter()
    mask = seg.run(img)
    orientations = ori.run(img, mask, 500)[0]
    frequencies = freq.run(img, mask, orientations, 500)
    enh.run(img, mask, orientations, frequencies, 500)
    t2 = time.perf_counter()
    decode_ms.append((t1 - t0) * 1000)
    chain_ms.append((t2 - t1) * 1000)
cpu_ms = (time.process_time() - cpu_before) * 1000 / len(files)


def summary(ms):
    ms = sorted(ms)
    return f"mean {statistics.mean(ms):.1f} ms, median {ms[len(ms) // 2]:.1f} ms"


print(f"pyfing {pf.__version__ if hasattr(pf, '__version__') else '0.7.3'} classic chain, {len(files)} prints, one thread:"
      f" decode {summary(decode_ms)} ; segmentation-orientation-frequency-enhancement {summary(chain_ms)}")
print(f"pyfing classic chain, CPU time per print, decode included: {cpu_ms:.1f} ms")
