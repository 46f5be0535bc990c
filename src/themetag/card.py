"""The model card (a model directory's README.md), built from data only.

Everything the card says comes from the model's metadata — its schema (names
and descriptions), what it was trained on (label counts by source, theme and
stance), its cross-validation, its versions and settings — plus, optionally,
notes the labels' authors keep beside their labels (``MODEL_CARD.md`` in the
label directory: intended use, sources and licences, how the labels were
made). No sentence about any particular data set lives in this code, so a
model trained on someone else's labels never describes this project's.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the card is written at training time; it needs the report's type only
    from .evaluation import CVReport

#: A theme or side with fewer labeled examples than this gets a warning in the card.
FEW_EXAMPLES = 50
#: Fewer labeled content paragraphs than this, and the card warns that the whole model is too uncertain to trust.
FEW_CONTENT = 200


@dataclass(frozen=True)
class ModelCard:
    """The facts a card states, gathered from metadata; :meth:`render` writes them as Markdown."""

    title: str
    themes: dict[str, str]  # name → description
    stances: dict[str, str]
    null_stance: str
    labels: dict  # the metadata's "labels": counts and the label hash
    metrics_table: str | None  # the cross-validation table, or None when not evaluated
    cv: dict | None  # the metadata's "cv" summary
    parameters: dict  # versions, training settings, thresholds, kind source
    notes: str = ""
    limitations: list[str] = field(default_factory=list)

    @classmethod
    def from_metadata(cls, metadata: dict, report: "CVReport | None" = None, notes: str = "") -> "ModelCard":
        """The card's facts from a model's metadata (metadata.json as a dict).

        ``report``, when given, supplies the full cross-validation table; ``notes`` is the labels' MODEL_CARD.md text.
        """
        schema = metadata["schema"]
        labels = metadata.get("labels") or {}
        settings = metadata.get("model") or {}
        table = None
        if report is not None:
            from .report import format_table

            table = format_table(report)
        return cls(
            title=schema.get("name") or "themetag model",
            themes={t: v.get("description", "") for t, v in schema["themes"].items()},
            stances={s: v.get("description", "") for s, v in schema["stances"].items()},
            null_stance=schema["null_stance"],
            labels=labels,
            metrics_table=table,
            cv=metadata.get("cv"),
            parameters={
                "versions": metadata.get("versions"),
                "training": metadata.get("training"),
                "theme_thresholds": settings.get("theme_thresholds"),
                "kind_source": settings.get("kind_source"),
                **({"classifier_choice": settings["classifier_choice"]} if settings.get("classifier_choice") else {}),
            },
            notes=notes.strip(),
            limitations=_limitations(schema, labels, metadata.get("cv")),
        )

    def render(self) -> str:
        """The card as Markdown text, ending with a newline."""
        lines = [f"# Model card: {self.title}", ""]
        if self.cv:
            lines += [_headline(self.cv, self.themes, self.stances, self.null_stance), ""]
        lines += ["## What it tags", ""]
        if self.themes:
            lines.append("Themes (any number per content paragraph):")
            lines += [f"- `{t}`" + (f": {d}" if d else "") for t, d in self.themes.items()]
            lines.append("")
        if len(self.stances) > 1:  # a theme-only schema has one stance, which says nothing
            lines.append(f"Stance (one per content paragraph; `{self.null_stance}` takes no side):")
            lines += [f"- `{s}`" + (f": {d}" if d else "") for s, d in self.stances.items()]
            lines.append("")
        lines += ["## Training data", ""]
        lines += _label_lines(self.labels, self.themes, self.stances)
        if self.notes:
            lines += ["", self.notes]
        lines += ["", "## Metrics (grouped cross-validation: no document on both sides of a split)", ""]
        if self.metrics_table:
            lines += ["```", self.metrics_table, "```"]
        elif self.cv:  # stored numbers (train --metrics): the table of what was stored
            lines += _stored_metrics_lines(self.cv, bool(self.themes), len(self.stances) > 1)
        else:
            lines.append("Not evaluated (trained with --no-evaluate).")
        if self.limitations:
            lines += ["", "## Known limitations (from the numbers above)", ""]
            lines += [f"- {item}" for item in self.limitations]
        lines += ["", "## Versions and parameters", "", "```json", json.dumps(self.parameters, indent=2), "```"]
        return "\n".join(lines) + "\n"


def model_card(metadata: dict, report: "CVReport | None" = None, *, notes: str = "") -> str:
    """The README.md of a model directory, from its metadata (and the CV report, for the full table)."""
    return ModelCard.from_metadata(metadata, report, notes).render()


def _headline(cv: dict, themes: dict, stances: dict, null_stance: str) -> str:
    parts = []
    if themes:
        parts.append(f"theme micro-F1 **{cv['theme_micro_f1']:.3f}**")
    sides = [s for s in stances if s != null_stance]
    if sides and "stance_f_avg" in cv:
        parts.append(f"stance F_avg (mean F1 of {'/'.join(sides)}) **{cv['stance_f_avg']:.3f}**")
    if "stance_macro_f1" in cv:
        parts.append(f"stance macro-F1 **{cv['stance_macro_f1']:.3f}**")
    text = ""
    loso = cv.get("leave_one_source_out")
    if loso:
        # Out-of-domain first: a user's outlet is never in the training labels.
        held = "; ".join(_loso_text(source, b, bool(themes)) for source, b in loso.items())
        text = f"**On a source it never saw** (trained on the other label sources, tested on this one): {held}. "
    return (
        text
        + f"In grouped {cv['folds']}-fold cross-validation on {cv['n_content']} labeled content paragraphs: "
        + ", ".join(parts)
        + ". Check paragraphs that matter by hand."
    )


def _loso_text(source: str, scores: dict, themes: bool) -> str:
    parts = [f"theme micro-F1 {scores['theme_micro_f1']:.3f}"] if themes and "theme_micro_f1" in scores else []
    if "stance_f_avg" in scores:
        parts.append(f"stance F_avg {scores['stance_f_avg']:.3f}")
    return f"`{source}` " + ", ".join(parts)


def _stored_metrics_lines(cv: dict, themes: bool, sides: bool) -> list[str]:
    """The headline numbers of a cross-validation run before training (``evaluate --output``, ``train --metrics``)."""
    rows = []
    if themes:
        rows.append(("theme micro-F1", "theme_micro_f1"))
        rows.append(("theme macro-F1", "theme_macro_f1"))
    if sides:
        rows.append(("stance macro-F1", "stance_macro_f1"))
        rows.append(("stance F_avg", "stance_f_avg"))

    def number(block: dict | None, key: str) -> str:
        value = (block or {}).get(key)
        return f"{value:.3f}" if isinstance(value, (int, float)) else "-"

    lines = [
        f"Stored from an earlier evaluation of the same labels and settings ({cv.get('folds', '?')} folds, "
        f"{cv.get('n_content', '?')} content paragraphs):",
        "",
        "| metric | model | keyword baseline | majority baseline |",
        "|---|---|---|---|",
    ]
    for name, key in rows:
        lines.append(
            f"| {name} | {number(cv, key)} | {number(cv.get('baseline_keyword'), key)} | {number(cv.get('baseline_majority'), key)} |"
        )
    return lines


def _label_lines(labels: dict, themes: dict, stances: dict) -> list[str]:
    lines = []
    if "examples" in labels:
        documents = f" from {labels['documents']} documents" if "documents" in labels else ""
        lines.append(
            f"- {labels['examples']} labeled paragraphs{documents}, {labels.get('content', '?')} of them content."
        )
    if labels.get("sha256"):
        lines.append(f"- Label data hash: `{labels['sha256'][:16]}…` (same labels and seed give the same model).")
    for source, count in (labels.get("per_source") or {}).items():
        lines.append(f"- source `{source}`: {count} paragraphs")
    per_annotator = labels.get("per_annotator") or {}
    if per_annotator:
        by = ", ".join(f"`{name}` {count}" for name, count in per_annotator.items())
        machine = sum(count for name, count in per_annotator.items() if name.startswith("llm:"))
        note = (
            f" ({machine} labels from a language model trained the model; cross-validation scored people's labels only)"
            if machine
            else ""
        )
        lines.append(f"- labeled paragraphs per annotator: {by}{note}")
    per_theme, per_stance = labels.get("per_theme"), labels.get("per_stance")
    if per_theme:
        lines.append("- content paragraphs per theme: " + ", ".join(f"`{t}` {per_theme.get(t, 0)}" for t in themes))
    if per_stance:
        lines.append("- content paragraphs per stance: " + ", ".join(f"`{s}` {per_stance.get(s, 0)}" for s in stances))
    return lines


def _limitations(schema: dict, labels: dict, cv: dict | None) -> list[str]:
    """Warnings that follow from the model's own numbers: few examples, weak classes."""
    out = []
    content = labels.get("content")
    if isinstance(content, int) and content < FEW_CONTENT:
        out.append(
            f"Trained on only {content} labeled content paragraphs (under {FEW_CONTENT}): its scores, and its "
            "cross-validation numbers, are too uncertain to trust; label more before relying on it."
        )
    for name, count in (labels.get("per_theme") or {}).items():
        if count < FEW_EXAMPLES:
            out.append(f"Theme `{name}` has only {count} labeled examples; expect its scores to vary most.")
    null = schema.get("null_stance")
    for name, count in (labels.get("per_stance") or {}).items():
        if name != null and count < FEW_EXAMPLES:
            out.append(f"Stance `{name}` has only {count} labeled examples; the model will seldom give it.")
    if cv:
        for name, f1 in (cv.get("per_theme_f1") or {}).items():
            if f1 < 0.5:
                out.append(
                    f"Theme `{name}` scores F1 {f1:.2f} in cross-validation: many of its tags are missed or spurious."
                )
        for source, held in (cv.get("leave_one_source_out") or {}).items():
            if schema.get("themes") and held["theme_micro_f1"] < cv["theme_micro_f1"] - 0.1:
                out.append(
                    f"On `{source}` held out of training, theme micro-F1 falls to {held['theme_micro_f1']:.3f} "
                    f"({cv['theme_micro_f1']:.3f} in cross-validation): expect this on outlets unlike the training sources."
                )
        baseline = (cv.get("baseline_keyword") or {}).get("theme_micro_f1")
        if schema.get("themes") and baseline is not None and cv["theme_micro_f1"] < baseline:
            out.append(
                f"Themes score worse than the keyword baseline ({cv['theme_micro_f1']:.3f} vs {baseline:.3f}): "
                "the schema's cue terms alone tag better than this model."
            )
        elif schema.get("themes") and baseline is not None and cv["theme_micro_f1"] <= baseline + 0.02:
            out.append(f"Themes barely beat the keyword baseline ({cv['theme_micro_f1']:.3f} vs {baseline:.3f}).")
    return out
