"""Adapting to a new outlet, every label source in turn: which way of using a user's few labels helps?

Each label source with at least ``--min-docs`` documents is "the new outlet" in
turn (sources with fewer, e.g. the five seed articles, are skipped and named).
For each draw its documents are shuffled (seeded by the draw); the first
``--pool`` form the pool the user labels from, every other document of the
source is the test set. The model is trained on every other source plus the
first k pool documents (k = 0, 5, 10, 20; nested), the new documents weighted
w ∈ ``--weights`` (a label source weight, ``TrainConfig.source_weights``), and
scored on the test documents: theme micro-F1 and stance F_avg on their content
paragraphs, and, where the source has kind labels, content-vs-other accuracy of
the learned kind head and (whole articles only) of the segmenter's rules with
the model's kind memory.

Ways of using the k new documents, all scored on the same test documents:

* ``union w``: plain union, the new source weighted w (w = 1 is today's default);
* ``cv-w``: w chosen among ``--weights`` by inner grouped CV on the k new documents
  only (leave-one-document-out for k <= 5, else 5 folds grouped by document): each
  inner model is trained on every other source plus the other new documents
  (``fit(..., thresholds=False, kind_model=False)``, so no nested inner CV) and
  its out-of-fold predictions of the held-out new documents, decided with the
  base model's theme thresholds and side weights, are pooled and scored by the
  mean of theme micro-F1 and stance F_avg; ties go to the smaller weight;
* ``keep-sides``: the adapted model, but the stance side weights
  (``Model.stance_weights``, ``stance_decision="tuned"``) of the base model
  trained without the new documents;
* ``sides-if-enough``: keep the base side weights unless the new documents hold
  at least ``--enough`` favor and ``--enough`` against content paragraphs (then
  the adapted model's own);
* ``base-stance-if-enough``: themes (and kinds) from the adapted model, the stance
  (head and side weights) from the base model, unless the new documents hold
  enough of each side.

No choice looks at the test documents.

    python scripts/adaptation_all.py --corpus ../shared/corpus [--draws 3] [--jobs 2] [--char-ngrams none] [--out docs/adaptation_all.jsonl]

Prints per-source tables (mean ± sd over draws) and which ways meet the target
"k = 20 never lowers theme micro-F1 or stance F_avg vs k = 0, averaged over draws,
on any source". ``--summary FILE`` re-prints them from a JSONL file without training.
"""

from __future__ import annotations

import os

# One thread per process: on a shared 2-core machine the BLAS/OpenMP thread pools oversubscribe and a
# training takes ~10x longer (measured: 293 s with the default pools, 30 s with one thread).
for _name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_name, "1")

import argparse  # noqa: E402
import dataclasses  # noqa: E402
import json  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
from sklearn.metrics import f1_score  # noqa: E402
from sklearn.model_selection import GroupKFold  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "src"))

from themetag import load_labels  # noqa: E402
from themetag.labels import source_of  # noqa: E402
from themetag.metrics import stance_scores  # noqa: E402
from themetag.segmentation import template_key  # noqa: E402
from themetag.training import TrainConfig, fit, theme_matrix  # noqa: E402

LABELS = None  # set in main, inherited by forked workers
ARGS = None


# --------------------------------------------------------------------------- predictions and scores


def predict(model, examples):
    """Raw predictions of a model on labeled paragraphs: theme probabilities, stance classes/probabilities, kinds."""
    content = [e for e in examples if e.kind == "content"]
    rows = model.transform([e.text for e in content])
    theme_p = model.theme_probabilities(rows)
    classes, stance_p = model.stance_probabilities(rows)
    kinds = model.kind_predictions([e.text for e in examples]) if model.kind is not None else None
    return {
        "content": content,
        "theme_p": theme_p,
        "classes": classes,
        "stance_p": stance_p,
        "kinds": kinds,
        "thresholds": model.thresholds(),
        "side_weights": dict(model.stance_weights),
        "memory": model.kind_memory,
    }


def decide_stance(classes, proba, side_weights):
    if side_weights:
        proba = proba * np.array([side_weights.get(c, 1.0) for c in classes])
    return [classes[int(k)] for k in np.argmax(proba, axis=1)] if len(proba) else []


def theme_f1(content, theme_p, thresholds, schema) -> float:
    Y = theme_matrix(content, schema.themes)
    return float(f1_score(Y, (theme_p >= thresholds).astype(int), average="micro", zero_division=0))


def f_avg(content, stances, schema) -> float:
    return float(stance_scores([e.stance for e in content], stances, schema)["f_avg"])


def kind_scores(examples, pred) -> dict:
    """Content-vs-other accuracy of the kind head, and of rules + kind memory where the rules' kind is known."""
    out = {}
    if all(e.kind == "content" for e in examples):
        return out
    truth = [e.kind == "content" for e in examples]
    if pred["kinds"] is not None:
        out["kind_head"] = float(np.mean([t == (k == "content") for t, k in zip(truth, pred["kinds"])]))
    judged = [e for e in examples if e.rule_kind is not None]
    if judged:
        kinds = [pred["memory"].get(template_key(e.text), e.rule_kind) for e in judged]
        out["rules_memory"] = float(np.mean([(e.kind == "content") == (k == "content") for e, k in zip(judged, kinds)]))
    return out


def side_counts(examples) -> dict:
    content = [e for e in examples if e.kind == "content"]
    return {s: sum(e.stance == s for e in content) for s in ("favor", "against")}


# --------------------------------------------------------------------------- one (source, draw)


def inner_weight(others, new, source, weights, config, base_pred_rule, schema, k) -> tuple[float, dict]:
    """The weight whose inner grouped out-of-fold predictions of the k new documents score best (no test docs)."""
    groups = np.array([e.doc for e in new])
    n_docs = len(set(groups))
    splits = list(GroupKFold(n_splits=min(5, n_docs)).split(new, groups=groups))
    scores = {}
    for w in weights:
        run = dataclasses.replace(config, source_weights={source: w} if w != 1 else None)
        contents, theme_ps, stance_preds = [], [], []
        for train_idx, test_idx in splits:
            held = [new[i] for i in test_idx]
            held_content = [e for e in held if e.kind == "content"]
            if not held_content:
                continue
            model = fit(others + [new[i] for i in train_idx], schema, run, thresholds=False, kind_model=False)
            pred = predict(model, held_content)
            contents += held_content
            theme_ps.append(pred["theme_p"])
            stance_preds += decide_stance(pred["classes"], pred["stance_p"], base_pred_rule["side_weights"])
        if not contents:
            scores[w] = None
            continue
        theme = theme_f1(contents, np.vstack(theme_ps), base_pred_rule["thresholds"], schema)
        stance = f_avg(contents, stance_preds, schema)
        scores[w] = {"theme": theme, "stance": stance, "mean": (theme + stance) / 2}
    best = min(weights, key=lambda w: (-(scores[w]["mean"] if scores[w] else -1.0), w))
    return best, scores


def run_task(task) -> list[dict]:
    source, draw = task
    args, labels = ARGS, LABELS
    schema = labels.schema
    config = TrainConfig(
        char_ngrams=None if args.char_ngrams == "none" else tuple(int(x) for x in args.char_ngrams.split(",")),
        stance_decision=args.stance_decision,
    )
    ks = [int(k) for k in args.ks.split(",")]
    weights = [float(w) for w in args.weights.split(",")]
    others = [e for e in labels.examples if source_of(e) != source]
    outlet = [e for e in labels.examples if source_of(e) == source]
    docs = sorted({e.doc for e in outlet})
    order = [docs[i] for i in np.random.default_rng(draw).permutation(len(docs))]
    if source == "insightcrime":  # as scripts/adaptation.py: the first 18 are the test set, the other 20 the pool
        test_docs, pool = set(order[: len(docs) - args.pool]), order[len(docs) - args.pool :]
    else:
        pool, test_docs = order[: args.pool], set(order[args.pool :])
    test = [e for e in outlet if e.doc in test_docs]
    start = time.perf_counter()
    base = fit(others, schema, config)
    fit_seconds = time.perf_counter() - start
    base_pred = predict(base, test)
    content = base_pred["content"]
    lines = []

    def record(k, w, how, pred, stance_from, chosen_w=None, extra=None):
        theme = theme_f1(content, pred["theme_p"], pred["thresholds"], schema)
        sp = stance_from
        stance = f_avg(content, decide_stance(sp["classes"], sp["stance_p"], sp["side_weights"]), schema)
        line = {
            "source": source,
            "draw": draw,
            "k": k,
            "weight": w,
            "how": how,
            "theme_micro_f1": theme,
            "stance_f_avg": stance,
            **kind_scores(test, pred),
        }
        if chosen_w is not None:
            line["chosen_weight"] = chosen_w
        if extra:
            line.update(extra)
        lines.append(line)

    info = {"test_docs": len(test_docs), "test_content": len(content), "test_sides": side_counts(test)}
    record(
        0,
        1.0,
        "base",
        base_pred,
        base_pred,
        extra={**info, "fit_seconds": round(fit_seconds, 1), "base_side_weights": base_pred["side_weights"]},
    )
    for k in ks:
        if k == 0:
            continue
        chosen_docs = set(pool[:k])
        new = [e for e in outlet if e.doc in chosen_docs]
        sides = side_counts(new)
        enough = sides["favor"] >= args.enough and sides["against"] >= args.enough
        preds = {}
        for w in weights:
            run = dataclasses.replace(config, source_weights={source: w} if w != 1 else None)
            model = fit(others + new, schema, run)
            pred = preds[w] = predict(model, test)
            kept = {**pred, "side_weights": base_pred["side_weights"]}
            record(k, w, "union", pred, pred, extra={"new_sides": sides, "side_weights": pred["side_weights"]})
            record(k, w, "keep-sides", pred, kept)
            record(k, w, "sides-if-enough", pred, pred if enough else kept)
            record(k, w, "base-stance-if-enough", pred, pred if enough else base_pred)
        chosen, inner = inner_weight(others, new, source, weights, config, base_pred, schema, k)
        pred = preds[chosen]
        kept = {**pred, "side_weights": base_pred["side_weights"]}
        inner_scores = {str(w): s for w, s in inner.items()}
        record(k, chosen, "cv-w", pred, pred, chosen_w=chosen, extra={"inner": inner_scores})
        record(k, chosen, "cv-w + sides-if-enough", pred, pred if enough else kept, chosen_w=chosen)
        record(k, chosen, "cv-w + base-stance-if-enough", pred, pred if enough else base_pred, chosen_w=chosen)
        print(
            f"{source} draw {draw} k={k} done ({time.perf_counter() - start:.0f} s; inner choice x{chosen:g})",
            file=sys.stderr,
            flush=True,
        )
    for line in lines:
        line["task_seconds"] = round(time.perf_counter() - start, 1)
    return lines


# --------------------------------------------------------------------------- summary


def cell(values) -> str:
    values = [v for v in values if v is not None]
    if not values:
        return "–"
    sd = statistics.pstdev(values) if len(values) > 1 else 0.0
    return f"{statistics.mean(values):.3f} ± {sd:.3f}"


METHODS = [
    ("union", 1.0, "(a) union ×1 (today)"),
    ("union", 3.0, "(b) union ×3"),
    ("union", 10.0, "(b) union ×10"),
    ("cv-w", None, "(c) w by inner CV"),
    ("keep-sides", 1.0, "(d) ×1, base side weights"),
    ("sides-if-enough", 1.0, "(d) ×1, base side weights unless ≥5/≥5 sides"),
    ("base-stance-if-enough", 1.0, "(e) ×1, base stance head unless ≥5/≥5 sides"),
    ("cv-w + sides-if-enough", None, "(c)+(d) inner-CV w, base side weights unless ≥5/≥5"),
    ("cv-w + base-stance-if-enough", None, "(c)+(e) inner-CV w, base stance head unless ≥5/≥5"),
    ("keep-sides", 3.0, "(d) ×3, base side weights"),
    ("keep-sides", 10.0, "(d) ×10, base side weights"),
]


def summarize(lines: list[dict], ks: list[int]) -> str:
    out = []
    sources = sorted({l["source"] for l in lines})

    def values(source, k, how, w, key):
        if k == 0:
            sel = [l for l in lines if l["source"] == source and l["k"] == 0]
        else:
            sel = [
                l
                for l in lines
                if l["source"] == source and l["k"] == k and l["how"] == how and (w is None or l["weight"] == w)
            ]
        return [l.get(key) for l in sorted(sel, key=lambda l: l["draw"])]

    verdict = {}
    for source in sources:
        base = [l for l in lines if l["source"] == source and l["k"] == 0]
        b = base[0]
        sides = ", ".join(
            f"{l['test_sides']['favor']}/{l['test_sides']['against']}" for l in sorted(base, key=lambda l: l["draw"])
        )
        out.append(
            f"\n### {source} ({len(base)} draws; test: {b['test_docs']} documents, "
            f"{' / '.join(str(l['test_content']) for l in sorted(base, key=lambda l: l['draw']))} content paragraphs, "
            f"favor/against {sides} per draw)\n"
        )
        out.append("Theme micro-F1 / stance F_avg on the outlet's test documents, mean ± sd over draws.\n")
        out.append("| way | " + " | ".join(f"k={k}" for k in ks) + f" | k={max(ks)} ≥ k=0? |")
        out.append("|---|" + "---|" * (len(ks) + 1))
        for how, w, name in METHODS:
            if not values(source, max(ks), how, w, "theme_micro_f1"):
                continue
            row = []
            for k in ks:
                row.append(
                    f"{cell(values(source, k, how, w, 'theme_micro_f1'))} / {cell(values(source, k, how, w, 'stance_f_avg'))}"
                )
            t0, s0 = (statistics.mean(values(source, 0, how, w, key)) for key in ("theme_micro_f1", "stance_f_avg"))
            kmax = max(ks)
            t1, s1 = (statistics.mean(values(source, kmax, how, w, key)) for key in ("theme_micro_f1", "stance_f_avg"))
            ok_t, ok_s = t1 >= t0 - 1e-9, s1 >= s0 - 1e-9
            verdict.setdefault(name, {})[source] = (ok_t, ok_s, t1 - t0, s1 - s0)
            mark = ("themes ✓" if ok_t else "themes ✗") + ", " + ("stance ✓" if ok_s else "stance ✗")
            out.append(f"| {name} | " + " | ".join(row) + f" | {mark} |")
        kind_keys = [key for key in ("kind_head", "rules_memory") if any(key in l for l in base)]
        if kind_keys:
            out.append("\nKinds (content vs other, accuracy on all labeled units of the test documents):\n")
            out.append("| kinds by | way | " + " | ".join(f"k={k}" for k in ks) + " |")
            out.append("|---|---|" + "---|" * len(ks))
            for key in kind_keys:
                for how, w, name in (
                    ("union", 1.0, "(a) union ×1"),
                    ("union", 3.0, "(b) union ×3"),
                    ("union", 10.0, "(b) union ×10"),
                    ("cv-w", None, "(c) w by inner CV"),
                ):
                    if not values(source, max(ks), how, w, key):
                        continue
                    label = {"kind_head": "learned kind head", "rules_memory": "rules + kind memory"}[key]
                    out.append(
                        f"| {label} | {name} | " + " | ".join(cell(values(source, k, how, w, key)) for k in ks) + " |"
                    )
        cv = [l for l in lines if l["source"] == source and l["how"] == "cv-w"]
        if cv:
            picks = {
                k: [l["chosen_weight"] for l in sorted(cv, key=lambda l: l["draw"]) if l["k"] == k] for k in ks if k
            }
            out.append(
                "\nInner-CV weight chosen (per draw): "
                + "; ".join(f"k={k}: " + ", ".join(f"×{w:g}" for w in v) for k, v in picks.items())
            )
        unions = [l for l in lines if l["source"] == source and l["how"] == "union" and l["weight"] == 1.0]
        out.append(
            "\nSides in the k new documents (favor/against content paragraphs, per draw): "
            + "; ".join(
                f"k={k}: "
                + ", ".join(
                    f"{l['new_sides']['favor']}/{l['new_sides']['against']}"
                    for l in sorted(unions, key=lambda l: l["draw"])
                    if l["k"] == k
                )
                for k in ks
                if k
            )
        )
        out.append(
            "Base model's side weights (per draw): "
            + ", ".join(json.dumps(l.get("base_side_weights")) for l in base)
            + "; the ×1 union's at k=20: "
            + ", ".join(
                json.dumps(l.get("side_weights")) for l in sorted(unions, key=lambda l: l["draw"]) if l["k"] == max(ks)
            )
        )
    out.append(
        "\n### Target: k=20 never lowers theme micro-F1 or stance F_avg vs k=0 (mean over draws), on every source\n"
    )
    out.append("| way | " + " | ".join(sources) + " | meets target |")
    out.append("|---|" + "---|" * (len(sources) + 1))
    for name, per in verdict.items():
        cells = [f"{per[s][2]:+.3f} / {per[s][3]:+.3f}" for s in sources]
        ok = all(per[s][0] and per[s][1] for s in sources)
        out.append(f"| {name} | " + " | ".join(cells) + f" | {'yes' if ok else 'no'} |")
    return "\n".join(out)


def main() -> None:
    global LABELS, ARGS
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--labels", default=str(REPO / "labels"))
    parser.add_argument("--corpus", default=str(REPO.parent / "shared" / "corpus"))
    parser.add_argument("--draws", type=int, default=3)
    parser.add_argument("--ks", default="0,5,10,20")
    parser.add_argument("--weights", default="1,3,10")
    parser.add_argument(
        "--pool",
        type=int,
        default=20,
        help="pool documents per draw (the largest k); the rest of the source is the test set",
    )
    parser.add_argument("--min-docs", type=int, default=25)
    parser.add_argument(
        "--enough",
        type=int,
        default=5,
        help="favor and against paragraphs the new documents must each hold to refit side weights",
    )
    parser.add_argument("--stance-decision", default="tuned")
    parser.add_argument(
        "--char-ngrams", default="3,5", help='"3,5" (the default features) or "none" (word n-grams only: lighter)'
    )
    parser.add_argument("--sources", help="comma-separated sources (default: every source with --min-docs documents)")
    parser.add_argument("--jobs", type=int, default=1)
    parser.add_argument("--out")
    parser.add_argument("--summary", help="a JSONL file written by --out: print its tables, train nothing")
    args = parser.parse_args()
    ks = [int(k) for k in args.ks.split(",")]
    if args.summary:
        print(summarize([json.loads(l) for l in open(args.summary, encoding="utf-8")], ks))
        return
    ARGS = args
    LABELS = load_labels(args.labels, corpus_dir=args.corpus)
    by_source = {}
    for e in LABELS.examples:
        by_source.setdefault(source_of(e), set()).add(e.doc)
    wanted = args.sources.split(",") if args.sources else sorted(by_source)
    sources = [s for s in wanted if len(by_source[s]) >= args.min_docs]
    skipped = [f"{s} ({len(by_source[s])} documents)" for s in wanted if len(by_source[s]) < args.min_docs]
    if skipped:
        print(f"skipped, fewer than {args.min_docs} documents: {', '.join(skipped)}", file=sys.stderr)
    tasks = [(s, d) for d in range(args.draws) for s in sources]
    lines = []
    if args.out and Path(args.out).exists():  # resume: (source, draw) pairs already written are not run again
        lines = [json.loads(l) for l in open(args.out, encoding="utf-8")]
        done = {(l["source"], l["draw"]) for l in lines}
        tasks = [t for t in tasks if t not in done]
    start = time.perf_counter()

    def keep(result: list[dict]) -> None:
        lines.extend(result)
        if args.out:  # each (source, draw) as it finishes: a stopped run keeps what it did
            with open(args.out, "a", encoding="utf-8") as handle:
                for line in result:
                    handle.write(json.dumps(line) + "\n")

    if args.jobs > 1:
        import multiprocessing

        with multiprocessing.get_context("fork").Pool(args.jobs) as pool:
            for result in pool.imap_unordered(run_task, tasks, chunksize=1):
                keep(result)
    else:
        for task in tasks:
            keep(run_task(task))
    elapsed = time.perf_counter() - start
    print(
        f"Sources: {', '.join(sources)}; skipped: {', '.join(skipped) or 'none'}; {args.draws} draws; pool {args.pool}; "
        f"char n-grams {args.char_ngrams}; stance decision {args.stance_decision}; {args.jobs} jobs on {os.cpu_count()} cores; "
        f"{elapsed / 60:.1f} min"
    )
    print(summarize(lines, ks))


if __name__ == "__main__":
    main()
