"""Are collection-share estimates honest on an outlet the model never saw? PPI++ against the labels alone.

Each label source (seeds, insightcrime, ungdc, wikipedia) is taken in turn as "the collection": a model is
trained on every *other* source's labeled examples (leave-one-source-out, with the shipped model's training
settings from ``src/themetag/models/default/metadata.json`` and seed 0), and tags the source's labeled
content paragraphs (N of them; their people's labels are the truth, the true share of a label is its mean
over the N). Then, for each sample size n, many simple random samples of n paragraphs are drawn without
replacement (seeded per source and n) and, per label (every theme; every stance), three estimates of the
share are compared with the true one:

* naive: the share of the N paragraphs the model tags (the same in every draw);
* labels alone: the mean of the n labels, with its normal interval
  (``themetag.estimates.mean_interval(..., power_tuned=False)``);
* PPI++: ``mean_interval(y, f_sample, f_all, alpha=0.05)``, the model's probabilities f on all N and the
  labels on the n.

Intervals are ``mean_interval``'s, clipped to [0, 1] (as ``themetag estimate`` reports them): the normal interval,
widened to hold Wilson's score interval of the labels where fewer than five sampled labels carry the label (or lack
it). Reported per source, n and label: true share, mean absolute error of each estimate, mean interval width,
coverage (the true share inside the interval), and the fraction of draws in which all n sampled labels are alike.

    python scripts/estimate_quality.py [--draws 500] [--sizes 30,60,120] [--corpus ../shared/corpus]
                                       [--out docs/estimate_quality.md] [--jobs 1]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
import zlib
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "src"))

from themetag import load_labels  # noqa: E402
from themetag.estimates import FEW_FOR_NORMAL, _z, mean_interval  # noqa: E402
from themetag.labels import source_of  # noqa: E402
from themetag.tagger import Tagger  # noqa: E402
from themetag.training import TrainConfig, fit  # noqa: E402

ALPHA = 0.05
METADATA = REPO / "src" / "themetag" / "models" / "default" / "metadata.json"
#: Two bounds closer than this count as equal (floating-point noise in ppi_py's interval).
TOL = 1e-12


def shipped_config() -> TrainConfig:
    """The shipped model's training settings, seed 0."""
    training = dict(json.loads(METADATA.read_text(encoding="utf-8"))["training"])
    training["seed"] = 0
    return TrainConfig.from_dict(training)


def draw_seed(source: str, n: int) -> list[int]:
    """A constant seed per source and n (crc32, not Python's salted hash), so every run draws the same samples."""
    return [zlib.crc32(source.encode("utf-8")), n]


def interval(low: float, high: float) -> tuple[float, float]:
    """The interval as `themetag estimate` reports it: clipped to [0, 1]."""
    if np.isnan(low) or np.isnan(high):
        return np.nan, np.nan
    return max(0.0, low), min(1.0, high)


def exact_labels_coverage(N: int, K: int, n: int, z: float) -> float:
    """Coverage of the labels-alone interval without Monte Carlo noise: over the hypergeometric law of the number k
    of labeled positives in a simple random sample of n from N units with K positives, with the interval that
    ``mean_interval(..., power_tuned=False)`` gives for k of n (it depends on nothing else)."""
    from scipy.stats import hypergeom

    true, covered = K / N, 0.0
    dummy = np.zeros(N)  # the model's f: unused with power_tuned=False
    for k in range(max(0, n - (N - K)), min(n, K) + 1):
        y = np.r_[np.ones(k), np.zeros(n - k)]
        low, high = interval(*mean_interval(y, y, dummy, alpha=ALPHA, power_tuned=False)[1:])
        if low - TOL <= true <= high + TOL:
            covered += hypergeom.pmf(k, N, K, n)
    return float(covered)


def run_source(labels_dir: str, corpus: str, source: str, sizes: list[int], draws: int) -> dict:
    """Train without ``source``, tag its content paragraphs, and simulate the draws. Returns plain data."""
    start = time.perf_counter()
    labels = load_labels(labels_dir, corpus_dir=corpus)
    schema = labels.schema
    config = shipped_config()
    train = [e for e in labels.examples if source_of(e) != source]
    collection = [e for e in labels.examples if source_of(e) == source and e.kind == "content"]
    model = fit(train, schema, config)
    fit_seconds = time.perf_counter() - start
    tags = Tagger(model).tag_paragraphs([e.text for e in collection], kinds=["content"] * len(collection))

    names = [(t, "theme") for t in schema.themes] + [(s, "stance") for s in schema.stances]
    y = np.array(
        [[t in e.themes for t in schema.themes] + [e.stance == s for s in schema.stances] for e in collection],
        dtype=float,
    )
    f = np.array(
        [[p.theme_scores[t] for t in schema.themes] + [p.stance_scores[s] for s in schema.stances] for p in tags],
        dtype=float,
    )
    tag = np.array(
        [[t in p.themes for t in schema.themes] + [p.stance == s for s in schema.stances] for p in tags], dtype=float
    )
    N = len(collection)
    true, naive, mean_f = y.mean(0), tag.mean(0), f.mean(0)
    z = _z(ALPHA)

    rows, skipped = [], []
    for n in sizes:
        if n >= N:
            skipped.append(n)
            continue
        rng = np.random.default_rng(draw_seed(source, n))
        picks = [rng.choice(N, size=n, replace=False) for _ in range(draws)]
        for j, (name, kind) in enumerate(names):
            err = {"naive": [], "labels": [], "ppi": []}
            width = {"labels": [], "ppi": []}
            covered = {"labels": [], "ppi": []}
            alike = []
            for at in picks:
                alike.append(np.ptp(y[at, j]) == 0)
                err["naive"].append(abs(naive[j] - true[j]))
                for key, tuned in (("labels", False), ("ppi", True)):
                    estimate, low, high = mean_interval(y[at, j], f[at, j], f[:, j], alpha=ALPHA, power_tuned=tuned)
                    low, high = interval(low, high)
                    err[key].append(abs(estimate - true[j]))
                    width[key].append(high - low)
                    covered[key].append(low - TOL <= true[j] <= high + TOL)
            rows.append(
                {
                    "source": source,
                    "n": n,
                    "N": N,
                    "label": name,
                    "kind": kind,
                    "true": float(true[j]),
                    "naive": float(naive[j]),
                    "mean_f": float(mean_f[j]),
                    "mae_naive": float(np.mean(err["naive"])),
                    "mae_labels": float(np.mean(err["labels"])),
                    "mae_ppi": float(np.mean(err["ppi"])),
                    "width_labels": float(np.mean(width["labels"])),
                    "width_ppi": float(np.mean(width["ppi"])),
                    "cover_labels": float(np.mean(covered["labels"])),
                    "cover_ppi": float(np.mean(covered["ppi"])),
                    "alike": float(np.mean(alike)),
                    "exact_labels": exact_labels_coverage(N, int(round(y[:, j].sum())), n, z),
                }
            )
    return {
        "source": source,
        "N": N,
        "train_examples": len(train),
        "skipped": skipped,
        "rows": rows,
        "fit_seconds": fit_seconds,
        "seconds": time.perf_counter() - start,
    }


def f3(x: float) -> str:
    return f"{x:.3f}"


def git_state() -> str:
    """The commit, and whether src/ had uncommitted changes (the script imports themetag from src/)."""
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True, text=True, check=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--", "src"], cwd=REPO, capture_output=True, text=True, check=True
        ).stdout.split("\n")
        dirty = sorted(line[3:] for line in dirty if line.strip())
    except (OSError, subprocess.CalledProcessError):
        return "(unknown)"
    return commit + (f" (uncommitted changes in {', '.join(dirty)})" if dirty else "")


def report(results: list[dict], args, command: str, cores: int | None, seconds: float, state: str) -> str:
    out = []
    sizes_text = ", ".join(map(str, args.sizes))
    out.append("# Collection-share estimates on outlets the model never saw (PPI++ against the labels alone)")
    out.append("")
    out.append(
        'Each label source in turn is "the collection": a model trained on every other source\'s labeled examples '
        "(leave-one-source-out; the shipped model's training settings from `src/themetag/models/default/metadata.json`, "
        "seed 0) tags the source's labeled content paragraphs (N of them), whose people's labels give the true share of "
        "each theme and stance. For each sample size n "
        f"({sizes_text}; a size at or above N is skipped) {args.draws} simple random samples of n paragraphs are drawn "
        "without replacement (seeded per source and n), and each label's share is estimated three ways: **naive**, the "
        "share the model tags among all N (the same in every draw); **labels**, the mean of the n labels with its "
        "normal interval (`themetag.estimates.mean_interval(..., power_tuned=False)`); **PPI**, PPI++ with the model's "
        f"probabilities on all N (`mean_interval(y, f_sample, f_all, alpha={ALPHA})`). Intervals are `mean_interval`'s "
        f"normal ones (estimate ± {_z(ALPHA):.2f}·se), widened to hold Wilson's score interval of the labels where fewer "
        f"than {FEW_FOR_NORMAL} sampled labels carry the label (or lack it), clipped to [0, 1], as `themetag estimate` "
        "reports them. MAE is the mean absolute error against the true share over the draws; "
        "width the mean interval width; cover the fraction of draws whose interval holds the true share (target 0.95); "
        "alike the fraction of draws in which every sampled label is the same (none or all of the n carry the label). "
        "As in real use, the intervals "
        "carry no finite-population correction, so where n is a large part of N (seeds: n = 60 of 106) they are wider "
        "than needed. "
        f"With {args.draws} draws a coverage near 0.95 has a Monte Carlo standard error of about "
        f"{np.sqrt(0.95 * 0.05 / args.draws):.3f} ({np.sqrt(0.9 * 0.1 / args.draws):.3f} near 0.90), and the draws of one "
        "source and n are shared by its labels; cover labels exact is the labels-alone interval's coverage computed "
        "without draws (hypergeometric law of the number of positives in the sample), a check on that noise. "
        f"Command: `{command}`, run from the repository root at commit {state} ({cores} cores reported by "
        f"os.cpu_count(); this run took {seconds:.0f} s)."
    )
    out.append("")

    all_rows = [r for res in results for r in res["rows"]]

    out.append("## Summary per source and n (means over the 7 labels)")
    out.append("")
    out.append(
        "| source | N | n | MAE naive | MAE labels | MAE PPI | width labels | width PPI | cover labels | cover PPI | min cover PPI (label) |"
    )
    out.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|")
    for res in results:
        for n in args.sizes:
            rs = [r for r in res["rows"] if r["n"] == n]
            if not rs:
                out.append(f"| {res['source']} | {res['N']} | {n} | skipped: n ≥ N | | | | | | | |")
                continue
            worst = min(rs, key=lambda r: r["cover_ppi"])
            means = {
                k: np.mean([r[k] for r in rs])
                for k in (
                    "mae_naive",
                    "mae_labels",
                    "mae_ppi",
                    "width_labels",
                    "width_ppi",
                    "cover_labels",
                    "cover_ppi",
                )
            }
            out.append(
                f"| {res['source']} | {res['N']} | {n} | "
                + " | ".join(f3(means[k]) for k in means)
                + f" | {f3(worst['cover_ppi'])} ({worst['label']}) |"
            )
    out.append("")

    out.append("## Targets")
    out.append("")
    themes60 = [r for r in all_rows if r["kind"] == "theme" and r["n"] >= 60]
    failing = [r for r in themes60 if r["cover_ppi"] < 0.90]
    out.append(
        f"* PPI coverage ≥ 0.90 for every theme and source at n ≥ 60: **{'met' if not failing else 'not met'}** "
        f"({len(themes60) - len(failing)} of {len(themes60)} theme × source × n cells; lowest "
        f"{f3(min(r['cover_ppi'] for r in themes60))})"
        + (
            "."
            if not failing
            else "; below 0.90: "
            + ", ".join(
                f"{r['source']} {r['label']} n={r['n']} ({f3(r['cover_ppi'])}, true share {f3(r['true'])})"
                for r in failing
            )
            + "."
        )
    )
    failing_l = [r for r in themes60 if r["cover_labels"] < 0.90]
    out.append(
        f"* For comparison, the labels alone at n ≥ 60: {len(themes60) - len(failing_l)} of {len(themes60)} theme cells ≥ 0.90"
        + (
            ""
            if not failing_l
            else "; below: "
            + ", ".join(f"{r['source']} {r['label']} n={r['n']} ({f3(r['cover_labels'])})" for r in failing_l)
        )
        + "; computed exactly (no draws), labels-alone coverage is below 0.90 in "
        + (
            ", ".join(
                f"{r['source']} {r['label']} n={r['n']} ({f3(r['exact_labels'])})"
                for r in themes60
                if r["exact_labels"] < 0.90
            )
            or "no theme cell"
        )
        + f" (lowest exact labels-alone coverage over all cells: {f3(min(r['exact_labels'] for r in all_rows))})."
    )
    stances60 = [r for r in all_rows if r["kind"] == "stance" and r["n"] >= 60]
    failing_s = [r for r in stances60 if r["cover_ppi"] < 0.90]
    out.append(
        f"* Stances (not part of the target) at n ≥ 60: PPI coverage ≥ 0.90 in {len(stances60) - len(failing_s)} of {len(stances60)} cells"
        + (
            ""
            if not failing_s
            else "; below: "
            + ", ".join(
                f"{r['source']} {r['label']} n={r['n']} ({f3(r['cover_ppi'])}, true share {f3(r['true'])})"
                for r in failing_s
            )
        )
        + "."
    )
    mae_l, mae_p = np.mean([r["mae_labels"] for r in all_rows]), np.mean([r["mae_ppi"] for r in all_rows])
    out.append(
        f"* PPI MAE below the labels-alone MAE on average: **{'met' if mae_p < mae_l else 'not met'}** "
        f"(mean over all {len(all_rows)} source × n × label cells: PPI {mae_p:.4f}, labels {mae_l:.4f}, naive "
        f"{np.mean([r['mae_naive'] for r in all_rows]):.4f}; PPI lower in {sum(r['mae_ppi'] < r['mae_labels'] for r in all_rows)} "
        f"of {len(all_rows)} cells, and on average in "
        + ", ".join(
            f"{res['source']} ({np.mean([r['mae_ppi'] for r in res['rows']]):.4f} vs {np.mean([r['mae_labels'] for r in res['rows']]):.4f})"
            for res in results
        )
        + ")."
    )
    out.append(
        f"* Mean PPI interval width against the labels alone: {np.mean([r['width_ppi'] for r in all_rows]):.4f} vs "
        f"{np.mean([r['width_labels'] for r in all_rows]):.4f}; overall coverage PPI {np.mean([r['cover_ppi'] for r in all_rows]):.3f}, "
        f"labels {np.mean([r['cover_labels'] for r in all_rows]):.3f}."
    )
    for res in results:
        if res["skipped"]:
            out.append(
                f"* {res['source']}: N = {res['N']}, so n = {', '.join(map(str, res['skipped']))} skipped (n ≥ N)."
            )
    out.append("")

    out.append("## Per source, n and label")
    out.append("")
    for res in results:
        out.append(
            f"### {res['source']} (N = {res['N']} content paragraphs; model trained on the other sources' {res['train_examples']} examples)"
        )
        out.append("")
        out.append(
            "| n | label | true share | naive share | mean f | MAE naive | MAE labels | MAE PPI | width labels | width PPI | cover labels | cover labels exact | cover PPI | alike |"
        )
        out.append("|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
        for r in res["rows"]:
            label = r["label"] if r["kind"] == "theme" else f"stance: {r['label']}"
            out.append(
                f"| {r['n']} | {label} | "
                + " | ".join(
                    f3(r[k])
                    for k in (
                        "true",
                        "naive",
                        "mean_f",
                        "mae_naive",
                        "mae_labels",
                        "mae_ppi",
                        "width_labels",
                        "width_ppi",
                        "cover_labels",
                        "exact_labels",
                        "cover_ppi",
                        "alike",
                    )
                )
                + " |"
            )
        out.append("")
    return "\n".join(out) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--labels", default=str(REPO / "labels"))
    parser.add_argument(
        "--corpus", default=str(REPO.parent / "shared" / "corpus"), help="corpus folder (default ../shared/corpus)"
    )
    parser.add_argument("--draws", type=int, default=500)
    parser.add_argument("--sizes", default="30,60,120")
    parser.add_argument("--out", default=str(REPO / "docs" / "estimate_quality.md"))
    parser.add_argument(
        "--jobs", type=int, default=1, help="sources run in parallel processes (results do not depend on it)"
    )
    args = parser.parse_args()
    args.sizes = [int(s) for s in args.sizes.split(",")]
    command = "python " + " ".join([os.path.relpath(__file__, REPO)] + sys.argv[1:])
    cores = os.cpu_count()
    print(f"cores (os.cpu_count()): {cores}; jobs: {args.jobs}", file=sys.stderr, flush=True)
    start = time.perf_counter()
    state = git_state()  # before the run: the code imported is the code of this moment

    labels = load_labels(args.labels, corpus_dir=args.corpus)
    sources = sorted({source_of(e) for e in labels.examples})
    print(f"sources: {', '.join(sources)}; training settings: {shipped_config()}", file=sys.stderr, flush=True)
    jobs = [(args.labels, args.corpus, s, args.sizes, args.draws) for s in sources]
    if args.jobs > 1:
        with ProcessPoolExecutor(max_workers=args.jobs) as pool:
            results = list(pool.map(run_source, *zip(*jobs)))
    else:
        results = []
        for job in jobs:
            results.append(run_source(*job))
            res = results[-1]
            print(
                f"{res['source']}: N={res['N']}, fit {res['fit_seconds']:.0f} s, all {res['seconds']:.0f} s",
                file=sys.stderr,
                flush=True,
            )
    seconds = time.perf_counter() - start
    if args.jobs > 1:
        for res in results:
            print(
                f"{res['source']}: N={res['N']}, fit {res['fit_seconds']:.0f} s, all {res['seconds']:.0f} s",
                file=sys.stderr,
                flush=True,
            )
    if git_state() != state:
        state += f"; by the end of the run {git_state()}: other commits landed while it ran"
    text = report(results, args, command, cores, seconds, state)
    print(f"cores (os.cpu_count()): {cores}")
    print(text)
    if args.out:
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        Path(args.out).write_text(text, encoding="utf-8")
        print(f"wrote {args.out} ({seconds:.0f} s)", file=sys.stderr)


if __name__ == "__main__":
    main()
