"""A cross-validation report as a text table, a comparison of two models, and a page with plots.

Plots are drawn on :class:`matplotlib.figure.Figure` objects, never through
``pyplot``'s global state, so writing a report from a notebook leaves its
backend and open figures alone.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from .errors import ThemetagError

if TYPE_CHECKING:  # the report reads a CVReport; importing evaluation would pull in scikit-learn
    from .evaluation import CVReport


def _f(value) -> str:
    return "  –  " if value is None else f"{value:.3f}"


def format_table(report: "CVReport") -> str:
    """The evaluation table: the model beside majority and keyword baselines, with fold spread."""
    schema, m, base = report.schema, report.overall, report.baselines
    lines = [
        f"Grouped {len(report.folds)}-fold cross-validation (folds by document), {m['n_content']} content paragraphs",
        "",
        f"{'metric':<38}{'model':>9}{'± fold sd':>11}{'keyword':>9}{'majority':>10}",
        "-" * 77,
    ]

    def row(name, path, value_of):
        mean_sd = report.spread(*path)
        lines.append(
            f"{name:<38}{_f(value_of(m)):>9}{'± ' + format(mean_sd[1], '.3f'):>11}{_f(value_of(base['keyword'])):>9}{_f(value_of(base['majority'])):>10}"
        )

    has_themes, has_stance = bool(schema.themes), len(schema.stances) > 1
    for t in schema.themes:
        for metric in ("precision", "recall", "f1"):
            row(
                f"theme {t} {metric}",
                ("themes", "per_theme", t, metric),
                lambda b, t=t, metric=metric: b["themes"]["per_theme"][t][metric],
            )
    if has_themes:
        row("theme micro-F1", ("themes", "micro_f1"), lambda b: b["themes"]["micro_f1"])
        row("theme macro-F1", ("themes", "macro_f1"), lambda b: b["themes"]["macro_f1"])
    if has_stance:
        for s in schema.stances:
            row(f"stance {s} F1", ("stance", "per_stance", s, "f1"), lambda b, s=s: b["stance"]["per_stance"][s]["f1"])
        row("stance macro-F1", ("stance", "macro_f1"), lambda b: b["stance"]["macro_f1"])
        sides = "/".join(s for s in schema.stances if s != schema.null_stance)
        row(f"stance F_avg (mean F1 {sides})", ("stance", "f_avg"), lambda b: b["stance"]["f_avg"])
    kind = report.kind
    if kind.get("model_accuracy") is not None:
        lines.append(f"{'kind accuracy (learned model)':<38}{_f(kind.get('model_accuracy')):>9}")
    if kind.get("rules_accuracy") is not None:
        lines.append(
            f"{'kind accuracy on articles: model':<38}{_f(kind.get('model_accuracy_on_articles')):>9}   ({kind['articles_paragraphs']} paragraphs of labeled articles)"
        )
        lines.append(f"{'kind accuracy on articles: rules':<38}{_f(kind.get('rules_accuracy')):>9}")
        rb = kind["rules_boilerplate"]
        lines.append(
            f"{'boilerplate P / R (rules)':<38}{rb['precision']:>9.3f} / {rb['recall']:.3f}  (support {rb['support']})"
        )
    measures = " / ".join(
        name for name, shown in (("theme micro-F1", has_themes), ("stance F_avg", has_stance)) if shown
    )

    def pair(block: dict) -> str:
        return " / ".join(
            f"{value:.3f}"
            for value, shown in ((block["themes"]["micro_f1"], has_themes), (block["stance"]["f_avg"], has_stance))
            if shown
        )

    if report.loso is not None:
        lines += [
            "",
            "Leave one source out: trained on the other sources, tested on this one (an outlet never seen)",
            f"({measures}; model | keyword):",
        ]
        for source, block in report.loso.items():
            mm, kw = block["model"], block["keyword"]
            lines.append(
                f"  {source:<14} {block['documents']:>4} docs {mm['n_content']:>5} content  {pair(mm)}  |  {pair(kw)}"
            )
    if report.curve:
        lines += ["", "Learning curve (grouped CV with part of each training fold's documents):"]
        for point in report.curve:
            scores = ", ".join(
                f"{name} {point[key]:.3f}"
                for name, key, shown in (
                    ("theme micro-F1", "theme_micro_f1", has_themes),
                    ("stance F_avg", "stance_f_avg", has_stance),
                )
                if shown
            )
            lines.append(f"  {point['fraction']:>5.0%} ({point['documents']:>6.1f} documents): {scores}")
    if len(report.per_source) > 1:
        lines += ["", f"Per source, within grouped CV ({measures}; model | keyword):"]
        for source, block in report.per_source.items():
            mm, kw = block["model"], block["keyword"]
            lines.append(
                f"  {source:<14} {block['documents']:>4} docs {mm['n_content']:>5} content  {pair(mm)}  |  {pair(kw)}"
            )
    return "\n".join(lines)


def format_segmentation(scores: dict, errors: int = 0) -> str:
    """The segmentation table (evaluation.segmentation_scores): content kept, content-vs-other, boilerplate."""
    lines = [
        "Segmentation rules against labeled articles (kinds as labeled, paragraph by paragraph)",
        "",
        f"{'source':<16}{'articles':>9}{'paragraphs':>11}{'content':>8}{'content recall':>16}{'content prec.':>14}"
        f"{'content-vs-other':>18}{'boilerplate prec.':>19}{'kind acc.':>10}",
    ]
    rows = [*scores["per_source"].items(), ("all", scores["overall"])]
    for name, b in rows:
        lines.append(
            f"{name:<16}{b['articles']:>9}{b['paragraphs']:>11}{b['content']:>8}{_f(b['content_recall']):>16}{_f(b['content_precision']):>14}"
            f"{_f(b['content_accuracy']):>18}{_f(b['boilerplate_precision']):>19}{_f(b['kind_accuracy']):>10}"
        )
    lost = scores["content_lost"]
    lines += [
        "",
        f"Articles that lost content: {len(lost)}"
        + (": " + ", ".join(f"{doc} ({n})" for doc, n in lost.items()) if lost else ""),
    ]
    shown = scores["errors"][:errors]
    if shown:
        lines += ["", f"Paragraphs the rules got wrong (first {len(shown)} of {len(scores['errors'])}):"]
        for e in shown:
            lines.append(f"  {e['where']}: labeled {e['label']}, rules {e['rules']}: {e['text'][:80]!r}")
    return "\n".join(lines)


def format_comparison(comparison: dict, shown: int = 10) -> str:
    """The previous and the new model side by side (review.compare_with_previous), and what changed."""
    stored = comparison.get("stored_differs")
    lines = [
        "",
        f"Previous model vs new, grouped CV on the same labels (previous: {comparison['previous_metrics_from']})",
        f"{'metric':<22}{'previous':>10}{'new':>10}{'change':>10}" + (f"{'previous, as stored':>22}" if stored else ""),
    ]
    for name, pair in comparison["metrics"].items():
        old, new = pair["previous"], pair["new"]
        change = f"{new - old:+.3f}" if old is not None and new is not None else "  –"
        lines.append(
            f"{name:<22}{_f(old):>10}{_f(new):>10}{change:>10}"
            + (f"{_f(pair.get('previous_stored')):>22}" if stored else "")
        )
    if stored:
        lines.append(
            "(previous, as stored: its own cross-validation on the labels it was trained on, which differ from these)"
        )
    summary = comparison["summary"]
    lines += [
        "",
        f"Predictions changed on {summary['changed']} of {comparison['content_paragraphs']} labeled content paragraphs "
        f"(in-sample): {summary['now_right']} now match their label, {summary['now_wrong']} no longer do.",
    ]
    for change in comparison["changes"][:shown]:

        def tags(t):
            return f"{';'.join(t['themes']) or '-'} / {t['stance']}"

        lines.append(
            f"  {change['where']}: {tags(change['previous'])} -> {tags(change['new'])} (label {tags(change['label'])})"
        )
    if len(comparison["changes"]) > shown:
        lines.append(f"  ... and {len(comparison['changes']) - shown} more (--changes FILE writes them all)")
    return "\n".join(lines)


def report_figure_class():
    """matplotlib's Figure, or an error saying how to install it (checked before an evaluation starts)."""
    try:
        from matplotlib.figure import Figure
    except ImportError:
        raise ThemetagError("--report needs matplotlib: pip install 'themetag[report]'") from None
    return Figure


#: The files a report folder holds (write_report); an existing one is replaced only with force.
REPORT_FILES = (
    "index.md",
    "predictions.jsonl",
    "themes.png",
    "stance_confusion.png",
    "reliability.png",
    "learning_curve.png",
)


def check_report_folder(directory: str | Path, *, force: bool = False) -> None:
    """Refuse, before any work, a report folder holding a file the report would replace (without ``force``)."""
    from .errors import OutputError
    from .io import check_output_folder

    out = Path(directory)
    check_output_folder(out)
    taken = [name for name in REPORT_FILES if (out / name).exists()]
    if taken and not force:
        raise OutputError(
            f"holds {', '.join(taken)}, which the report would replace; pass --force, or name another folder",
            path=str(out),
        )


def write_report(report: "CVReport", directory: str | Path, *, force: bool = False) -> Path:
    """Write index.md with per-theme precision/recall, the stance confusion matrix and a reliability plot (PNGs)."""
    Figure = report_figure_class()
    import numpy as np

    from .io import write_text

    out = Path(directory)
    check_report_folder(out, force=force)
    out.mkdir(exist_ok=True)
    schema = report.schema
    per = report.overall["themes"]["per_theme"]
    content = [p for p in report.predictions if p["kind"] == "content"]
    page = ["# themetag evaluation report", "", "```", format_table(report), "```", ""]

    if schema.themes:
        fig = Figure(figsize=(6, 3.8))
        ax = fig.subplots()
        x = np.arange(len(schema.themes))
        ax.bar(x - 0.2, [per[t]["precision"] for t in schema.themes], 0.4, label="precision")
        ax.bar(x + 0.2, [per[t]["recall"] for t in schema.themes], 0.4, label="recall")
        ax.set_xticks(x, schema.themes, rotation=15)
        ax.set_ylim(0, 1.15)  # room above the bars for the legend
        ax.set_title("Themes: precision and recall (grouped CV)")
        ax.legend(loc="upper center", ncols=2, frameon=False)
        page += _save(fig, out / "themes.png", "Per-theme precision and recall")

    if len(schema.stances) > 1:  # a theme-only schema has no stance to confuse
        stances = list(schema.stances)
        cm = np.zeros((len(stances), len(stances)), dtype=int)
        for p in content:
            cm[stances.index(p["stance"]), stances.index(p["stance_pred"])] += 1
        fig = Figure(figsize=(4.5, 4))
        ax = fig.subplots()
        ax.imshow(cm, cmap="Blues")
        for i in range(len(stances)):
            for j in range(len(stances)):
                # White on the dark cells, black on the light ones: readable at every count.
                color = "white" if cm[i, j] > cm.max() / 2 else "black"
                ax.text(j, i, str(cm[i, j]), ha="center", va="center", color=color)
        ax.set_xticks(range(len(stances)), stances)
        ax.set_yticks(range(len(stances)), stances)
        ax.set_xlabel("predicted")
        ax.set_ylabel("labeled")
        ax.set_title("Stance confusion matrix")
        page += _save(fig, out / "stance_confusion.png", "Stance confusion matrix")

    if schema.themes:
        fig = Figure(figsize=(4.5, 4))
        ax = fig.subplots()
        bins = np.linspace(0, 1, 11)
        for t in schema.themes:
            probs = np.array([p["theme_scores"][t] for p in content])
            truth = np.array([t in p["themes"] for p in content])
            idx = np.clip(np.digitize(probs, bins) - 1, 0, 9)
            xs, ys = [], []
            for b in range(10):
                sel = idx == b
                if sel.sum() >= 5:
                    xs.append(probs[sel].mean())
                    ys.append(truth[sel].mean())
            ax.plot(xs, ys, marker="o", label=t)
        ax.plot([0, 1], [0, 1], "k--", lw=0.8)
        ax.set_xlabel("predicted probability")
        ax.set_ylabel("observed frequency")
        ax.set_title("Reliability of theme probabilities")
        ax.legend(fontsize=7, loc="upper left")
        page += _save(fig, out / "reliability.png", "Reliability of theme probabilities")

    if report.curve:
        fig = Figure(figsize=(5, 3.5))
        ax = fig.subplots()
        xs = [p["documents"] for p in report.curve]
        ax.plot(xs, [p["theme_micro_f1"] for p in report.curve], marker="o", label="theme micro-F1")
        ax.plot(xs, [p["stance_f_avg"] for p in report.curve], marker="s", label="stance F_avg")
        ax.set_xlabel("labeled documents in training")
        ax.set_ylabel("score (grouped CV)")
        ax.set_ylim(0, 1)
        ax.set_title("Learning curve: would more labels help?")
        ax.legend(loc="upper left", frameon=False)
        page += _save(fig, out / "learning_curve.png", "Learning curve")

    page.append("Out-of-fold predictions: `predictions.jsonl`.")
    write_text("\n".join(page) + "\n", out / "index.md")
    write_predictions(report, out / "predictions.jsonl")
    return out / "index.md"


def _save(fig, path: Path, alt: str) -> list[str]:
    """Write a figure as PNG; return the report page's lines that show it."""
    from .io import atomic_output

    fig.tight_layout()
    with atomic_output(path, binary=True) as handle:
        fig.savefig(handle, dpi=110, format="png")
    return [f"![{alt}]({path.name})", ""]


def write_predictions(report: "CVReport", path: str | Path) -> None:
    """The out-of-fold predictions, one JSON line per labeled paragraph (written atomically)."""
    from .io import write_jsonl

    write_jsonl(report.predictions, path)
