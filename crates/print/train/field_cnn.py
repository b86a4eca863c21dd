"""Cross-validated convolutional classifier on the orientation field.

Reads the field dumped by `evaluate --dump-field PREFIX` (PREFIX.bin:
little-endian f32 [prints, channels, rows, cols], the channels listed at
FINE_COS below; PREFIX.csv: file, class, cols, rows, channels, folds) and
the features of `--dump FILE`,
and measures, on the same stratified 10 folds:
  - the network alone,
  - scikit-learn's RBF SVM on the engine's features (the shipped learner's
    stand-in),
  - the mean of their probabilities.
Nothing of a test fold is seen in training (standardisation included).
Needs `pip install torch scikit-learn numpy` (CPU is enough: about two
minutes per fold on 2 cores); the engine itself never needs Python.

    python3 field_cnn.py PREFIX DUMP.csv [--epochs N] [--seed S] [--out OOF.npy]
    python3 field_cnn.py PREFIX --rust-splits N --out OOF.csv
    python3 field_cnn.py PREFIX --export ../src/field_net.json [--golden FILES]

The shipped network reads `--inputs base,raw` (the default, `base`, is the
sixth round's; docs/benchmarks/print.md has the measured choices).
`--inputs patch` reads instead the grey patch round the core that
`evaluate --dump-patch` writes (tenth round: measured, not shipped), with
`--depth 5` for a fifth convolution.

`--aux DATA_DIR` also teaches the network, beside the class, what the
examiner wrote of each training print in its NISTCOM `HISTORY` (a
whorl's subtype, a loop's ridge count): targets read in training only,
never for a print being scored; the exported network keeps the class
head alone.

`--rust-splits N` trains on the engine's own folds instead (the fold
columns `--dump-field` writes for `evaluate --splits N`) and writes each
print's out-of-fold probabilities, which `evaluate --network-oof` mixes
with the machines of the same folds: the figure that is reported.

`--export` instead trains one network on every print and writes its weights
(batch normalisation folded into the convolutions) for `src/field_net.rs`,
with, for the prints named by `--golden`, the probabilities this network
gives them, which the Rust forward pass must reproduce.
"""

import argparse
import contextlib
import csv
import json
import os
import re
import time
from collections import namedtuple

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from sklearn.model_selection import StratifiedKFold
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC

CLASSES = "ATLRW"


# The channels `evaluate --dump-field` writes per block (its FIELD_CHANNELS);
# a dump of an earlier version has the first four only.
FINE_COS, FINE_SIN, FINE_COH, MASK, RAW_COS, RAW_SIN, COARSE_COS, COARSE_SIN, COARSE_COH, ENERGY, GREY = range(11)
# Then the unsmoothed vector (cos, sin) of each 4-pixel quarter of the
# block: top left, top right, bottom left, bottom right.
QUARTERS = 11


def load(prefix):
    rows = list(csv.DictReader(open(prefix + ".csv")))
    cols, nrows = int(rows[0]["cols"]), int(rows[0]["rows"])
    channels = int(rows[0].get("channels") or 4)
    x = np.fromfile(prefix + ".bin", dtype="<f4").reshape(len(rows), channels, nrows, cols)
    y = np.array([CLASSES.index(r["class"]) for r in rows])
    files = [r["file"] for r in rows]
    splits = sorted(k for k in rows[0] if k.startswith("fold"))
    folds = np.array([[int(r[k]) for k in splits] for r in rows]).reshape(len(rows), -1)
    return files, x, y, folds


# How a mirror changes the input channels: which it negates (the sin 2θ
# parts) and the order it reads them in (left and right quarters trade places).
Mirror = namedtuple("Mirror", "negated order")


def inputs(field, sets="base"):
    """Network input, how a mirror changes its channels, and the input
    planes as `field_net.rs` reads them.

    base: the doubled-angle vector weighted by coherence, on the foreground
    only, and the foreground itself; raw: the unsmoothed block vector;
    coarse: the singular points' smoother field; energy: log gradient
    energy; grey: mean grey; the last two centred and scaled on the
    foreground of every print (no labels are read); quarters: the
    unsmoothed vectors of the block's 4-pixel quarters (measured, no gain:
    the engine does not read them); patch: the normalised grey patch round
    the core that `evaluate --dump-patch` writes (a dump of its own, one
    plane)."""
    m = field[:, MASK] if field.shape[1] > MASK else None
    planes, negated, order, spec = [], [], [], []

    def vector(cos, sin, weight):
        # A doubled-angle vector: its sin part changes sign in a mirror.
        negated.append(len(planes) + 1)
        planes.extend([cos * weight, sin * weight])

    for name in sets.split(","):
        if (name == "patch") != (m is None):
            raise SystemExit(f"--inputs {name}: a patch dump holds the patch alone, a field dump no patch")
        spec.append({"planes": name})
        start = len(planes)
        if name == "base":
            vector(field[:, FINE_COS], field[:, FINE_SIN], field[:, FINE_COH] * m)
            planes.append(m)
        elif name == "raw":
            vector(field[:, RAW_COS], field[:, RAW_SIN], m)
        elif name == "coarse":
            vector(field[:, COARSE_COS], field[:, COARSE_SIN], field[:, COARSE_COH] * m)
        elif name == "patch":
            planes.append(field[:, 0])
        elif name == "quarters":
            for q in range(4):
                vector(field[:, QUARTERS + 2 * q], field[:, QUARTERS + 2 * q + 1], m)
        elif name in ("energy", "grey"):
            v = field[:, ENERGY if name == "energy" else GREY]
            on = v[m > 0]
            spec[-1].update(mean=float(on.mean()), sd=float(on.std()))
            planes.append((v - spec[-1]["mean"]) / spec[-1]["sd"] * m)
        else:
            raise SystemExit(f"unknown input set {name!r}")
        if name == "quarters":
            # In a mirror the left and right quarters trade places.
            order += [start + 2 * (q ^ 1) + j for q in range(4) for j in range(2)]
        else:
            order += range(start, len(planes))
    return np.stack(planes, axis=1).astype(np.float32), Mirror(negated, order), spec


# The examiner's finer reading, as training targets beside the class (`--aux`):
# a whorl's subtype (plain, central pocket, double loop, accidental) and a
# loop's core–delta ridge count.
WHORL_SUBTYPES = "pcdx"


def examiner_targets(data_dir, files):
    """Per print, the whorl subtype's index (-1 where the first code is not
    a whorl's) and the loop's ridge count (NaN where it is not a loop's),
    from each file's NISTCOM `HISTORY` codes (as `src/examiner.rs` reads
    them). Training targets only: the engine never reads them."""
    subtype, count = np.full(len(files), -1), np.full(len(files), np.nan, dtype=np.float32)
    for i, name in enumerate(files):
        head = open(f"{data_dir}/{name}", "rb").read(4096)
        found = re.search(rb"HISTORY (\S+) (\S+)", head)
        if not found:
            continue
        code = found.group(2).decode().split("/")[0].split("_")[0]
        if code.isdigit() and (1 <= int(code) <= 49 or 51 <= int(code) <= 99):
            count[i] = int(code) % 50
        elif len(code) == 2 and code[0] in WHORL_SUBTYPES and code[1] in "imo":
            subtype[i] = WHORL_SUBTYPES.index(code[0])
    return subtype, count


class Net(nn.Module):
    def __init__(self, channels=3, width=16, dropout=0.3, depth=4, aux=False):
        super().__init__()
        widths = [width, 2 * width] + [4 * width] * (depth - 2)
        self.blocks = nn.ModuleList(
            [nn.Conv2d(c_in, c_out, 3, padding=1) for c_in, c_out in zip([channels] + widths, widths)]
        )
        self.norms = nn.ModuleList([nn.BatchNorm2d(c) for c in widths])
        self.drop = nn.Dropout(dropout)
        self.head = nn.Linear(2 * widths[-1], 5)
        # Four subtype logits and the ridge count / 10; never exported.
        self.aux = nn.Linear(2 * widths[-1], len(WHORL_SUBTYPES) + 1) if aux else None

    def forward(self, x, with_aux=False):
        for conv, bn in zip(self.blocks, self.norms):
            x = F.max_pool2d(F.relu(bn(conv(x))), 2)
        # Mean and max over the remaining cells: what is there, and how strongly.
        x = torch.cat([x.mean(dim=(2, 3)), x.amax(dim=(2, 3))], dim=1)
        x = self.drop(x)
        return (self.head(x), self.aux(x)) if with_aux else self.head(x)


def mirror(x, y, mirrored):
    """The print seen in a mirror: columns reversed, sin 2θ negated, L ↔ R.
    `mirrored` is the `Mirror` that `inputs` returns."""
    x = x.flip(-1)[:, mirrored.order].clone()
    x[:, mirrored.negated] = -x[:, mirrored.negated]
    y = y.clone()
    left, right = y == 2, y == 3
    y[left], y[right] = 3, 2
    return x, y


def shift(x, max_shift):
    """Random translation of each field by up to max_shift blocks (zero-filled)."""
    n, _, h, w = x.shape
    out = torch.zeros_like(x)
    for i in range(n):
        dy, dx = np.random.randint(-max_shift, max_shift + 1, size=2)
        ys, yd = (slice(0, h - dy), slice(dy, h)) if dy >= 0 else (slice(-dy, h), slice(0, h + dy))
        xs, xd = (slice(0, w - dx), slice(dx, w)) if dx >= 0 else (slice(-dx, w), slice(0, w + dx))
        out[i, :, yd, xd] = x[i, :, ys, xs]
    return out


def rotate(x, mirrored, max_degrees):
    """Random rotation of each field by up to max_degrees (a print laid a
    little askew on the card): the cells move, and each doubled-angle
    vector (a channel in `mirrored.negated` and the one before it) turns by twice the
    angle."""
    n = len(x)
    phi = (torch.rand(n) * 2 - 1) * np.radians(max_degrees)
    cos, sin = torch.cos(phi), torch.sin(phi)
    zero = torch.zeros(n)
    theta = torch.stack([torch.stack([cos, -sin, zero], 1), torch.stack([sin, cos, zero], 1)], 1)
    grid = F.affine_grid(theta, list(x.shape), align_corners=False)
    out = F.grid_sample(x, grid, align_corners=False)
    # The image turns by −phi when sampling turns by phi (rows point down).
    c2, s2 = torch.cos(-2 * phi)[:, None, None], torch.sin(-2 * phi)[:, None, None]
    for k in mirrored.negated:
        u, v = out[:, k - 1].clone(), out[:, k].clone()
        out[:, k - 1] = c2 * u - s2 * v
        out[:, k] = s2 * u + c2 * v
    return out


def train(x, y, mirrored, epochs, seed, width, max_degrees=0.0, depth=4, start=None, aux=None):
    """A network trained on (x, y); from the weights `start` (a state
    dict, e.g. of `--pretrain`) where given, else from a random start.
    `aux`, where given, is (subtype, count, weight) of `examiner_targets`
    for the same prints, learned beside the class with that weight."""
    torch.manual_seed(seed)
    np.random.seed(seed)
    net = Net(x.shape[1], width, depth=depth, aux=aux is not None)
    if start is not None:
        net.load_state_dict(start)
    counts = np.bincount(y, minlength=5).astype(np.float32)
    weights = torch.tensor((counts.mean() / np.maximum(counts, 1)) ** 0.5)
    opt = torch.optim.AdamW(net.parameters(), lr=2e-3, weight_decay=1e-3)
    sched = torch.optim.lr_scheduler.OneCycleLR(
        opt, max_lr=3e-3, total_steps=epochs * ((len(y) + 31) // 32)
    )
    xt, yt = torch.tensor(x), torch.tensor(y)
    if aux is not None:
        subtype_t, count_t, aux_weight = torch.tensor(aux[0]), torch.tensor(aux[1]), aux[2]
    for _ in range(epochs):
        net.train()
        order = torch.randperm(len(yt))
        for start in range(0, len(yt), 32):
            idx = order[start : start + 32]
            xb, yb = xt[idx], yt[idx]
            flip = torch.rand(len(idx)) < 0.5
            if flip.any():
                xf, yf = mirror(xb[flip], yb[flip], mirrored)
                xb, yb = xb.clone(), yb.clone()
                xb[flip], yb[flip] = xf, yf
            xb = shift(xb, 6)
            if max_degrees > 0:
                xb = rotate(xb, mirrored, max_degrees)
            if aux is None:
                loss = F.cross_entropy(net(xb), yb, weight=weights, label_smoothing=0.05)
            else:
                # A mirror keeps a whorl's subtype and a loop's count.
                logits, extra = net(xb, with_aux=True)
                loss = F.cross_entropy(logits, yb, weight=weights, label_smoothing=0.05)
                sb, cb = subtype_t[idx], count_t[idx]
                if (sb >= 0).any():
                    loss = loss + aux_weight * F.cross_entropy(extra[sb >= 0, :-1], sb[sb >= 0])
                counted = ~torch.isnan(cb)
                if counted.any():
                    loss = loss + aux_weight * F.smooth_l1_loss(extra[counted, -1], cb[counted] / 10)
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
    net.eval()
    return net


def predict_halves(net, x, mirrored):
    """The network's answer for the prints as they are and for their
    mirror images (L and R swapped back), separately."""
    with torch.no_grad():
        xt = torch.tensor(x)
        p = F.softmax(net(xt), dim=1)
        xm, _ = mirror(xt, torch.zeros(len(xt), dtype=torch.long), mirrored)
        pm = F.softmax(net(xm), dim=1)[:, [0, 1, 3, 2, 4]]
        return p.numpy(), pm.numpy()


def mean_of_halves(direct, seen_mirrored):
    """The mean of the print's and its mirror image's answers, as the engine reads it."""
    return (direct + seen_mirrored) / 2


def predict(net, x, mirrored):
    return mean_of_halves(*predict_halves(net, x, mirrored))


def report(name, y, p):
    pred = p.argmax(1)
    overall = (pred == y).mean()
    recalls = [(pred[y == k] == k).mean() for k in range(5)]
    print(
        f"{name:28s} overall {100 * overall:5.1f} %  mean recall {100 * np.mean(recalls):5.1f} %  "
        + " ".join(f"{c}={100 * r:.0f}" for c, r in zip(CLASSES, recalls)),
        flush=True,
    )


def export(net, path, x, mirrored, spec, files, golden):
    """Weights as `field_net.rs` reads them, batch normalisation folded in."""
    convs = []
    for conv, bn in zip(net.blocks, net.norms):
        scale = bn.weight / torch.sqrt(bn.running_var + bn.eps)
        weight = conv.weight * scale[:, None, None, None]
        bias = (conv.bias - bn.running_mean) * scale + bn.bias
        convs.append(
            {
                "inputs": conv.in_channels,
                "outputs": conv.out_channels,
                "weight": [float(v) for v in weight.detach().flatten()],
                "bias": [float(v) for v in bias.detach()],
            }
        )
    head = {
        "inputs": net.head.in_features,
        "weight": [float(v) for v in net.head.weight.detach().flatten()],
        "bias": [float(v) for v in net.head.bias.detach()],
    }
    checks = []
    for name in golden:
        i = files.index(name)
        p = predict(net, x[i : i + 1], mirrored)[0]
        checks.append({"file": name, "probabilities": [float(v) for v in p]})
    with open(path, "w") as out:
        json.dump({"inputs": spec, "convs": convs, "head": head, "checks": checks}, out)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("prefix")
    ap.add_argument("dump", nargs="?")
    ap.add_argument("--export")
    ap.add_argument("--golden", default="s0024301.wsq,s0024302.wsq")
    # 30: what the shipped network and every measured figure used.
    ap.add_argument("--epochs", type=int, default=30)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--width", type=int, default=16)
    ap.add_argument("--depth", type=int, default=4, help="convolutions, each followed by 2 x 2 pooling")
    ap.add_argument("--folds", type=int, default=10)
    ap.add_argument("--out")
    ap.add_argument("--rust-splits", type=int, default=0)
    ap.add_argument("--from-split", type=int, default=0, help="with --rust-splits: skip the splits before this one")
    ap.add_argument("--inputs", default="base", help="comma list of: base, raw, coarse, energy, grey, quarters")
    ap.add_argument("--rotate", type=float, default=0.0, help="random rotations in training, up to this many degrees")
    ap.add_argument(
        "--pretrain",
        help="a field dump of other prints (synthetic ones: `synthetic --write-set`) every network "
        "is first trained on, then trained further on its folds (fourteenth round)",
    )
    ap.add_argument("--pretrain-epochs", type=int, default=20)
    ap.add_argument(
        "--aux",
        help="the folder of the prints: also learn, beside the class, the examiner's whorl subtype and "
        "loop ridge count from their HISTORY codes (fifteenth round)",
    )
    ap.add_argument("--aux-weight", type=float, default=0.5)
    ap.add_argument(
        "--halves",
        help="with --rust-splits: also write the answers for the print as it is and for its mirror "
        "separately (a `half` column: direct, mirror), to study pairing different networks' halves",
    )
    args = ap.parse_args()
    torch.set_num_threads(int(os.environ.get("FIELD_CNN_THREADS", "2")))
    files, field, y, rust_folds = load(args.prefix)
    if args.rotate and "quarters" in args.inputs:
        raise SystemExit("--rotate cannot turn the quarters' places within a block")
    x, mirrored, spec = inputs(field, args.inputs)
    aux = examiner_targets(args.aux, files) if args.aux else None
    if aux is not None:
        print(f"examiner's targets: {(aux[0] >= 0).sum()} whorl subtypes, {(~np.isnan(aux[1])).sum()} loop counts")
    start = None
    if args.pretrain:
        # Nothing of SD14 is read here: the same start serves every fold.
        _, other, other_y, _ = load(args.pretrain)
        xo, _, _ = inputs(other, args.inputs)
        t0 = time.time()
        net = train(xo, other_y, mirrored, args.pretrain_epochs, args.seed, args.width, args.rotate, args.depth)
        print(f"pretrained on {len(other_y)} prints of {args.pretrain}: {time.time() - t0:.0f} s", flush=True)
        report("  pretrained, on SD14", y, predict(net, x, mirrored))
        start = net.state_dict()
    if args.export:
        every_aux = None if aux is None else (aux[0], aux[1], args.aux_weight)
        net = train(x, y, mirrored, args.epochs, args.seed, args.width, args.rotate, args.depth, start, every_aux)
        export(net, args.export, x, mirrored, spec, files, args.golden.split(","))
        return
    if args.rust_splits:
        # The engine's own folds (evaluate --dump-field --splits N): the
        # network's out-of-fold probabilities, for evaluate --network-oof.
        def write(file, fields, probabilities):
            file.write(",".join([*fields, *(f"{v:.6f}" for v in probabilities)]) + "\n")

        halves_file = open(args.halves, "w") if args.halves else contextlib.nullcontext()
        with open(args.out, "w") as out, halves_file as halves:
            out.write("file,split,A,T,L,R,W\n")
            if halves:
                halves.write("file,split,half,A,T,L,R,W\n")
            for split in range(args.from_split, args.rust_splits):
                p = np.zeros((len(y), 5))
                fold_of = rust_folds[:, split]
                t0 = time.time()
                for k in range(fold_of.max() + 1):
                    tr, te = fold_of != k, fold_of == k
                    seed = 100_000 * args.seed + 1000 * split + k
                    fold_aux = None if aux is None else (aux[0][tr], aux[1][tr], args.aux_weight)
                    net = train(
                        x[tr], y[tr], mirrored, args.epochs, seed, args.width, args.rotate, args.depth, start, fold_aux
                    )
                    direct, seen_mirrored = predict_halves(net, x[te], mirrored)
                    p[te] = mean_of_halves(direct, seen_mirrored)
                    if halves:
                        for half, q in (("direct", direct), ("mirror", seen_mirrored)):
                            for i, row in zip(np.flatnonzero(te), q):
                                write(halves, (files[i], str(split), half), row)
                print(f"split {split}: {time.time() - t0:.0f} s", flush=True)
                report(f"network, split {split}", y, p)
                for name, q in zip(files, p):
                    write(out, (name, str(split)), q)
                out.flush()
        return
    feats = {r[0]: np.array([float(v) for v in r[2:]]) for r in csv.reader(open(args.dump))}
    f = np.stack([feats[name] for name in files])
    counts = np.bincount(y, minlength=5).astype(np.float64)
    class_weight = {k: (counts.mean() / counts[k]) ** 0.5 for k in range(5)}
    p_cnn = np.zeros((len(y), 5))
    p_svm = np.zeros((len(y), 5))
    folds = StratifiedKFold(args.folds, shuffle=True, random_state=args.seed)
    t0 = time.time()
    for k, (tr, te) in enumerate(folds.split(x, y)):
        net = train(x[tr], y[tr], mirrored, args.epochs, args.seed * 100 + k, args.width, args.rotate, args.depth)
        p_cnn[te] = predict(net, x[te], mirrored)
        scaler = StandardScaler().fit(f[tr])
        svm = SVC(C=1.0, gamma="scale", class_weight=class_weight, probability=True, random_state=0)
        svm.fit(scaler.transform(f[tr]), y[tr])
        p_svm[te] = svm.predict_proba(scaler.transform(f[te]))
        print(f"fold {k}: {time.time() - t0:.0f} s", flush=True)
        report("  network so far", y[te], p_cnn[te])
    report("network", y, p_cnn)
    report("svm (scikit-learn)", y, p_svm)
    for w in (0.3, 0.5, 0.7):
        report(f"mean, network weight {w}", y, w * p_cnn + (1 - w) * p_svm)
    if args.out:
        np.save(args.out, np.stack([p_cnn, p_svm]))


if __name__ == "__main__":
    main()
