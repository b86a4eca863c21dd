"""Which readings an analyst must see: the engine's confidence as a referral rule.

The analysis centre signs an automatic answer only for readings the engine
is sure of; the rest go to an analyst (`vantay_analysis::REVIEW_BELOW_CONFIDENCE`).
This scores that rule on out-of-fold answers, so that no print's own label
set its threshold: for each threshold, the share of prints referred, how
often the engine is right on the prints it keeps, and the share of its
mistakes that reach an analyst. The confidence is the engine's: the shipped
mix of the field network and the machines (`model::Mix::SHIPPED`), rounded
to two decimals as the JSON states it.

    python3 referral.py FIELD.csv NET.csv MACHINES.csv [--cost-of-a-mistake 5,10,20]

The inputs are those of `mix_study.py` (`evaluate --dump-field`, `field_cnn.py
--rust-splits N --out`, `evaluate --write-machines-oof`). The nested line
chooses the threshold on nine folds' answers and scores the tenth, for a
cost the centre names: an analyst's look at a print against a wrong class
in a customer's report (`--cost-of-a-mistake`, in looks).
"""

import argparse
import csv

import numpy as np

from mix_study import CLASSES, mix, read_oof

THRESHOLDS = (0.5, 0.6, 0.7, 0.8, 0.85, 0.9, 0.95, 0.99)


def mixed_answers(field_csv, network, machines, weight, sharpness):
    """Per split: (labels, the engine's classes, its stated confidence, folds)."""
    rows = list(csv.DictReader(open(field_csv)))
    labels = {r["file"]: CLASSES.index(r["class"]) for r in rows}
    folds = {r["file"]: [int(r[k]) for k in sorted(r) if k.startswith("fold")] for r in rows}
    net, own = read_oof(network), read_oof(machines)
    out = {}
    for s in sorted(set(net) & set(own)):
        files = sorted(net[s])
        p = mix(np.stack([net[s][f] for f in files]), np.stack([own[s][f] for f in files]), weight, sharpness)
        confidence = np.round(p.max(1), 2)
        out[s] = (
            np.array([labels[f] for f in files]),
            p.argmax(1),
            confidence,
            np.array([folds[f][s] for f in files]),
        )
    return out


def referral(y, pred, confidence, threshold):
    """(share referred, accuracy kept, share of mistakes referred, recall kept per class)."""
    referred = confidence < threshold
    wrong = pred != y
    kept = ~referred
    # A class none of whose prints is kept has no recall (nan, shown "—").
    recall = [
        ((pred == k) & kept & (y == k)).sum() / (kept & (y == k)).sum() if (kept & (y == k)).any() else np.nan
        for k in range(5)
    ]
    return (
        referred.mean(),
        (~wrong[kept]).mean() if kept.any() else 1.0,
        referred[wrong].mean() if wrong.any() else 1.0,
        recall,
    )


def nested_threshold(answers, cost):
    """Each fold referred by the threshold that, on the other nine folds,
    costs least: one look per print referred plus `cost` per mistake kept."""
    per_split = []
    for y, pred, confidence, folds in answers.values():
        chosen, referred, wrong_kept = [], 0, 0
        for k in np.unique(folds):
            train, test = folds != k, folds == k

            def price(t):
                sent = confidence[train] < t
                return sent.sum() + cost * ((pred[train] != y[train]) & ~sent).sum()

            t = min(THRESHOLDS, key=price)
            chosen.append(t)
            sent = confidence[test] < t
            referred += sent.sum()
            wrong_kept += ((pred[test] != y[test]) & ~sent).sum()
        per_split.append((referred / len(y), 1 - wrong_kept / len(y), chosen))
    return per_split


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("field_csv")
    ap.add_argument("network")
    ap.add_argument("machines")
    ap.add_argument("--weight", type=float, default=0.7)
    ap.add_argument("--sharpness", type=float, default=1.75)
    ap.add_argument("--cost-of-a-mistake", default="5,10,20", help="comma list, in analyst's looks")
    args = ap.parse_args()
    answers = mixed_answers(args.field_csv, args.network, args.machines, args.weight, args.sharpness)
    print(f"splits {sorted(answers)}, {len(next(iter(answers.values()))[0])} prints each")
    for s, (y, pred, _, _) in answers.items():
        print(f"split {s}: the engine alone {100 * (pred == y).mean():.1f} % right")
    print(
        "\nthreshold  referred  right of the rest  mistakes referred  "
        "recall of the rest A / T / L / R / W   (mean of the splits)"
    )
    for t in THRESHOLDS:
        rows = [referral(y, pred, c, t) for y, pred, c, _ in answers.values()]
        sent, right, caught = (np.mean([r[i] for r in rows]) for i in range(3))
        recall = np.mean([r[3] for r in rows], axis=0)
        each = " / ".join("—" if np.isnan(v) else f"{100 * v:.0f}" for v in recall)
        print(f"{t:9.2f}  {100 * sent:7.1f} %  {100 * right:15.1f} %  {100 * caught:15.1f} %  {each}")
    for cost in (float(c) for c in args.cost_of_a_mistake.split(",")):
        print(f"\nnested, a mistake in a report costing {cost:g} looks:")
        for s, (sent, right, chosen) in zip(answers, nested_threshold(answers, cost)):
            print(f"split {s}: {100 * sent:.1f} % referred; with those settled by an analyst, {100 * right:.1f} % "
                  f"of the signed classes right (thresholds chosen {sorted(set(chosen))})")


if __name__ == "__main__":
    main()
