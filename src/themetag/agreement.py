"""Agreement of two annotators on the paragraphs both labeled: Cohen's kappa per theme and for stance, and
confusion tables.

Before a model's labels are trained on, they are compared with a person's on
the same paragraphs (``themetag agreement LABELS --a human --b llm:MODEL``).
Themes and stance are compared on the paragraphs both called content, as
``labels/AGREEMENT.md`` compares the project's two human annotators (who
reached kappa 0.90-0.96).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .errors import LabelError
from .labels import Example
from .schema import Schema

__all__ = ["Agreement", "agreement", "cohen_kappa"]


def cohen_kappa(a: list, b: list) -> float | None:
    """Cohen's kappa of two equally long label lists; None when undefined (no items, or one value throughout).

    >>> round(cohen_kappa(["x", "x", "y", "y"], ["x", "y", "y", "y"]), 3)
    0.5
    """
    if not a or len(a) != len(b):
        return None
    values = sorted(set(a) | set(b), key=str)
    if len(values) < 2:
        return None
    n = len(a)
    observed = sum(x == y for x, y in zip(a, b)) / n
    expected = sum((a.count(v) / n) * (b.count(v) / n) for v in values)
    if expected == 1.0:
        return None
    return (observed - expected) / (1.0 - expected)


@dataclass
class Agreement:
    """What two annotators agree on. ``themes``/``stance``: kappa (None where undefined), agreement and counts;
    ``confusion``: ``{name: {"labels": [...], "table": [[...]]}}`` with rows annotator a, columns annotator b."""

    a: str
    b: str
    both: int  # paragraphs both labeled
    both_content: int  # of those, the ones both called content
    only_a: int
    only_b: int
    kind: dict = field(default_factory=dict)
    themes: dict = field(default_factory=dict)
    stance: dict = field(default_factory=dict)
    confusion: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        """The result as JSON-ready data (``agreement --format json``)."""
        return {
            k: getattr(self, k)
            for k in ("a", "b", "both", "both_content", "only_a", "only_b", "kind", "themes", "stance", "confusion")
        }

    def lowest_kappa(self) -> float | None:
        """The lowest defined kappa over the themes and stance: the number to hold against a threshold."""
        values = [v["kappa"] for v in [*self.themes.values(), self.stance] if v and v.get("kappa") is not None]
        return min(values) if values else None


def _block(a: list, b: list, labels: list) -> tuple[dict, dict]:
    kappa = cohen_kappa(a, b)
    n = len(a)
    stats = {
        "kappa": None if kappa is None else round(kappa, 4),
        "agreement": round(sum(x == y for x, y in zip(a, b)) / n, 4) if n else None,
        "n": n,
    }
    table = [[sum(1 for x, y in zip(a, b) if x == row and y == col) for col in labels] for row in labels]
    return stats, {"labels": [str(v) for v in labels], "table": table}


def agreement(
    first: dict[str, Example], second: dict[str, Example], schema: Schema, *, a: str = "a", b: str = "b"
) -> Agreement:
    """Compare two annotators' labels (``{uid: example}``, as :func:`themetag.labels.load_annotations` gives them).

    >>> from themetag.labels import Example
    >>> schema = Schema(("security",), ("pro", "con", "none"), "none")
    >>> def ex(uid, themes, stance): return Example(uid, "d", 0, "t", "content", themes, stance, "f", 1)
    >>> x = {"1": ex("1", ("security",), "pro"), "2": ex("2", (), "none")}
    >>> y = {"1": ex("1", ("security",), "pro"), "2": ex("2", (), "con")}
    >>> result = agreement(x, y, schema)
    >>> result.themes["security"]["kappa"], result.stance["agreement"]
    (1.0, 0.5)
    """
    shared = sorted(set(first) & set(second))
    if not shared:
        raise LabelError(
            f"{a} and {b} labeled no paragraph in common; agreement needs the same paragraphs labeled by both "
            "(prelabel the paragraphs the person labeled: themetag prelabel LABELFILE --records ...)"
        )
    pairs = [(first[u], second[u]) for u in shared]
    content = [(x, y) for x, y in pairs if x.kind == y.kind == "content"]
    result = Agreement(
        a=a,
        b=b,
        both=len(pairs),
        both_content=len(content),
        only_a=len(set(first) - set(second)),
        only_b=len(set(second) - set(first)),
    )
    kinds = ["content", "heading", "boilerplate"]
    if any(x.kind != "content" or y.kind != "content" for x, y in pairs):
        result.kind, result.confusion["kind"] = _block([x.kind for x, _ in pairs], [y.kind for _, y in pairs], kinds)
    for theme in schema.themes:
        result.themes[theme], result.confusion[theme] = _block(
            [theme in x.themes for x, _ in content], [theme in y.themes for _, y in content], [True, False]
        )
    if len(schema.stances) > 1:
        result.stance, result.confusion["stance"] = _block(
            [x.stance for x, _ in content], [y.stance for _, y in content], list(schema.stances)
        )
    return result


def format_agreement(result: Agreement, *, require: float | None = None) -> str:
    """A plain-text report: kappa table, then one confusion table per theme and for stance."""

    def kappa(v: dict) -> str:
        return "n/a" if not v or v.get("kappa") is None else f"{v['kappa']:.2f}"

    lines = [
        f"{result.a} vs {result.b}: {result.both} paragraphs labeled by both ({result.both_content} content for both); "
        f"{result.only_a} only by {result.a}, {result.only_b} only by {result.b}",
        "",
        f"{'':<22}{'kappa':>7}{'agree':>8}{'n':>7}",
    ]
    rows = [*((t, result.themes[t]) for t in result.themes)]
    if result.stance:
        rows.append(("stance", result.stance))
    if result.kind:
        rows.append(("kind (all paragraphs)", result.kind))
    for name, v in rows:
        agree = "" if v.get("agreement") is None else f"{v['agreement']:.0%}"
        lines.append(f"{name:<22}{kappa(v):>7}{agree:>8}{v['n']:>7}")
    for name, block in result.confusion.items():
        labels = block["labels"]
        if labels == ["True", "False"]:
            labels = ["yes", "no"]
        width = max(8, *(len(x) + 2 for x in labels))
        lines += [
            "",
            f"{name}: rows {result.a}, columns {result.b}",
            " " * width + "".join(f"{x:>{width}}" for x in labels),
        ]
        for label, row in zip(labels, block["table"]):
            lines.append(f"{label:<{width}}" + "".join(f"{c:>{width}}" for c in row))
    if require is not None:
        low = result.lowest_kappa()
        verdict = "meets" if low is not None and low >= require else "does NOT meet"
        lines += ["", f"lowest kappa {'n/a' if low is None else f'{low:.2f}'} {verdict} the required {require:.2f}"]
    return "\n".join(lines)
