"""What knowing the finger adds to the class: a prior per finger.

A centre always knows which finger a print is (the capture bundle names
R1..L5), and the classes are far from evenly spread over the fingers: on
SD14's 899 prints the left index holds 15 of the 32 tented arches, and a
right hand's loops are right loops on every finger but the index. The
engine's answer (its probabilities, calibrated) is multiplied, class by
class, by how much more or less often that class is seen on that finger
than on any finger, raised to a power `strength`, and normalised again:

    p'(c) ∝ p(c) · (P(c | finger) / P(c)) ** strength

Both frequencies come from the training folds only (every print scored was
not counted), smoothed towards the overall frequency by `smoothing` prints'
worth. Two ways of counting: `finger`, each of the ten fingers apart; and
`digit`, the two hands pooled per digit (thumb, index, …), with a loop
counted as ulnar or radial (a right hand's right loop is ulnar, a left
hand's left loop), then turned back into left and right by the hand: twice
the prints per cell.

The finger is read from SD14's `HISTORY` field, the card's scan name
(`tape205.n0407065.02`: position 2), which says where on the card the
print was taken, as the centre's capture does; the examiner's codes in the
same field are not read.

Reads out-of-fold probabilities in the layout of `evaluate
--write-machines-oof` and `field_cnn.py --out` (file,split,A,T,L,R,W), and
the labels and folds from the field dump's CSV. With a network's answers as
well, scores the shipped mix (`model::Mix::SHIPPED`) with the prior on top.
The strength and the smoothing are chosen nested: each fold is decided with
the values that scored best on the other nine folds.

    python3 finger_prior.py DATA_DIR FIELD.csv MACHINES.csv [NET.csv]
    python3 finger_prior.py DATA_DIR FIELD.csv --export src/finger_prior.json --strength S --smoothing M

`--export` counts the digit table on every labelled print and writes it as
`finger_prior.rs` reads it.
"""

import argparse
import collections
import csv
import itertools
import json
import os
import re

import numpy as np

CLASSES = "ATLRW"
A, T, L, R, W = range(5)
STRENGTHS = (0.0, 0.25, 0.5, 0.75, 1.0, 1.25, 1.5)
SMOOTHINGS = (2.0, 5.0, 10.0, 20.0)


def finger_positions(data_dir, files):
    """{file: position 1..10} from each WSQ file's NISTCOM `HISTORY` scan name."""
    out = {}
    for name in files:
        with open(os.path.join(data_dir, name), "rb") as f:
            head = f.read(4096)
        found = re.search(rb"HISTORY \S+ \S+ (\S+)", head)
        if not found:
            raise SystemExit(f"{name}: no HISTORY scan name to read the finger from")
        out[name] = int(found.group(1).rsplit(b".", 1)[-1])
    return out


def read_oof(path):
    out = {}
    for row in csv.DictReader(open(path)):
        out.setdefault(int(row["split"]), {})[row["file"]] = np.array([float(row[c]) for c in CLASSES])
    return out


def read_field(path):
    """Labels and folds per split, from the field dump's CSV."""
    labels, folds = {}, {}
    for row in csv.DictReader(open(path)):
        if row["class"] not in CLASSES:
            continue
        labels[row["file"]] = CLASSES.index(row["class"])
        folds[row["file"]] = [int(row[k]) for k in row if k.startswith("fold")]
    return labels, folds


def is_right_hand(position):
    return position <= 5


def to_digit_classes(y, position):
    """A, T, ulnar, radial, W: a loop's side named by the hand."""
    ulnar = R if is_right_hand(position) else L
    if y in (L, R):
        return 2 if y == ulnar else 3
    return {A: 0, T: 1, W: 4}[y]


def priors(y_train, pos_train, mode, smoothing):
    """ratio[position - 1][class] = P(class | finger) / P(class), smoothed."""
    overall = np.bincount(y_train, minlength=5).astype(float) + 0.5
    overall /= overall.sum()
    ratio = np.ones((10, 5))
    for position in range(1, 11):
        if mode == "finger":
            mine = y_train[pos_train == position]
            counts = np.bincount(mine, minlength=5).astype(float)
            p = (counts + smoothing * overall) / (len(mine) + smoothing)
        else:
            digit = (position - 1) % 5
            same_digit = (pos_train - 1) % 5 == digit
            mapped = [to_digit_classes(c, q) for c, q in zip(y_train[same_digit], pos_train[same_digit])]
            counts = np.bincount(np.array(mapped, dtype=int), minlength=5).astype(float)
            ulnar, radial = (R, L) if is_right_hand(position) else (L, R)
            by_class = np.zeros(5)
            by_class[A], by_class[T], by_class[W] = counts[0], counts[1], counts[4]
            by_class[ulnar], by_class[radial] = counts[2], counts[3]
            p = (by_class + smoothing * overall) / (same_digit.sum() + smoothing)
        ratio[position - 1] = p / overall
    return ratio


def apply(p, pos, ratio, strength):
    q = p * ratio[pos - 1] ** strength
    return q / q.sum(axis=1, keepdims=True)


def export(path, y, pos, strength, smoothing, count):
    ratio = priors(y, pos, "digit", smoothing)
    counted_on = f"SD14 sd14-dev, {count} labelled prints, hands pooled per digit (train/finger_prior.py)"
    # One finger a line, R1 to L5, classes A T L R W: readable in a diff.
    rows = ",\n".join("  " + json.dumps([round(float(v), 4) for v in row]) for row in ratio)
    with open(path, "w") as out:
        out.write(f'{{"strength": {strength}, "smoothing": {smoothing}, "counted_on": {json.dumps(counted_on)},\n')
        out.write(f' "ratios": [\n{rows}\n]}}\n')


def referral(y, p, threshold=0.9):
    """Share of prints stated under `threshold` (rounded as the JSON gives
    it) and how often the class is right on the rest."""
    stated = np.round(p.max(1), 2)
    kept = stated >= threshold
    right = p.argmax(1) == y
    return 1 - kept.mean(), right[kept].mean()


def scores(y, pred):
    recalls = [(pred[y == k] == k).mean() for k in range(5)]
    return (pred == y).mean(), float(np.mean(recalls))


def objective(y, pred):
    """What a choice is made for: the sum of overall accuracy and mean
    recall, the issue's two figures."""
    return sum(scores(y, pred))


def run(name, answers, y, pos, fold_of, mode, fixed=None):
    """The prior's figures on one split: each fold decided with the strength
    and smoothing chosen on the other nine (or `fixed`)."""
    probs = np.zeros_like(answers)
    chosen = []
    for k in range(fold_of.max() + 1):
        test, train = fold_of == k, fold_of != k
        candidates = [fixed] if fixed else list(itertools.product(STRENGTHS, SMOOTHINGS))

        def inner(strength, smoothing):
            # The other nine folds, each scored with a prior counted on the
            # eight others and itself left out.
            guess = np.zeros(len(y), dtype=int)
            for j in range(fold_of.max() + 1):
                if j == k:
                    continue
                held, fit = fold_of == j, train & (fold_of != j)
                ratio = priors(y[fit], pos[fit], mode, smoothing)
                guess[held] = apply(answers[held], pos[held], ratio, strength).argmax(1)
            return objective(y[train], guess[train])

        best = max(candidates, key=lambda c: inner(*c)) if len(candidates) > 1 else candidates[0]
        chosen.append(best)
        ratio = priors(y[train], pos[train], mode, best[1])
        probs[test] = apply(answers[test], pos[test], ratio, best[0])
    return probs, chosen


def confusion(y, pred):
    lines = ["| truth \\ predicted | A | T | L | R | W | recall |", "|---|---|---|---|---|---|---|"]
    for t in range(5):
        row = [int(((y == t) & (pred == p)).sum()) for p in range(5)]
        lines.append(f"| {CLASSES[t]} | " + " | ".join(map(str, row)) + f" | {100 * row[t] / max(1, sum(row)):.1f} % |")
    return "\n".join(lines)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("data_dir")
    ap.add_argument("field_csv")
    ap.add_argument("machines", nargs="?")
    ap.add_argument("network", nargs="?")
    ap.add_argument("--export", help="write the digit table counted on every print here")
    ap.add_argument("--strength", type=float, default=0.5)
    ap.add_argument("--smoothing", type=float, default=10.0)
    ap.add_argument("--weight", type=float, default=0.7, help="the network's share of the mix (shipped 0.7)")
    ap.add_argument("--sharpness", type=float, default=1.75, help="the mix's power (shipped 1.75)")
    args = ap.parse_args()
    labels, folds = read_field(args.field_csv)
    files = sorted(labels)
    pos = np.array([finger_positions(args.data_dir, files)[f] for f in files])
    y = np.array([labels[f] for f in files])
    if args.export:
        export(args.export, y, pos, args.strength, args.smoothing, len(files))
        return
    machines = read_oof(args.machines)
    network = read_oof(args.network) if args.network else None
    fold_table = np.array([folds[f] for f in files])
    splits = sorted(machines)
    if network:
        splits = [s for s in splits if s in network]
    print(f"{len(files)} prints, splits {splits}")
    pooled = {}
    for s in splits:
        own = np.stack([machines[s][f] for f in files])
        if network:
            net = np.stack([network[s][f] for f in files])
            p = (args.weight * net + (1 - args.weight) * own) ** args.sharpness
            answers = p / p.sum(axis=1, keepdims=True)
        else:
            answers = own
        fold_of = fold_table[:, s]
        rows = [("without a prior", answers, None)]
        for mode in ("finger", "digit"):
            probs, chosen = run(mode, answers, y, pos, fold_of, mode)
            rows.append((f"prior by {mode}, nested", probs, chosen))
            probs, _ = run(mode, answers, y, pos, fold_of, mode, fixed=(args.strength, args.smoothing))
            rows.append((f"prior by {mode}, {args.strength:g}/{args.smoothing:g}", probs, None))
        for name, probs, chosen in rows:
            overall, recall = scores(y, probs.argmax(1))
            pooled.setdefault(name, []).append(probs)
            picks = ""
            if chosen:
                tally = collections.Counter(chosen)
                picks = " chosen " + ", ".join(f"{a:g}/{b:g} ×{tally[(a, b)]}" for a, b in sorted(tally))
            print(f"split {s}: {name:28s} {100 * overall:5.1f} / {100 * recall:5.1f}{picks}")
    for name, all_probs in pooled.items():
        probs = np.concatenate(all_probs)
        pred = probs.argmax(1)
        yy = np.tile(y, len(all_probs))
        overall, recall = scores(yy, pred)
        referred, kept_right = referral(yy, probs)
        print(
            f"\n### {name}, {len(all_probs)} split(s) pooled: {100 * overall:.1f} / {100 * recall:.1f}; "
            f"under 0.9: {100 * referred:.1f} % referred, {100 * kept_right:.1f} % right on the rest\n"
        )
        print(confusion(yy, pred))


if __name__ == "__main__":
    main()
