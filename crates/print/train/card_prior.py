"""What a customer's other nine fingers say about each finger's class.

The finger prior (`finger_prior.py`) weighs each print's class by how often
that class is seen on that digit. But a card is one person, and people
differ: someone with an arch on one finger is far likelier than most to
have arches on others, and whorls come in runs too. This study models a
card as drawn from one of K kinds of hands, each with its own table of
classes per digit (the two hands pooled per digit, loops as ulnar or
radial, as in `finger_prior.py`), fitted by expectation-maximisation on the
training cards' labels. A print's class is then weighed by the table of
the kinds its nine card-mates point to:

    w_k  ∝ π_k · Π_{j≠i} (Σ_c θ_k[j](c) · p_j(c) / P(c)) ** temper
    p'_i(c) ∝ p_i(c) · (Σ_k w_k θ_k[i](c) / P(c)) ** strength

With K = 1 this is the finger prior itself; every K > 1 is measured
against it. Cards are never split: the tables are counted on training
cards only, and the engine's answers must come from folds that keep a
card whole (`evaluate --card-folds`), or a card-mate's answer would come
from a learner that saw the print being scored.

    python3 card_prior.py DATA_DIR - --labels-only
    python3 card_prior.py DATA_DIR FIELD.csv MACHINES.csv [NET.csv]

    python3 card_prior.py DATA_DIR - --export src/card_prior.json --kinds K --strength S --temper T

`--labels-only` asks how much the nine other true classes say about a
finger's class (the most the card could add, leave one card out).
"""

import argparse
import collections
import itertools
import json
import os
import re
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(__file__))
from finger_prior import CLASSES, L, R, read_field, read_oof, scores, referral, confusion  # noqa: E402

DIGIT_CLASSES = 5  # A, T, ulnar, radial, W


def card_layout(data_dir, files):
    """{file: (card, position 1..10)} from the scan name in `HISTORY`
    (`tape205.n0407065.02`: card n0407065, position 2)."""
    out = {}
    for name in files:
        with open(os.path.join(data_dir, name), "rb") as f:
            head = f.read(4096)
        found = re.search(rb"HISTORY \S+ \S+ (\S+)", head)
        if not found:
            raise SystemExit(f"{name}: no HISTORY scan name to read the card from")
        card, position = found.group(1).decode().rsplit(".", 1)
        out[name] = (card, int(position))
    return out


def to_digit_class(y, position):
    ulnar = R if position <= 5 else L
    if y in (L, R):
        return 2 if y == ulnar else 3
    return {0: 0, 1: 1, 4: 4}[y]


def digit_table_to_classes(theta_digit, position):
    """A digit's table over A, T, ulnar, radial, W as the finger's over A T L R W."""
    ulnar, radial = (R, L) if position <= 5 else (L, R)
    out = np.zeros(5)
    out[0], out[1], out[4] = theta_digit[0], theta_digit[1], theta_digit[4]
    out[ulnar], out[radial] = theta_digit[2], theta_digit[3]
    return out


class CardModel:
    """K kinds of hands, each a table of digit classes per digit."""

    def __init__(self, cards, k, smoothing, restarts=4, iterations=60):
        # cards: list of (positions[10], labels[10]) with labels as A T L R W.
        # EM finds a local optimum: the best of a few seeded starts is kept.
        self.k = k
        self.cards_seen = cards
        counts = np.zeros((len(cards), 5, DIGIT_CLASSES))
        for n, (positions, labels) in enumerate(cards):
            for p, y in zip(positions, labels):
                counts[n, (p - 1) % 5, to_digit_class(y, p)] += 1
        overall = counts.sum(axis=(0, 1)) + 0.5
        overall /= overall.sum()
        self.overall_digit = overall
        best = -np.inf
        for seed in range(restarts if k > 1 else 1):
            pi, theta, fit = self._em(counts, overall, k, smoothing, seed, iterations)
            if fit > best:
                best, self.pi, self.theta = fit, pi, theta
        self.log_likelihood = best
        # P(class) over A T L R W, for turning the engine's answers into likelihoods.
        labels = np.array([y for _, ys in cards for y in ys])
        self.class_freq = (np.bincount(labels, minlength=5) + 0.5) / (len(labels) + 2.5)

    @staticmethod
    def _em(counts, overall, k, smoothing, seed, iterations):
        resp = np.random.default_rng(seed).dirichlet(np.ones(k), size=len(counts))
        for _ in range(iterations):
            # M step, each kind's table smoothed towards the overall digit
            # classes by `smoothing` prints' worth per digit.
            pi = (resp.sum(0) + 1.0) / (len(counts) + k)
            weighted = np.einsum("nk,ndc->kdc", resp, counts)
            theta = (weighted + smoothing * overall) / (weighted.sum(-1, keepdims=True) + smoothing)
            # E step
            log = np.log(pi) + np.einsum("ndc,kdc->nk", counts, np.log(theta))
            top = log.max(1, keepdims=True)
            resp = np.exp(log - top)
            fit = float((top[:, 0] + np.log(resp.sum(1))).sum())
            resp /= resp.sum(1, keepdims=True)
        return pi, theta, fit

    def describe(self):
        lines = []
        for kind in np.argsort(-self.pi):
            per_class = self.theta[kind].mean(0)
            lines.append(
                f"kind {kind}: {100 * self.pi[kind]:.0f} % of cards; "
                + ", ".join(f"{n} {100 * v:.0f} %" for n, v in zip(("A", "T", "ulnar", "radial", "W"), per_class))
            )
        return "\n".join(lines)

    def table(self, kind, position):
        return digit_table_to_classes(self.theta[kind, (position - 1) % 5], position)

    def weigh_card(self, positions, answers, strength, temper):
        """Each print's answer weighed by the kinds its card-mates point to."""
        tables = np.array([[self.table(k, p) for p in positions] for k in range(self.k)])  # k, n, 5
        likelihood = answers / self.class_freq
        likelihood /= likelihood.sum(1, keepdims=True)
        # how well each kind explains each print: Σ_c θ_k[j](c) e_j(c)
        message = np.log(np.einsum("knc,nc->kn", tables, likelihood))
        out = np.empty_like(answers)
        for i in range(len(positions)):
            others = message.sum(1) - message[:, i]
            log_w = np.log(self.pi) + temper * others
            w = np.exp(log_w - log_w.max())
            w /= w.sum()
            prior = np.einsum("k,kc->c", w, tables[:, i]) / self.class_freq
            q = answers[i] * prior**strength
            out[i] = q / q.sum()
        return out


def export(path, model, args):
    counted_on = (
        f"SD14 sd14-dev, {len(model.cards_seen)} ten-print cards, {args.kinds} kinds of hands "
        "fitted by EM, hands pooled per digit (train/card_prior.py)"
    )
    kinds = []
    for kind in np.argsort(-model.pi):
        # One digit a line, thumb to little finger, digit classes A T ulnar radial W.
        digits = ",\n".join("      " + json.dumps([round(float(v), 4) for v in row]) for row in model.theta[kind])
        kinds.append(f'    {{"share": {round(float(model.pi[kind]), 4)}, "digits": [\n{digits}\n    ]}}')
    frequency = json.dumps([round(float(v), 4) for v in model.class_freq])
    with open(path, "w") as out:
        out.write(
            f'{{"strength": {args.strength}, "temper": {args.temper}, "smoothing": {args.smoothing}, '
            f'"counted_on": {json.dumps(counted_on)},\n "class_frequency": {frequency},\n'
        )
        out.write(' "kinds": [\n' + ",\n".join(kinds) + "\n ]}\n")


def group_cards(files, layout, labels):
    cards = collections.defaultdict(list)
    for f in files:
        card, position = layout[f]
        cards[card].append((position, f))
    return {c: sorted(v) for c, v in cards.items()}


def labels_only(cards, labels, ks, smoothings):
    """Leave one card out: each finger's class from its digit and the nine
    other true classes (the most the card can add)."""
    names = sorted(cards)
    for k, smoothing in itertools.product(ks, smoothings):
        log_loss, right, total = 0.0, 0, 0
        for held in names:
            train = [([p for p, _ in cards[c]], [labels[f] for _, f in cards[c]]) for c in names if c != held]
            model = CardModel(train, k, smoothing)
            positions = [p for p, _ in cards[held]]
            truth = [labels[f] for _, f in cards[held]]
            onehot = np.full((len(truth), 5), 1e-3)
            onehot[np.arange(len(truth)), truth] = 1.0
            onehot /= onehot.sum(1, keepdims=True)
            flat = np.tile(model.class_freq, (len(truth), 1))
            for i in range(len(truth)):
                # the print's own answer is flat (its class frequency): only
                # the card and the digit speak.
                answers = onehot.copy()
                answers[i] = flat[i]
                p = model.weigh_card(positions, answers, 1.0, 1.0)[i]
                log_loss -= np.log(p[truth[i]])
                right += p.argmax() == truth[i]
                total += 1
        print(f"K={k} smoothing {smoothing:g}: log loss {log_loss / total:.3f}, right {100 * right / total:.1f} %")


def right_on_rest(y, probs, share):
    """How often the class is right on the prints left once the `share`
    least confident are sent to an analyst."""
    order = np.argsort(probs.max(1))
    kept = order[int(round(share * len(y))):]
    return (probs[kept].argmax(1) == y[kept]).mean()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("data_dir")
    ap.add_argument("field_csv")
    ap.add_argument("machines", nargs="?")
    ap.add_argument("network", nargs="?")
    ap.add_argument("--labels-only", action="store_true")
    ap.add_argument("--weight", type=float, default=0.7)
    ap.add_argument("--sharpness", type=float, default=1.75)
    ap.add_argument("--show", help="the setting whose confusion matrix to print (default: nested)")
    ap.add_argument("--export", help="write the kinds fitted on every card here (card_prior.rs reads it)")
    ap.add_argument("--kinds", type=int, default=2)
    ap.add_argument("--smoothing", type=float, default=10.0)
    ap.add_argument("--strength", type=float, default=1.0)
    ap.add_argument("--temper", type=float, default=1.0)
    ap.add_argument("--describe", action="store_true", help="print the kinds fitted on every card")
    args = ap.parse_args()
    if args.labels_only or args.export:
        labels = {}
        for line in open(os.path.join(args.data_dir, "labels.csv")):
            name, cls = line.strip().split(",")
            if cls in CLASSES:
                labels[name] = CLASSES.index(cls)
        folds = None
    else:
        labels, folds = read_field(args.field_csv)
    files = sorted(labels)
    layout = card_layout(args.data_dir, files)
    cards = group_cards(files, layout, labels)
    if args.export:
        every = [([p for p, _ in cards[c]], [labels[f] for _, f in cards[c]]) for c in sorted(cards)]
        export(args.export, CardModel(every, args.kinds, args.smoothing), args)
        return
    if args.labels_only:
        labels_only(cards, labels, ks=(1, 2, 3, 4), smoothings=(5.0, 10.0))
        return
    machines = read_oof(args.machines)
    network = read_oof(args.network) if args.network else None
    splits = sorted(machines)
    if network:
        splits = [s for s in splits if s in network]
    y = np.array([labels[f] for f in files])
    index = {f: n for n, f in enumerate(files)}
    for f in files:
        card = layout[f][0]
        mates = {folds[g][0] for _, g in cards[card] if g in folds}
        if len(mates) > 1:
            print(f"warning: card {card} is split over folds {sorted(mates)}: card-mates' answers leak", file=sys.stderr)
            break
    pooled = collections.defaultdict(list)
    chosen = collections.Counter()
    for s in splits:
        own = np.stack([machines[s][f] for f in files])
        if network:
            net = np.stack([network[s][f] for f in files])
            p = (args.weight * net + (1 - args.weight) * own) ** args.sharpness
            answers = p / p.sum(1, keepdims=True)
        else:
            answers = own
        fold_of = np.array([folds[f][s] for f in files])
        study = Study(cards, labels, index, fold_of, answers)
        pooled["without"].append(answers)
        o, r = scores(y, answers.argmax(1))
        print(f"split {s}: {'without':28s} {100 * o:5.1f} / {100 * r:5.1f}")
        for setting in FIXED:
            out = study.weigh(setting, held=None)
            pooled[name_of(setting)].append(out)
            o, r = scores(y, out.argmax(1))
            print(f"split {s}: {name_of(setting):28s} {100 * o:5.1f} / {100 * r:5.1f}")
        out, picks = study.nested(y)
        chosen.update(picks)
        pooled["nested"].append(out)
        o, r = scores(y, out.argmax(1))
        print(f"split {s}: {'nested':28s} {100 * o:5.1f} / {100 * r:5.1f}")
    print("nested picks: " + ", ".join(f"{name_of(k)} ×{v}" for k, v in chosen.most_common()))
    for name, all_probs in pooled.items():
        probs = np.concatenate(all_probs)
        yy = np.tile(y, len(all_probs))
        o, r = scores(yy, probs.argmax(1))
        referred, kept = referral(yy, probs)
        at_share = " ".join(f"{100 * right_on_rest(yy, probs, share):.1f}" for share in (0.10, 0.15, 0.20))
        print(
            f"pooled {name:28s} {100 * o:5.1f} / {100 * r:5.1f}  under 0.9: {100 * referred:.1f} % referred, "
            f"{100 * kept:.1f} % right on the rest; least sure 10/15/20 % referred: {at_share}"
        )
    for name in ("without", name_of(FIXED[0]), args.show or "nested"):
        print(f"\n{name}\n")
        print(confusion(np.tile(y, len(splits)), np.concatenate(pooled[name]).argmax(1)))
    if args.describe:
        every = [([p for p, _ in cards[c]], [labels[f] for _, f in cards[c]]) for c in cards]
        for k in (2, 3):
            print(f"\nK={k} fitted on every card:\n" + CardModel(every, k, 10.0).describe())


# (kinds, smoothing, strength, temper); the first is the finger prior alone.
FIXED = [(1, 10.0, 0.5, 0.0)] + list(itertools.product((2, 3), (10.0,), (0.5, 0.75, 1.0), (0.5, 1.0)))


def name_of(setting):
    k, smoothing, strength, temper = setting
    return f"K={k} m={smoothing:g} s={strength:g} t={temper:g}"


class Study:
    """One split's answers weighed card by card, the tables fitted on the
    training folds' cards only."""

    def __init__(self, cards, labels, index, fold_of, answers):
        self.cards, self.labels, self.index = cards, labels, index
        self.fold_of, self.answers = fold_of, answers
        self.fold_of_card = {c: fold_of[index[m[0][1]]] for c, m in cards.items()}
        self.models = {}

    def model(self, kinds, smoothing, left_out):
        key = (kinds, smoothing, left_out)
        if key not in self.models:
            train = [
                ([p for p, _ in m], [self.labels[f] for _, f in m])
                for c, m in self.cards.items()
                if self.fold_of_card[c] not in left_out
            ]
            self.models[key] = CardModel(train, kinds, smoothing)
        return self.models[key]

    def weigh(self, setting, held, also_out=()):
        """Every card of fold `held` (every fold where None) weighed with
        tables fitted on the cards outside it and `also_out`."""
        kinds, smoothing, strength, temper = setting
        out = np.zeros_like(self.answers)
        for c, members in self.cards.items():
            fold = self.fold_of_card[c]
            if held is not None and fold != held:
                continue
            model = self.model(kinds, smoothing, frozenset((fold, *also_out)))
            rows = [self.index[f] for _, f in members]
            out[rows] = model.weigh_card([p for p, _ in members], self.answers[rows], strength, temper)
        return out

    def nested(self, y):
        """Each fold weighed with the setting that scored best on the
        other nine (each of those weighed with tables fitted on the eight
        others)."""
        out = np.zeros_like(self.answers)
        folds = range(self.fold_of.max() + 1)
        picks = []
        for k in folds:
            train = self.fold_of != k

            def inner(setting):
                guess = np.zeros_like(self.answers)
                for j in folds:
                    if j != k:
                        part = self.fold_of == j
                        guess[part] = self.weigh(setting, j, also_out=(k,))[part]
                return sum(scores(y[train], guess[train].argmax(1)))

            best = max(FIXED, key=inner)
            picks.append(best)
            part = self.fold_of == k
            out[part] = self.weigh(best, k)[part]
        return out, picks


if __name__ == "__main__":
    main()
