"""Collection shares with confidence intervals from a small random sample labeled by hand.

What a researcher publishes is a share: of a collection's content paragraphs (or articles), what fraction
carries a theme or a stance, overall or by outlet or year. Counting the model's tags gives a biased share
wherever the model's errors are not balanced (on outlets it never saw they are not). Two steps fix that:

1. :func:`sample` draws a simple random sample of the collection's content paragraphs (or of its articles),
   optionally stratified by a metadata field, and returns label-ready records that remember how they were
   drawn (the ``"sample"`` object: inclusion probability, stratum, the collection's fingerprint).
2. :func:`estimate` matches the labeled sample to the collection (by place, doc and para; else by text hash),
   checks it is the draw :func:`sample` made (its seed redraws it), and combines the people's labels with the
   model's probabilities on every unit by prediction-powered inference (PPI++, power-tuned: Angelopoulos et al.
   2023), computed with the ``ppi-python`` package. The interval is valid because the sample is random, however
   good or bad the model; power tuning makes it never wider than the labels alone would give (up to estimation
   noise in the tuning factor). The estimate is unbiased for a fixed tuning factor; as the factor is fitted on
   the same labels, it leans slightly toward the model's share at small n (about a tenth to a third of a
   standard error at 40 labels, in simulation).

Statistics, per label (theme or stance) and group: the model's probability ``f`` is known for all ``N``
units of the group; people's labels ``y`` for the ``n`` sampled ones. PPI++ estimates the share as
``λ·mean(f over all N) + mean(y − λ·f over the n)`` (``ppi_py.ppi_mean_ci`` with ``lam=None``). A stratified
sample is estimated stratum by stratum (within each group) and the strata are weighted by their share of
the group's units, with variances added; where a stratum of a group has fewer than two validated units the
group is estimated in one piece with weights ``1/π`` (``ppi_py``'s weighted form; ``design`` says so).
Where fewer than five validated units carry a label (or lack it), the normal interval is widened to hold Wilson's
score interval of the labels too (:func:`mean_interval`). ``--trend`` fits a line over time by PPI least squares
(``ppi_py.ppi_ols_ci``): the change of the share per year.

See ``README.md`` ("Publishing numbers") for the workflow and what the intervals need: a random sample,
labels made by people, the same collection, and a model that was not trained on the sample.
"""

from __future__ import annotations

import hashlib
import heapq
import math
import os
import re
import warnings
from array import array
from dataclasses import asdict, dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Iterable, Iterator

from .errors import InputError, LabelError, ThemetagError
from .schema import text_hash  # the key a validated paragraph is matched by, as label files key corpus paragraphs

if TYPE_CHECKING:
    from .tagger import ArticleTags

LEVELS = ("paragraph", "article")
ALLOCATIONS = ("per-stratum", "proportional")
#: Below this many validated units in a group, its row carries a warning (the normal interval is unreliable).
FEW_VALIDATED = 10
#: The group of units whose --by field is missing or empty.
NO_VALUE = "(none)"
#: The group of every unit, when there is no --by.
ALL = "all"
#: Written into each sampled record; estimate checks it.
SAMPLE_FORMAT = 1


# --------------------------------------------------------------------------- the collection's units


@dataclass
class Unit:
    """One unit of a collection: a content paragraph, or an article with content.

    ``scores`` and ``tags`` follow :func:`label_names`: the model's probability and its 0/1 tag for each theme,
    then for each stance (paragraph level); at article level both are the article's 0/1 tags (a theme is
    among its dominant themes; the article stance is that stance).
    """

    doc: str
    para: int | None
    hash: str
    metadata: dict
    scores: tuple
    tags: tuple
    texts: tuple = ()  # (para, text, text hash) of each content paragraph: what sample() writes


def label_names(article: "ArticleTags") -> list[tuple[str, str]]:
    """(name, "theme" or "stance") of every label a result carries, themes first (the schema's order)."""
    return [(t, "theme") for t in article.theme_shares] + [(s, "stance") for s in article.stance_counts]


def iter_units(results: Iterable["ArticleTags"], level: str = "paragraph") -> Iterator[Unit]:
    """The units of tagged articles: each content paragraph, or each article with at least one."""
    if level not in LEVELS:
        raise ValueError(f"level must be one of {', '.join(LEVELS)}, not {level!r}")
    for k, article in enumerate(results):
        if isinstance(article, Exception):
            continue  # tag_many(errors="yield"): reported by the caller
        doc = article.id if article.id is not None else f"article{k + 1}"
        themes, stances = list(article.theme_shares), list(article.stance_counts)
        content = (p for p in article.paragraphs if p.kind == "content")  # one at a time: an article may stream
        if level == "paragraph":
            for p in content:
                scores = tuple(p.theme_scores.get(t, 0.0) for t in themes) + tuple(
                    p.stance_scores.get(s, 0.0) for s in stances
                )
                tags = tuple(int(t in p.themes) for t in themes) + tuple(int(p.stance == s) for s in stances)
                h = text_hash(p.text)
                yield Unit(doc, p.index, h, article.metadata, scores, tags, ((p.index, p.text, h),))
        elif texts := tuple((p.index, p.text, text_hash(p.text)) for p in content):
            tags = tuple(int(t in article.dominant_themes) for t in themes) + tuple(
                int(article.stance == s) for s in stances
            )
            h = hashlib.sha256("\n".join(t[2] for t in texts).encode()).hexdigest()[:16]
            yield Unit(doc, None, h, article.metadata, tags, tags, texts)


def field_value(metadata: dict, name: str | None) -> str:
    """A unit's group or stratum: its metadata field as text; :data:`NO_VALUE` when missing or empty."""
    if name is None:
        return ALL
    value = metadata.get(name)
    if value is None or (isinstance(value, float) and math.isnan(value)) or str(value).strip() == "":
        return NO_VALUE
    text = str(value).strip()
    # An outlet literally called "all" (or "(none)") must not merge with the whole collection's row (or the missing).
    return f"{text} (as written)" if text in (ALL, NO_VALUE) else text


class Fingerprint:
    """An order-free fingerprint of a collection's units (a multiset hash): the same units in any order, the
    same fingerprint; one unit more, less or changed, another."""

    def __init__(self, level: str):
        self.level, self.count, self._sum = level, 0, 0

    def add(self, unit_hash: str) -> None:
        """Count one unit, given its hash (a string: the unit's text hash)."""
        self.count += 1
        self._sum = (self._sum + int(hashlib.sha256(unit_hash.encode()).hexdigest()[:32], 16)) % (1 << 128)

    def hexdigest(self) -> str:
        """The fingerprint so far: 16 hex digits, covering the level, the unit count and the units added."""
        return hashlib.sha256(f"{self.level}:{self.count}:{self._sum:032x}".encode()).hexdigest()[:16]


# --------------------------------------------------------------------------- sample


@dataclass
class Sample:
    """What :func:`sample` drew: the label-ready ``records`` and the design (sizes by stratum)."""

    records: list[dict]
    level: str
    by: str | None
    seed: int
    collection: str
    population: dict[str, int]  # stratum → units in the collection
    size: dict[str, int]  # stratum → units drawn


def _draw_key(seed: int, unit: Unit) -> int:
    # A seeded hash of the unit is a uniform random number per unit: the n smallest form a simple random sample
    # without replacement, the same whatever order the collection is read in, with memory for n units only.
    key = f"{seed}\x00{unit.doc}\x00{unit.para}\x00{unit.hash}".encode("utf-8", "surrogatepass")
    return int.from_bytes(hashlib.sha256(key).digest()[:8], "big")


def allocate(n: int, population: dict[str, int], allocation: str) -> dict[str, int]:
    """Units to draw per stratum: ``n`` each (``per-stratum``, at most the stratum's size), or ``n`` in all shared
    in proportion to the strata's sizes (largest remainders; every stratum at most its size).

    >>> allocate(10, {"a": 30, "b": 10}, "proportional")
    {'a': 8, 'b': 2}
    >>> allocate(10, {"a": 30, "b": 4}, "per-stratum")
    {'a': 10, 'b': 4}
    """
    if allocation not in ALLOCATIONS:
        raise ValueError(f"allocation must be one of {', '.join(ALLOCATIONS)}, not {allocation!r}")
    if allocation == "per-stratum":
        return {h: min(n, size) for h, size in population.items()}
    total = sum(population.values())
    if total == 0:
        return {h: 0 for h in population}
    exact = {h: n * size / total for h, size in population.items()}
    out = {h: min(int(v), population[h]) for h, v in exact.items()}
    spare = min(n, total) - sum(out.values())
    for h in sorted(exact, key=lambda h: (-(exact[h] - int(exact[h])), h)):
        if spare <= 0:
            break
        if out[h] < population[h]:
            out[h] += 1
            spare -= 1
    return out


def sample(
    results: Iterable["ArticleTags"],
    n: int,
    *,
    by: str | None = None,
    level: str = "paragraph",
    allocation: str = "per-stratum",
    seed: int = 0,
) -> Sample:
    """A simple random sample of a tagged collection's content paragraphs (or articles), to label by hand.

    With ``by`` (a metadata field such as outlet or year) the sample is stratified: ``n`` units from every
    stratum (``allocation="per-stratum"``) or ``n`` in all, shared in proportion to the strata's sizes.
    Each record is a paragraph in the label format (``segment``'s) with empty labels, an ``id``, and a
    ``"sample"`` object: the design, the stratum, its size and how many were drawn from it, the unit's
    inclusion probability and the collection's fingerprint, which :func:`estimate` checks. At article level
    every content paragraph of a drawn article is written (the article's tags are judged from all of them).

    Paragraphs the model was trained on are *not* left out: the sample must stay random. Same collection
    and ``seed``, same sample, whatever order the articles come in.

    >>> import themetag
    >>> tagged = themetag.load().tag_many([("a", "Troops burned coca.\\n\\nFarmers planted cacao.")])
    >>> drawn = sample(tagged, 1, seed=1)
    >>> [(r["doc"], r["sample"]["inclusion_probability"]) for r in drawn.records]
    [('a', 0.5)]
    """
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ValueError(f"n must be a whole number of at least 1, got {n!r}")
    allocate(0, {}, allocation)  # checks the name before any work
    fingerprint = Fingerprint(level)
    population: dict[str, int] = {}
    smallest: dict[str, list] = {}  # stratum → heap of (-key, order, unit): the n units with the smallest keys
    for order, unit in enumerate(iter_units(results, level)):
        fingerprint.add(unit.hash)
        stratum = field_value(unit.metadata, by)
        population[stratum] = population.get(stratum, 0) + 1
        heap = smallest.setdefault(stratum, [])
        item = (-_draw_key(seed, unit), order, unit)
        if len(heap) < n:
            heapq.heappush(heap, item)
        elif item[0] > heap[0][0]:
            heapq.heapreplace(heap, item)
    if by is not None and set(population) == {NO_VALUE}:
        raise InputError(
            f"no article has a {by!r} field to stratify by (check its name; JSON Lines fields, HTML metadata)"
        )
    size = allocate(n, population, allocation)
    collection = fingerprint.hexdigest()
    design = "simple" if by is None else "stratified"
    records = []
    for stratum in sorted(smallest):
        drawn = sorted(smallest[stratum], key=lambda item: -item[0])[: size[stratum]]
        for _, _, unit in sorted(drawn, key=lambda item: item[1]):  # in collection order
            about = {
                "format": SAMPLE_FORMAT,
                "design": design,
                "level": level,
                "by": by,
                "stratum": None if by is None else stratum,
                "population": population[stratum],
                "size": size[stratum],
                "n": n,
                "allocation": allocation,
                "inclusion_probability": size[stratum] / population[stratum],
                "collection": collection,
                "seed": seed,
            }
            for para, text, _ in unit.texts:
                records.append(
                    {
                        "id": f"{unit.doc}#{para}",
                        "doc": unit.doc,
                        "para": para,
                        "text": text,
                        "kind": "content",
                        "themes": [],
                        "stance": None,
                        "sample": dict(about),
                    }
                )
    return Sample(records, level, by, seed, collection, population, size)


# --------------------------------------------------------------------------- validation records


@dataclass
class Validated:
    """One labeled paragraph of a validation sample."""

    where: str
    doc: str | None
    para: int | None
    hash: str
    kind: str
    themes: list[str]
    stance: str | None
    sample: dict | None


def read_validation(sources, *, themes: Iterable[str], stances: Iterable[str]) -> list[Validated]:
    """Labeled sample records from label files (JSON Lines; a folder: its ``*.jsonl``) or from dicts.

    A record needs ``text`` and its labels; one with nothing labeled yet (no theme and no stance where the
    schema has stances), an unknown theme or stance, or bad JSON is refused, naming the file and line.
    """
    from .io import read_json_items

    themes, stances = tuple(themes), tuple(stances)
    items: list[tuple[str, object]] = []
    if isinstance(sources, (str, os.PathLike)):
        sources = [sources]
    sources = list(sources)
    if sources and all(isinstance(s, dict) for s in sources):
        items = [(f"record {i}", s) for i, s in enumerate(sources, start=1)]
    else:
        for source in sources:
            if not isinstance(source, (str, os.PathLike)):
                raise InputError(f"validation must be label files or a list of records, got {type(source).__name__}")
            path = Path(source)
            files = (
                sorted(p for p in path.rglob("*") if p.suffix.lower() == ".jsonl" and not p.is_dir())
                if path.is_dir()
                else [path]
            )
            if path.is_dir() and not files:
                raise LabelError("no *.jsonl label files in this folder", path=str(path))
            for file in files:
                found, name = read_json_items(file, expected="labeled sample records (JSON Lines)", error=LabelError)
                items += [(f"{name}:{item.line}", item.value) for item in found]
    records = []
    for where, record in items:
        records.append(_validated(where, record, themes, stances))
    if not records:
        raise LabelError("the validation sample holds no records")
    return records


def _validated(where: str, record: object, themes: tuple, stances: tuple) -> Validated:
    def fail(message: str) -> LabelError:
        return LabelError(f"{where}: {message}")

    if not isinstance(record, dict):
        raise fail(f"expected a JSON object, got {type(record).__name__}")
    text = record.get("text")
    if not isinstance(text, str) or not text.strip():
        raise fail('no "text" (the paragraph\'s text, as `themetag sample` wrote it)')
    kind = record.get("kind", "content")
    if kind not in ("content", "heading", "boilerplate"):
        raise fail(f'"kind" must be content, heading or boilerplate, got {kind!r}')
    annotator = record.get("annotator", "human")
    if not isinstance(annotator, str) or annotator.startswith("llm:"):
        # The interval is only as good as the sample's labels: a model's labels carry errors no interval accounts for.
        raise fail(
            f"labeled by {annotator!r}, not by a person: the validation sample must be labeled (or checked and "
            "corrected, then imported as a person's) by people"
        )
    labeled = record.get("themes", [])
    if not isinstance(labeled, list) or not all(isinstance(t, str) for t in labeled):
        raise fail(f'"themes" must be a list of theme names, got {labeled!r}')
    unknown = [t for t in labeled if t not in themes]
    if unknown:
        raise fail(f"unknown theme {unknown[0]!r}; the model's themes are {', '.join(themes)}")
    stance = record.get("stance")
    if stance is not None and stance not in stances:
        raise fail(f"unknown stance {stance!r}; the model's stances are {', '.join(stances)}")
    if kind == "content" and stance is None and len(stances) > 1:
        raise fail("not labeled yet (no stance): label it, or take it out of the validation sample")
    if kind != "content" and (labeled or stance is not None):
        raise fail(f"a {kind} paragraph carries no themes or stance")
    about = record.get("sample")
    if about is not None:
        _check_sample(about, fail)
    doc = record.get("doc")
    para = record.get("para")
    return Validated(
        where,
        None if doc is None else str(doc),
        para if isinstance(para, int) and not isinstance(para, bool) else None,
        text_hash(text),
        kind,
        list(labeled),
        stance,
        about,
    )


def _whole(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _check_sample(about: object, fail) -> None:
    """Refuse a ``"sample"`` object that is not one :func:`sample` could have written: every field it is read
    by, of the right type and in range (``fail(message)`` makes the error that names the record)."""
    if not isinstance(about, dict):
        raise fail(f'"sample" must be the object `themetag sample` wrote, got {_shown(about)}')
    version = about.get("format")
    if version != SAMPLE_FORMAT or not _whole(version):
        raise fail(f'a "sample" of format {_shown(version)}; this themetag reads {SAMPLE_FORMAT}')

    def bad(key: str, what: str) -> LabelError:
        shown = _shown(about[key]) if key in about else "nothing"
        return fail(f'"sample" {key} must be {what}, got {shown}; draw the sample again with `themetag sample`')

    if about.get("design") not in ("simple", "stratified"):
        raise bad("design", "simple or stratified")
    if about.get("level") not in LEVELS:
        raise bad("level", " or ".join(LEVELS))
    by = about.get("by")
    if about["design"] == "simple" and by is not None:
        raise bad("by", "null in a simple (unstratified) sample")
    if about["design"] == "stratified" and not (isinstance(by, str) and by.strip()):
        raise bad("by", "the name of the field a stratified sample was drawn by")
    stratum = about.get("stratum")
    if by is None and stratum is not None:
        raise bad("stratum", "null in a simple (unstratified) sample")
    if by is not None and not isinstance(stratum, str):
        raise bad("stratum", f"the {by} the record was drawn from, as text")
    for key in ("population", "size", "n"):
        if not _whole(about.get(key)) or about[key] < 1:
            raise bad(key, "a whole number of at least 1")
    if about["size"] > min(about["population"], about["n"]):
        raise bad("size", f"at most the stratum's population ({about['population']}) and n ({about['n']})")
    if about.get("allocation") not in ALLOCATIONS:
        raise bad("allocation", " or ".join(ALLOCATIONS))
    probability = about.get("inclusion_probability")
    if (
        not isinstance(probability, (int, float))
        or isinstance(probability, bool)
        or not math.isclose(probability, about["size"] / about["population"], rel_tol=1e-9)
    ):
        raise bad("inclusion_probability", f"size / population ({about['size'] / about['population']!r})")
    collection = about.get("collection")
    if not (isinstance(collection, str) and re.fullmatch(r"[0-9a-f]{16}", collection)):
        raise bad("collection", "the collection's fingerprint (16 hex digits)")
    if not _whole(about.get("seed")):
        raise bad("seed", "a whole number")


def _shown(value: object) -> str:
    """A value for a message, cut short (a hostile record may hold a huge one)."""
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


# --------------------------------------------------------------------------- estimate


@dataclass
class EstimateRow:
    """One estimated share (or, with ``statistic == "change per year"``, one trend) of one label in one group.

    ``naive`` is what counting the model's tags gives; ``estimate`` [``ci_low``, ``ci_high``] combines the
    validated sample with the model's probabilities (PPI++); ``labeled_only`` [...] uses the sample alone.
    """

    label: str
    type: str  # "theme" or "stance"
    group: str
    level: str
    statistic: str  # "share" or "change per year"
    N: int
    n: int
    naive: float
    estimate: float
    ci_low: float
    ci_high: float
    labeled_only: float
    labeled_ci_low: float
    labeled_ci_high: float
    confidence: float
    design: str
    warning: str = ""

    def to_dict(self) -> dict:
        """The row as a plain dict, one key per field."""
        return asdict(self)


@dataclass
class Estimates:
    """The rows of :func:`estimate` and what a reader of them must know (``notes``)."""

    rows: list[EstimateRow]
    notes: list[str] = field(default_factory=list)
    collection: str = ""

    def __iter__(self):
        return iter(self.rows)

    def __len__(self) -> int:
        return len(self.rows)

    def __getitem__(self, index):
        return self.rows[index]

    def records(self) -> list[dict]:
        """The rows as plain dicts (JSON-ready, the CSV's columns)."""
        return [row.to_dict() for row in self.rows]

    def to_frame(self):
        """The rows as a pandas DataFrame (needs pandas)."""
        import pandas as pd

        return pd.DataFrame(self.records(), columns=[f.name for f in EstimateRow.__dataclass_fields__.values()])


def _ppi():
    """``ppi_py``, imported without letting it change this process's warning filters (it ignores all warnings)."""
    try:
        with warnings.catch_warnings():
            import ppi_py
    except ImportError:
        raise ThemetagError("estimates need ppi-python: pip install 'themetag[estimates]'") from None
    return ppi_py


def _z(alpha: float) -> float:
    from statistics import NormalDist

    return NormalDist().inv_cdf(1 - alpha / 2)


#: Fewer validated units than this that carry a label (or that lack it), and the normal interval is not trusted alone:
#: it is widened to hold Wilson's score interval of the labels too (the textbook n·p ≥ 5 rule for the normal
#: approximation of a proportion).
FEW_FOR_NORMAL = 5


def mean_interval(
    y, f_labeled, f_all, *, alpha: float, power_tuned: bool = True, weights=None
) -> tuple[float, float, float]:
    """(estimate, low, high) of a share from labels ``y`` (0/1) with predictions ``f_labeled`` on the same units and
    ``f_all`` on every unit: PPI++ (``ppi_py.ppi_mean_ci``, ``lam`` tuned) or, with ``power_tuned=False``, the
    labels alone (``lam=0``). ``weights`` are the labeled units' sampling weights (1/π), for a pooled
    stratified sample.

    The interval is ``ppi_py``'s normal one, unless fewer than :data:`FEW_FOR_NORMAL` labels say yes (or no): then
    a normal interval is too narrow on the far side (with all labels alike, it is a point), so it is widened to
    hold Wilson's score interval of the labels as well (``statsmodels``' ``proportion_confint``). Not clipped
    to [0, 1]: :func:`_bounds` does that.
    """
    import numpy as np

    y, f_labeled, f_all = (np.asarray(a, dtype=float) for a in (y, f_labeled, f_all))
    n = len(y)
    if n == 0:
        return math.nan, math.nan, math.nan
    w = None if weights is None else np.asarray(weights, dtype=float)
    if np.ptp(y) == 0:
        estimate = low = high = float(y[0])  # every label alike: PPI++'s tuning gives λ = 0 here, the labels alone
    else:
        lam = None if power_tuned else 0.0
        if lam is None and np.ptp(np.concatenate([f_labeled, f_all])) == 0:
            lam = 0.0  # constant predictions carry no information (and ppi_py's tuning would divide by zero)
        low, high = _ppi().ppi_mean_ci(y, f_labeled, f_all, alpha=alpha, lam=lam, w=w)
        low, high = float(np.ravel(low)[0]), float(np.ravel(high)[0])
        estimate = (low + high) / 2
    yes = int(round(float(y.sum())))
    if min(yes, n - yes) < FEW_FOR_NORMAL and set(np.unique(y)) <= {0.0, 1.0}:
        from statsmodels.stats.proportion import proportion_confint

        share = float(np.average(y, weights=w))
        wilson_low, wilson_high = proportion_confint(share * n, n, alpha=alpha, method="wilson")
        low, high = min(low, float(wilson_low)), max(high, float(wilson_high))
    return estimate, low, high


def slope_interval(
    t_labeled, y, f_labeled, t_all, f_all, *, alpha: float, power_tuned: bool = True, weights=None
) -> tuple[float, float]:
    """(slope, standard error) of a least-squares line of the labels on ``t`` (years): PPI++ OLS
    (``ppi_py.ppi_ols_ci``) or the labels alone (``lam=0``)."""
    import numpy as np

    t_labeled, y, f_labeled, t_all, f_all = (
        np.asarray(a, dtype=float) for a in (t_labeled, y, f_labeled, t_all, f_all)
    )
    if len(y) < 3 or np.ptp(t_labeled) == 0:
        return math.nan, math.nan
    center = float(t_all.mean())
    design = lambda t: np.column_stack([np.ones(len(t)), t - center])  # noqa: E731
    lam = None if power_tuned else 0.0
    if lam is None and np.ptp(np.concatenate([f_labeled, f_all])) == 0:
        lam = 0.0
    w = None if weights is None else np.asarray(weights, dtype=float)
    low, high = _ppi().ppi_ols_ci(design(t_labeled), y, f_labeled, design(t_all), f_all, alpha=alpha, lam=lam, w=w)
    low, high = float(np.ravel(low)[1]), float(np.ravel(high)[1])
    return (low + high) / 2, (high - low) / (2 * _z(alpha))


_YEAR = re.compile(r"^\s*(\d{4})(?:-(\d{1,2})(?:-(\d{1,2}))?)?")


def decimal_year(value) -> float | None:
    """A date (``2012-10-10``, ``2012-10``, ``2012``, a datetime) as a year with its fraction; None if it is none.

    >>> decimal_year("2012-07-02"), decimal_year(2012), decimal_year("n.d.")
    (2012.5, 2012.0, None)
    """
    if value is None or isinstance(value, bool):
        return None
    if hasattr(value, "year") and hasattr(value, "timetuple"):
        value = value.isoformat()
    if isinstance(value, (int, float)) and not (isinstance(value, float) and math.isnan(value)):
        return float(value) if 1000 <= value <= 9999 else None
    match = _YEAR.match(str(value))
    if not match:
        return None
    year, month, day = int(match.group(1)), int(match.group(2) or 1), int(match.group(3) or 1)
    try:
        moment = date(year, month, day)
    except ValueError:
        return None
    start = date(year, 1, 1)
    return year + (moment - start).days / (date(year + 1, 1, 1) - start).days


@dataclass
class _Collected:
    """A collection read once: per unit the model's scores and tags (flat arrays), group, stratum and time."""

    names: list[tuple[str, str]]
    scores: array = field(default_factory=lambda: array("d"))
    tags: array = field(default_factory=lambda: array("b"))
    groups: list[str] = field(default_factory=list)
    strata: list[str] = field(default_factory=list)
    times: array = field(default_factory=lambda: array("d"))


def estimate(
    results: Iterable["ArticleTags"],
    validation,
    *,
    by: str | None = None,
    level: str = "paragraph",
    alpha: float = 0.05,
    trend: str | None = None,
    assume_random: bool = False,
    schema=None,
) -> Estimates:
    """Shares of a tagged collection, corrected by a labeled random sample, with confidence intervals.

    ``results`` are the collection's tags (``Tagger.tag_many``'s output, all of it: the shares are of the
    whole collection); ``validation`` the labeled sample (label files, a folder, or records) that
    :func:`sample` drew from that same collection and people labeled. One row per theme and stance (and
    group of ``by``): see :class:`EstimateRow`. With ``trend`` (a date or year field), the rows are the change
    of each share per year instead. ``assume_random`` accepts a sample not drawn by :func:`sample` as a
    simple random sample of the collection (said in the rows' ``design``). ``schema`` (the tagger's) gives the
    null stance the article rule needs at article level; by default the shipped model's, if the labels match.

    Validation paragraphs are matched to the collection's by text hash (and doc, where a text recurs);
    one that matches nothing, a sample of another collection or level, or one not drawn by :func:`sample`
    is refused with a :class:`~themetag.errors.LabelError` that says why.
    """
    if level not in LEVELS:
        raise ValueError(f"level must be one of {', '.join(LEVELS)}, not {level!r}")
    if not 0 < alpha < 1:
        raise ValueError(f"alpha must be between 0 and 1, got {alpha!r}")
    results = iter(results)
    first = next((r for r in results if not isinstance(r, Exception)), None)
    if first is None:
        raise InputError("the collection has no article to estimate from")
    names = label_names(first)
    theme_names = [name for name, kind in names if kind == "theme"]
    stance_names = [name for name, kind in names if kind == "stance"]
    records = read_validation(validation, themes=theme_names, stances=stance_names)
    strata_by, design = _design(records, level, assume_random)
    if level == "article":
        _null_stance(schema, names)  # fails before the collection is read, not after

    import itertools

    import numpy as np

    _refuse_duplicates(records)
    by_place = {(r.doc, r.para): r for r in records if r.doc is not None and r.para is not None}
    by_hash: dict[str, list[Validated]] = {}
    for record in records:
        if (record.doc, record.para) not in by_place:
            by_hash.setdefault(record.hash, []).append(record)
    matched: dict[int, list[Validated]] = {}  # unit index → its validated paragraphs
    claimed: set[int] = set()  # id() of records already matched
    sizes: dict[int, tuple[str, int]] = {}  # article level: unit index → (doc, content paragraphs)
    collected = _Collected(names)
    fingerprint = Fingerprint(level)
    draw = _Redraw(records[0].sample) if design != "assumed simple random" else None
    seen_fields = {by: False, trend: False}
    for index, unit in enumerate(iter_units(itertools.chain([first], results), level)):
        fingerprint.add(unit.hash)
        collected.scores.extend(unit.scores)
        collected.tags.extend(unit.tags)
        collected.groups.append(field_value(unit.metadata, by))
        collected.strata.append(field_value(unit.metadata, strata_by))
        for name in (by, trend):
            if name is not None and not seen_fields[name] and field_value(unit.metadata, name) != NO_VALUE:
                seen_fields[name] = True
        if draw is not None:
            draw.add(index, collected.strata[-1], unit)
        if trend is not None:
            year = decimal_year(unit.metadata.get(trend))
            collected.times.append(math.nan if year is None else year)
        for para, _, h in unit.texts:
            # The record that names this paragraph (doc and para), else one with its text and no place of its own.
            best = by_place.get((unit.doc, para))
            if best is not None and best.hash != h:
                raise LabelError(
                    f"{best.where}: its text differs from the collection's paragraph {unit.doc}#{para} "
                    "(edited after sampling?); labels must be of the text as drawn"
                )
            if best is None:
                best = next((r for r in by_hash.get(h, ()) if id(r) not in claimed), None)
            if best is None or id(best) in claimed:
                continue
            claimed.add(id(best))
            matched.setdefault(index, []).append(best)
            sizes[index] = (unit.doc, len(unit.texts))
    for name, option in ((by, "--by"), (trend, "--trend")):
        if name is not None and not seen_fields[name]:
            raise InputError(f"{option} {name}: no article has that field (check its name)")
    unmatched = [r for r in records if id(r) not in claimed]
    if unmatched:
        raise LabelError(
            f"{unmatched[0].where}: matches no content paragraph of the collection "
            f"({len(unmatched)} of {len(records)} validation records do not); estimate on the collection the "
            "sample was drawn from, with the same model"
        )
    for index, found in matched.items():
        doc, paragraphs = sizes[index]
        if len(found) < paragraphs:
            raise LabelError(
                f"{found[0].where}: article {doc!r} has {paragraphs} content paragraphs and {len(found)} are labeled; "
                "an article's tags are judged from all of them: label the rest"
            )
    collection = fingerprint.hexdigest()
    notes = _check_design(records, design, collection, level, collected, strata_by)
    if draw is not None:
        notes += draw.check(matched, level)

    labels = len(names)
    f_all = np.frombuffer(collected.scores, dtype=float).reshape(-1, labels)
    tags_all = np.frombuffer(collected.tags, dtype=np.int8).reshape(-1, labels)
    truth, units = _truths(matched, names, level, _null_stance(schema, names) if level == "article" else None)
    groups = np.array(collected.groups, dtype=object)
    strata = np.array(collected.strata, dtype=object)
    times = np.frombuffer(collected.times, dtype=float)  # (empty without a trend)
    rows: list[EstimateRow] = []
    confidence = round(1 - alpha, 6)
    group_names = sorted(set(collected.groups))
    if by is not None:
        group_names = [ALL] + group_names
    for group in group_names:
        in_group = np.ones(len(groups), dtype=bool) if group == ALL else groups == group
        if trend is None:
            rows += _share_rows(
                names, group, level, in_group, strata, units, truth, f_all, tags_all, alpha, confidence, design
            )
        else:
            rows += _trend_rows(
                names, group, level, in_group, strata, units, truth, f_all, tags_all, times, alpha, confidence, design
            )
    if trend is not None:
        undated = int(np.isnan(times).sum())
        if undated:
            notes.append(f"{undated} of {len(groups)} {level}s have no {trend!r} year and are left out of the trend")
    return Estimates(rows, notes, collection)


class _Redraw:
    """The draw :func:`sample` made, made again from its seed while the collection is read: which units it drew, so
    that a labeled record the draw did not hold (added by hand, or from another draw) is refused and a drawn unit
    left unlabeled is counted."""

    def __init__(self, about: dict):
        self.seed, self.n, self.allocation = about.get("seed"), about.get("n"), about.get("allocation", "per-stratum")
        self.smallest: dict[str, list] = {}
        self.population: dict[str, int] = {}

    def add(self, index: int, stratum: str, unit: Unit) -> None:
        self.population[stratum] = self.population.get(stratum, 0) + 1
        heap = self.smallest.setdefault(stratum, [])
        item = (-_draw_key(self.seed, unit), index)
        if len(heap) < self.n:
            heapq.heappush(heap, item)
        elif item[0] > heap[0][0]:
            heapq.heapreplace(heap, item)

    def check(self, matched: dict[int, list], level: str) -> list[str]:
        size = allocate(self.n, self.population, self.allocation)
        drawn = {
            index for stratum, heap in self.smallest.items() for _, index in sorted(heap, reverse=True)[: size[stratum]]
        }
        extra = sorted(set(matched) - drawn)
        if extra:
            raise LabelError(
                f"{matched[extra[0]][0].where}: not one of the {level}s this sample drew (seed {self.seed}): "
                f"{len(extra)} validated {level}s were added by hand or come from another draw; a sample with "
                "picked units is not random: take them out"
            )
        missing = len(drawn - set(matched))
        if missing:
            return [
                f"{missing} of the {len(drawn)} {level}s the sample drew were not labeled and are left out: the estimate "
                "holds only if they were skipped for reasons unrelated to their labels (label them to be sure)"
            ]
        return []


def _refuse_duplicates(records: list[Validated]) -> None:
    """The same paragraph twice in the validation sample would count twice: an error naming both lines."""
    first: dict[tuple, Validated] = {}
    for record in records:
        key = (
            (record.doc, record.para, record.hash) if record.para is not None else (record.doc, record.hash, id(record))
        )
        if key in first:
            raise LabelError(f"{record.where}: the same paragraph as {first[key].where}; keep one of them")
        first[key] = record


def _design(records: list[Validated], level: str, assume_random: bool) -> tuple[str | None, str]:
    """(the field the sample was stratified by, the design's description); refuses a sample it cannot use."""
    drawn = [r for r in records if r.sample is not None]
    if not drawn:
        if not assume_random:
            raise LabelError(
                f'{records[0].where}: not drawn by `themetag sample` (no "sample" object), so it is not '
                "known to be random; draw one with `themetag sample`, or pass --assume-random if it is a "
                "simple random sample of this collection"
            )
        return None, "assumed simple random"
    if len(drawn) != len(records):
        odd = next(r for r in records if r.sample is None)
        raise LabelError(f"{odd.where}: not part of the `themetag sample` draw the other records come from")
    first = drawn[0].sample
    for r in drawn:
        for key in ("design", "level", "by", "collection", "seed", "n", "allocation"):
            if r.sample.get(key) != first.get(key):
                raise LabelError(
                    f"{r.where}: from another draw than {drawn[0].where} ({key} {r.sample.get(key)!r} against "
                    f"{first.get(key)!r}); estimate from one sample at a time"
                )
    # Each "sample" object's fields were checked as it was read (_check_sample).
    if first.get("level") != level:
        raise LabelError(
            f"{drawn[0].where}: a sample of {first.get('level')}s cannot estimate {level} shares; "
            f"draw one with `themetag sample --level {level}`"
        )
    by = first.get("by")
    return by, "simple random" if by is None else f"stratified by {by}"


def _check_design(records, design: str, collection: str, level: str, collected: _Collected, strata_by) -> list[str]:
    notes = []
    drawn = records[0].sample
    if drawn is not None and drawn.get("collection") != collection:
        raise LabelError(
            f"{records[0].where}: drawn from another collection (fingerprint {drawn.get('collection')}, this one "
            f"{collection}): estimate on exactly the articles the sample was drawn from, tagged by the same model"
        )
    if drawn is not None:
        sizes: dict[str, int] = {}
        for s in collected.strata:
            sizes[s] = sizes.get(s, 0) + 1
        for r in records:
            stratum = r.sample.get("stratum") if strata_by is not None else ALL
            if sizes.get(stratum) != r.sample.get("population"):
                raise LabelError(
                    f"{r.where}: its stratum {stratum!r} had {r.sample.get('population')} {level}s when drawn, "
                    f"the collection has {sizes.get(stratum, 0)}"
                )
    if design == "assumed simple random":
        notes.append(
            "the validation sample was not drawn by `themetag sample`; it was taken to be a simple random sample "
            "of the collection (--assume-random): the intervals hold only if it is"
        )
    notes.append(
        "the intervals assume the model was not trained on the validated paragraphs (else its errors there "
        "are understated): keep the validation sample out of training"
    )
    return notes


def _null_stance(schema, names) -> str:
    """The stance that takes no side, for the article rule: the schema's, else the shipped model's."""
    stances = tuple(n for n, kind in names if kind == "stance")
    if schema is None:
        from .store import shipped_schema

        schema = shipped_schema()
        if schema.stances != stances:
            raise ValueError("article-level estimates need the tagger's schema: estimate(..., schema=tagger.schema)")
    return schema.null_stance


def _truths(matched: dict[int, list[Validated]], names, level: str, null_stance: str | None):
    """People's labels per validated unit, as rows of 0/1 in the order of ``names``; and the units' indices."""
    import numpy as np

    from .schema import KINDS
    from .tagger import ParagraphTags, summarize

    index = sorted(matched)
    truth = np.zeros((len(index), len(names)), dtype=float)
    themes = [n for n, kind in names if kind == "theme"]
    stances = [n for n, kind in names if kind == "stance"]
    for row, unit in enumerate(index):
        records = matched[unit]
        if level == "paragraph":
            r = records[0]
            # A paragraph people call furniture carries no theme and no stance: it counts as a unit without them.
            truth[row] = [t in r.themes for t in themes] + [r.kind == "content" and r.stance == s for s in stances]
        else:
            from .schema import Schema

            paragraphs = [
                ParagraphTags(
                    text="", kind=r.kind if r.kind in KINDS else "content", themes=list(r.themes), stance=r.stance
                )
                for r in records
            ]
            schema = Schema(themes=tuple(themes), stances=tuple(stances), null_stance=null_stance)
            article = summarize(paragraphs, schema)
            truth[row] = [t in article.dominant_themes for t in themes] + [article.stance == s for s in stances]
    return truth, np.array(index, dtype=np.int64)


def _cells(in_group, strata, units):
    """Per stratum within the group: (mask of its units, positions in ``units`` of its validated ones)."""
    import numpy as np

    validated = in_group[units]
    for stratum in sorted(set(strata[in_group])):
        cell = in_group & (strata == stratum)
        yield cell, np.nonzero(validated & (strata[units] == stratum))[0]


def _share_rows(
    names, group, level, in_group, strata, units, truth, f_all, tags_all, alpha, confidence, design
) -> list[EstimateRow]:
    import numpy as np

    N = int(in_group.sum())
    cells = list(_cells(in_group, strata, units))
    n = sum(len(at) for _, at in cells)
    stratified = len(cells) > 1
    thin = stratified and any(len(at) < 2 and cell.sum() > len(at) for cell, at in cells)
    row_design = design + (
        "; strata pooled with weights 1/π (a stratum of this group has under 2 validated)" if thin else ""
    )
    # A stratum with no validated unit: nothing measures the model's error there, so its units keep the model's bias.
    unmeasured = sum(int(cell.sum()) for cell, at in cells if len(at) == 0) if n else 0
    # Estimated stratum by stratum, from few labels each: each stratum's normal interval is shaky, and so is their sum.
    thinnest = min(len(at) for _, at in cells) if stratified and not thin else None
    z = _z(alpha)
    rows = []
    for j, (name, kind) in enumerate(names):
        naive = float(tags_all[in_group, j].mean()) if N else math.nan
        results = {}
        for tuned in (True, False):
            if not stratified or thin:
                at = np.concatenate([a for _, a in cells]) if cells else np.array([], dtype=int)
                weights = None
                if stratified:  # each validated unit stands for (units in its stratum) / (validated in it)
                    weights = np.concatenate([np.full(len(a), cell.sum() / max(len(a), 1)) for cell, a in cells])
                results[tuned] = mean_interval(
                    truth[at, j],
                    f_all[units[at], j],
                    f_all[in_group, j],
                    alpha=alpha,
                    power_tuned=tuned,
                    weights=weights,
                )
            else:
                # Stratum by stratum, weighted by the strata's sizes; each stratum's interval as a standard error
                # (its width over 2z), the variances added.
                est = var = 0.0
                for cell, at in cells:
                    share = cell.sum() / N
                    value, low, high = mean_interval(
                        truth[at, j], f_all[units[at], j], f_all[cell, j], alpha=alpha, power_tuned=tuned
                    )
                    se = (high - low) / (2 * z)
                    if len(at) == cell.sum():  # every unit of the stratum validated: its share is known exactly
                        value, se = float(truth[at, j].mean()), 0.0
                    est += share * value
                    var += (share * se) ** 2
                results[tuned] = (est, est - z * math.sqrt(var), est + z * math.sqrt(var))
        (value, low, high), (plain, plain_low, plain_high) = results[True], results[False]
        rows.append(
            EstimateRow(
                name,
                kind,
                group,
                level,
                "share",
                N,
                n,
                _r(naive),
                _r(value),
                *_bounds(low, high),
                _r(plain),
                *_bounds(plain_low, plain_high),
                confidence,
                row_design,
                _warning(n, unmeasured, N, thinnest),
            )
        )
    return rows


def _trend_rows(
    names, group, level, in_group, strata, units, truth, f_all, tags_all, times, alpha, confidence, design
) -> list[EstimateRow]:
    import numpy as np

    dated = in_group & ~np.isnan(times)
    N = int(dated.sum())
    at = np.nonzero(dated[units])[0]
    n = len(at)
    weights = None
    unmeasured = 0
    if len(set(strata[dated])) > 1:
        sizes = {s: int((dated & (strata == s)).sum()) for s in set(strata[dated])}
        counts = {s: int((strata[units[at]] == s).sum()) for s in sizes}
        unmeasured = sum(size for s, size in sizes.items() if counts[s] == 0) if n else 0
        weights = np.array([sizes[s] / counts[s] for s in strata[units[at]]])
    z = _z(alpha)
    rows = []
    for j, (name, kind) in enumerate(names):
        naive = math.nan
        if N >= 2 and np.ptp(times[dated]) > 0:
            naive = float(np.polyfit(times[dated], tags_all[dated, j].astype(float), 1)[0])
        fitted = {}
        for tuned in (True, False):
            fitted[tuned] = slope_interval(
                times[units[at]],
                truth[at, j],
                f_all[units[at], j],
                times[dated],
                f_all[dated, j],
                alpha=alpha,
                power_tuned=tuned,
                weights=weights,
            )
        (value, se), (plain, plain_se) = fitted[True], fitted[False]
        rows.append(
            EstimateRow(
                name,
                kind,
                group,
                level,
                "change per year",
                N,
                n,
                _r(naive),
                _r(value),
                *_bounds(value - z * se, value + z * se, clip=False),
                _r(plain),
                *_bounds(plain - z * plain_se, plain + z * plain_se, clip=False),
                confidence,
                design + ("; weighted 1/π" if weights is not None else ""),
                _warning(n, unmeasured, N),
            )
        )
    return rows


def _r(value: float) -> float:
    return value if math.isnan(value) else round(float(value), 4) + 0.0  # + 0.0: no "-0.0" in the output


def _bounds(low: float, high: float, *, clip: bool = True) -> tuple[float, float]:
    """An interval, rounded; a share's is kept within [0, 1] (which only makes it more often right)."""
    if math.isnan(low) or math.isnan(high):
        return math.nan, math.nan
    if clip:
        low, high = max(0.0, low), min(1.0, high)
    return _r(low), _r(high)


def _warning(n: int, unmeasured: int = 0, N: int = 0, thinnest: int | None = None) -> str:
    notes = []
    if n == 0:
        notes.append("none validated: no estimate")
    elif n < FEW_VALIDATED:
        notes.append(f"only {n} validated: the interval is unreliable below {FEW_VALIDATED}")
    elif thinnest is not None and thinnest < FEW_VALIDATED:
        notes.append(f"a stratum of this group has only {thinnest} validated: the interval may be too narrow")
    if unmeasured:
        notes.append(f"{unmeasured} of {N} units are in strata with none validated: not corrected")
    return "; ".join(notes)
