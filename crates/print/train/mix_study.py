"""How the field network's and the machines' answers are best combined.

Reads the out-of-fold probabilities of both learners on the engine's own
splits (`field_cnn.py --rust-splits N --out NET.csv` and `evaluate --splits
N --write-machines-oof MACHINES.csv`), the labels and folds from the field
dump's CSV, and scores combinations as `model::Mix::apply` computes them
(the network's weight, the sharpening power), with a decision weight per
class on top (the probabilities multiplied by it before the largest is
taken; the engine has none, see below).

Choices are made on the splits named by `--choose-on` and shown on the
others; but every split holds every print, so that only guards against the
luck of one fold partition. The nested figures at the end are the honest
ones: each fold decided with the weights chosen on the other nine folds'
answers alone. Measured on the eighth round's answers, the arch and
tented-arch weights that looked best on split 0 (1.5 and 2: 93.5 % / 91.0 %
on splits 1–2 against 93.8 / 89.3 unweighted) give 93.3 / 88.8 nested, no
better than none, so the engine does not weigh classes.

NET.csv may be a comma list of several networks' answers (other seeds,
other inputs): each is then scored alone first, which shows how far two
trainings of the same network differ, and the rest of the study reads the
mean of their probabilities, as an ensemble of them would answer
(`--member-weights` weighs it; with two members the share of the second
and the networks' weight in the mix are also chosen nested, as a second
network beside the shipped one would have to be: the tenth round's patch
network).
A `field_cnn.py --halves` CSV names one half of each answer as
`HALVES.csv:direct` or `HALVES.csv:mirror`, so that `S0.csv:direct,S1.csv:mirror`
is two networks sharing the two passes the engine makes.

    python3 mix_study.py FIELD.csv NET.csv[,NET2.csv…] MACHINES.csv [--choose-on 0]
"""

import argparse
import csv
import itertools

import numpy as np

CLASSES = "ATLRW"


def read_oof(path):
    """{split: {file: probabilities}} from a `file,split,A,T,L,R,W` CSV, or,
    for `PATH:direct` or `PATH:mirror`, that half of a `field_cnn.py
    --halves` CSV (the answers for the print as it is, or for its mirror)."""
    path, _, half = path.partition(":")
    out = {}
    rows = csv.DictReader(open(path))
    if ("half" in rows.fieldnames) != bool(half):
        raise SystemExit(f"{path}: name a half (:direct or :mirror) of a --halves file, and of no other")
    for row in rows:
        if row.get("half", half) != half:
            continue
        out.setdefault(int(row["split"]), {})[row["file"]] = np.array([float(row[c]) for c in CLASSES])
    if not out:
        raise SystemExit(f"{path}: no answers" + (f" for the half {half!r}" if half else ""))
    return out


def mix(net, own, weight, sharpness, decision=None, geometric=False):
    if geometric:
        # Log-linear pooling instead of the engine's arithmetic mean.
        p = np.exp(sharpness * (weight * np.log(net + 1e-9) + (1 - weight) * np.log(own + 1e-9)))
    else:
        p = (weight * net + (1 - weight) * own) ** sharpness
    p /= p.sum(axis=1, keepdims=True)
    if decision is not None:
        p = p * decision
        p /= p.sum(axis=1, keepdims=True)
    return p


def scores(y, pred):
    """Overall accuracy and mean per-class recall of predicted classes."""
    recalls = [(pred[y == k] == k).mean() for k in range(5)]
    return (pred == y).mean(), float(np.mean(recalls))


def calibration_error(y, p, bins=(0.5, 0.7, 0.9)):
    conf = p.max(1)
    right = p.argmax(1) == y
    edges = (0.0, *bins, 1.01)
    total = 0.0
    for lo, hi in zip(edges, edges[1:]):
        inside = (conf >= lo) & (conf < hi)
        if inside.any():
            total += inside.sum() * abs(right[inside].mean() - conf[inside].mean())
    return total / len(y)


def arrays(net, own, labels, splits):
    """{split: (labels, network probabilities, machines' probabilities)},
    the prints in file-name order."""
    out = {}
    for s in splits:
        files = sorted(net[s])
        out[s] = (
            np.array([labels[f] for f in files]),
            np.stack([net[s][f] for f in files]),
            np.stack([own[s][f] for f in files]),
        )
    return out


def members_alone(members, own, splits, labels, args):
    """Each network of an ensemble scored alone and in the shipped mix, and
    the spread between them: the noise any one training carries."""
    per_member = [arrays(m, own, labels, splits) for m in members]

    def predicted(data, weight):
        """(labels, predicted classes) of each split."""
        return [(y, mix(n, o, weight, args.sharpness).argmax(1)) for y, n, o in data.values()]

    for alone in (False, True):
        weight = 1.0 if alone else args.weight
        figures = 100 * np.array(
            [np.mean([scores(y, pred) for y, pred in predicted(data, weight)], axis=0) for data in per_member]
        )
        each = ", ".join(f"{a:.1f}/{b:.1f}" for a, b in figures)
        mean, sd = figures.mean(0), figures.std(0, ddof=1)
        name = "each network alone" if alone else "each network in the mix"
        print(f"{name:44s} {mean[0]:5.2f} ± {sd[0]:.2f} / {mean[1]:5.2f} ± {sd[1]:.2f}  [{each}]")
    # Whether the networks fail on different prints (which an ensemble
    # could mend) or on the same ones (which it cannot).
    wrong = np.array(
        [np.concatenate([pred != y for y, pred in predicted(data, args.weight)]) for data in per_member]
    )
    print(
        f"{'prints wrong in the mix, per network':44s} {' '.join(str(w) for w in wrong.sum(1))};"
        f" wrong for every network {wrong.all(0).sum()}, for any {wrong.any(0).sum()}"
    )
    print()


def nested(name, candidates, splits, folds):
    """Each fold's prints decided with the candidate chosen on the other
    nine folds' answers of the same split, so that no print is scored by a
    choice its own label helped make. candidates: {label: (answers as
    `arrays` gives them, keyword arguments of mix)}, every candidate's
    answers on the same prints in the same order."""
    per = []
    for s in splits:
        y = next(iter(candidates.values()))[0][s][0]
        pred = np.zeros(len(y), dtype=int)
        chosen = []
        for k in range(folds[s].max() + 1):
            tr, te = folds[s] != k, folds[s] == k

            def fit(label):
                data, kw = candidates[label]
                _, n, o = data[s]
                return sum(scores(y[tr], mix(n[tr], o[tr], **kw).argmax(1)))

            label = max(candidates, key=fit)
            chosen.append(label)
            data, kw = candidates[label]
            _, n, o = data[s]
            pred[te] = mix(n[te], o[te], **kw).argmax(1)
        overall, recall = scores(y, pred)
        per.append((overall, recall))
        tally = ", ".join(f"{c} × {chosen.count(c)}" for c in sorted(set(chosen)))
        print(f"  nested {name}, split {s}: {100 * overall:.1f} / {100 * recall:.1f}  (chosen: {tally})")
    o = np.mean([a for a, _ in per])
    r = np.mean([b for _, b in per])
    print(f"nested {name}: {100 * o:.2f} / {100 * r:.2f}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("field_csv")
    ap.add_argument("network")
    ap.add_argument("machines")
    ap.add_argument("--choose-on", default="0", help="comma list of the splits choices are made on")
    ap.add_argument("--weight", type=float, default=0.7)
    ap.add_argument("--sharpness", type=float, default=1.75)
    ap.add_argument("--member-weights", help="comma list, one weight per network of NET.csv (default: equal)")
    args = ap.parse_args()
    rows = list(csv.DictReader(open(args.field_csv)))
    labels = {r["file"]: CLASSES.index(r["class"]) for r in rows}
    fold_of = {r["file"]: [int(r[k]) for k in sorted(r) if k.startswith("fold")] for r in rows}
    members = [read_oof(path) for path in args.network.split(",")]
    own = read_oof(args.machines)
    splits = sorted(set.intersection(set(own), *(set(m) for m in members)))
    if len(members) > 1:
        members_alone(members, own, splits, labels, args)
    member_weights = np.array(
        [float(w) for w in args.member_weights.split(",")] if args.member_weights else [1.0] * len(members)
    )
    if len(member_weights) != len(members):
        raise SystemExit(f"{len(members)} networks but {len(member_weights)} --member-weights")
    member_weights /= member_weights.sum()

    def weighted(weights):
        """{split: {file: the networks' probabilities weighed by weights}}."""
        return {
            s: {f: sum(w * m[s][f] for w, m in zip(weights, members)) for f in members[0][s]} for s in splits
        }

    net = weighted(member_weights)
    choose = [int(s) for s in args.choose_on.split(",")]
    held = [s for s in splits if s not in choose]
    data = arrays(net, own, labels, splits)
    folds = {s: np.array([fold_of[f][s] for f in sorted(net[s])]) for s in splits}

    def pooled(which, **kw):
        """Per split (overall, mean recall) and the pooled calibration error."""
        per, ys, ps = [], [], []
        for s in which:
            y, n, o = data[s]
            p = mix(n, o, **kw)
            per.append(scores(y, p.argmax(1)))
            ys.append(y)
            ps.append(p)
        return per, calibration_error(np.concatenate(ys), np.concatenate(ps))

    def line(name, **kw):
        for label, which in (("chosen on", choose), ("held out", held)):
            if not which:
                continue
            per, ece = pooled(which, **kw)
            o = np.mean([a for a, _ in per])
            r = np.mean([b for _, b in per])
            each = ", ".join(f"{100 * a:.1f}/{100 * b:.1f}" for a, b in per)
            print(f"{name:44s} {label:9s} {100 * o:5.2f} / {100 * r:5.2f}  ece {ece:.3f}  [{each}]")

    base = dict(weight=args.weight, sharpness=args.sharpness)
    arch_grid = (1.0, 1.25, 1.5, 2.0)

    def weights(a, t):
        """The mix with decision weights for the arch and the tented arch."""
        return dict(decision=np.array([a, t, 1, 1, 1.0]), **base)
    line("as shipped", **base)
    line("network alone", weight=1.0, sharpness=args.sharpness)
    line("machines alone", weight=0.0, sharpness=args.sharpness)
    line("geometric mean instead", geometric=True, **base)
    # One decision weight for the rare classes at a time, then both: the
    # tented arch is the class most often missed.
    grid = (1.0, 1.25, 1.5, 2.0, 2.5, 3.0, 4.0)
    best = None
    for t, a in itertools.product(grid, arch_grid):
        per, _ = pooled(choose, **weights(a, t))
        key = np.mean([a_ + b_ for a_, b_ in per])
        if best is None or key > best[0]:
            best = (key, (a, t))
    # The neighbourhood of every pair, so that a lucky corner shows as one.
    print("\noverall + mean recall (points) by arch weight (rows) and tented-arch weight (columns)")
    for label, which in (("chosen on", choose), ("held out", held)):
        if not which:
            continue
        print(f"{label:9s} " + " ".join(f"{t:6.2f}" for t in grid))
        for a in arch_grid:
            cells = []
            for t in grid:
                per, _ = pooled(which, **weights(a, t))
                cells.append(100 * np.mean([x + y for x, y in per]))
            print(f"{a:9.2f} " + " ".join(f"{c:6.1f}" for c in cells))
    print()
    for t in grid:
        line(f"tented-arch weight {t}", **weights(1.0, t))
    line(f"best on chosen splits {weights(*best[1])['decision'].tolist()}", **weights(*best[1]))
    # One knob instead of one per class: weights share^-gamma, which at
    # gamma = 1 would score every class as if all were equally common (the
    # aim's mean recall counts them so).
    y0 = data[splits[0]][0]
    share = np.bincount(y0, minlength=5) / len(y0)
    for gamma in (0.1, 0.2, 0.25, 0.3, 0.4, 0.5, 0.75):
        decision = share**-gamma
        decision /= decision.max()
        shown = ", ".join(f"{v:.2f}" for v in decision / decision[4])
        line(f"share^-{gamma} ({shown})", decision=decision, **base)

    print()
    def on_data(candidates):
        """The candidates as `nested` takes them, all on these answers."""
        return {label: (data, kw) for label, kw in candidates.items()}

    by_pair = {(a, t): weights(a, t) for a, t in itertools.product(arch_grid, grid)}
    nested("arch and tented-arch weights", on_data(by_pair), splits, folds)
    nested("tented-arch weight alone", on_data({t: weights(1.0, t) for t in grid[:-1]}), splits, folds)
    by_gamma = {g: dict(decision=share**-g, **base) for g in (0, 0.1, 0.2, 0.25, 0.3, 0.4, 0.5)}
    nested("share^-gamma", on_data(by_gamma), splits, folds)
    by_weight = {w: dict(weight=w, sharpness=args.sharpness) for w in (0.5, 0.6, 0.7, 0.8, 0.9, 1.0)}
    nested("network weight", on_data(by_weight), splits, folds)
    stacked(data, splits, folds)
    if len(members) == 2:
        second_share_nested(weighted, own, labels, splits, folds, args)


def stacked(data, splits, folds):
    """A learned mix instead of the fixed one: a logistic regression on the
    log-probabilities of both learners, fitted on nine folds' out-of-fold
    answers and deciding the tenth's (so nested like the rest). Measured
    1 Dec on the ninth round's network, all 3 splits: unweighted (C 0.1)
    94.3 / 86.5 against the fixed mix's 93.9 / 89.3, weighted to balance
    the classes 92.9 / 89.9: each gains on one figure what it loses on the
    other. Not shipped."""
    from sklearn.linear_model import LogisticRegression

    print()
    for strength in (0.1, 1.0):
        for balance in (None, "balanced"):
            per = []
            for s in splits:
                y, n, o = data[s]
                x = np.hstack([np.log(n + 1e-4), np.log(o + 1e-4)])
                pred = np.zeros(len(y), dtype=int)
                for k in range(folds[s].max() + 1):
                    train, test = folds[s] != k, folds[s] == k
                    fitted = LogisticRegression(C=strength, max_iter=2000, class_weight=balance)
                    pred[test] = fitted.fit(x[train], y[train]).predict(x[test])
                per.append(scores(y, pred))
            each = ", ".join(f"{100 * a:.1f}/{100 * b:.1f}" for a, b in per)
            o = np.mean([a for a, _ in per])
            r = np.mean([b for _, b in per])
            name = f"stacked, C {strength}, {balance or 'unweighted'}"
            print(f"{name:44s} nested    {100 * o:5.2f} / {100 * r:5.2f}  [{each}]")


def second_share_nested(weighted, own, labels, splits, folds, args):
    """The second network's share of the networks' mean, and the networks'
    share of the mix, chosen per fold on the other nine folds' answers."""
    shares = (0.0, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 1.0)
    nets = (0.5, 0.6, 0.7, 0.8, 0.9, 1.0)
    data = {share: arrays(weighted([1 - share, share]), own, labels, splits) for share in shares}
    print()
    print("second network's share (rows) by the networks' weight in the mix (columns), overall + mean recall")
    print("          " + " ".join(f"{w:6.2f}" for w in nets))
    for share in shares:
        cells = []
        for w in nets:
            per = [scores(y, mix(n, o, w, args.sharpness).argmax(1)) for y, n, o in data[share].values()]
            cells.append(100 * np.mean([a + b for a, b in per]))
        print(f"{share:9.2f} " + " ".join(f"{c:6.1f}" for c in cells))
    candidates = {
        (share, w): (data[share], dict(weight=w, sharpness=args.sharpness)) for share, w in itertools.product(shares, nets)
    }
    nested("(share, weight)", candidates, splits, folds)

if __name__ == "__main__":
    main()
