"""Language-model pre-labels under the labeling guide: prompts, strict validation, retries, a resumable output.

A model reached through the `llm <https://llm.datasette.io>`_ library (its
plugins give OpenAI, Anthropic, Gemini, and local models through Ollama or
GGUF files) labels content paragraphs with the schema's themes and one stance.
The prompt is built from the schema (names, descriptions, cues) and the
labeling guide, and asks for strict JSON. Every answer is validated against
the schema: bad JSON, an unknown theme, two stances or a missing paragraph are
sent back once with the reason; a second bad answer is recorded as failed with
its reason. An answer is never guessed into a label.

Records are the label format with ``"annotator": "llm:MODEL"`` and the
model's answers kept under ``"llm"``::

    {"doc": "a1", "para": 3, "text": "...", "kind": "content", "themes": ["militarization"],
     "stance": "favor", "annotator": "llm:llama3.2", "llm": {"answers": ["{...}"], "attempts": 1}}

and, when both attempts failed, ``"themes": [], "stance": null, "failed":
"<reason>"`` (label loading leaves these out, with a count).

``llm`` is imported only when a model is asked for (``pip install
'themetag[llm]'``): ``import themetag`` stays light.
"""

from __future__ import annotations

import json
import os
import re
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Iterator, Sequence

from .errors import LabelError, OutputError, ThemetagError
from .io import _decode_json, iter_json_lines, open_input
from .labels import LLM_PREFIX
from .schema import Schema, text_hash

__all__ = [
    "Answer",
    "Estimate",
    "Paragraph",
    "Prelabeler",
    "append_records",
    "completed",
    "get_model",
    "paragraphs_from_records",
    "parse_answer",
    "read_guide",
    "system_prompt",
    "user_prompt",
]

#: Characters per token, for estimates: about right for English prose with the common tokenizers.
CHARS_PER_TOKEN = 4
#: Tokens of answer per paragraph, for estimates: {"n": 1, "themes": [...], "stance": "..."}.
ANSWER_TOKENS = 30
#: The longest guide read (the project's is 12 kB).
MAX_GUIDE_BYTES = 1_000_000


@dataclass(frozen=True)
class Paragraph:
    """One content paragraph to label; ``key`` names it in a resumable output."""

    doc: str | None
    para: int | None
    text: str

    @property
    def key(self) -> tuple:
        """``(doc, para, text hash)``: what a resumed run matches done paragraphs by."""
        return (self.doc, self.para, text_hash(self.text))

    def record(self) -> dict:
        """The paragraph as the start of a label record (labels are added by :meth:`Prelabeler.label`)."""
        out: dict = {}
        if self.doc is not None:
            out["doc"] = self.doc
        if self.para is not None:
            out["para"] = self.para
        out.update({"text": self.text, "kind": "content"})
        return out


@dataclass(frozen=True)
class Answer:
    """A paragraph's validated labels, or the reason there are none."""

    themes: tuple[str, ...] = ()
    stance: str | None = None
    problem: str | None = None


# --------------------------------------------------------------------------- the prompt


def system_prompt(schema: Schema, guide: str = "") -> str:
    """The instructions: the guide (if any), then the schema's themes and stances with descriptions and cues, then
    the answer format.

    >>> schema = Schema.from_dict({"themes": {"security": {"description": "police and army"}}, "stances": ["pro", "con", "none"], "null_stance": "none"})
    >>> print(system_prompt(schema).splitlines()[0])
    You label paragraphs of news articles for a research project, following the labeling guide below exactly.
    """
    lines = [
        "You label paragraphs of news articles for a research project, following the labeling guide below exactly."
    ]
    if guide.strip():
        lines += ["", "=== LABELING GUIDE ===", guide.strip(), "=== END OF GUIDE ==="]
    lines += ["", "THEMES (zero, one or several per paragraph; use these names exactly):"]
    for theme in schema.themes:
        lines.append(
            f"- {theme}: {schema.descriptions.get(theme, '') or '(no description)'}"
            + _cues(schema.theme_cues.get(theme))
        )
    if not schema.themes:
        lines.append('- (none: this schema has no themes; always answer "themes": [])')
    lines += ["", "STANCE (exactly one per paragraph; use one of these names exactly):"]
    for stance in schema.stances:
        null = " (takes no side)" if stance == schema.null_stance else ""
        lines.append(
            f"- {stance}{null}: {schema.descriptions.get(f'stance:{stance}', '') or '(no description)'}"
            + _cues(schema.stance_cues.get(stance))
        )
    example = {"answers": [{"n": 1, "themes": list(schema.themes[:1]), "stance": schema.null_stance}]}
    lines += [
        "",
        'ANSWER FORMAT: strict JSON only, no other text, no code fence. One object with the key "answers": a list with '
        'one entry per paragraph, in order, each {"n": <the paragraph\'s number>, "themes": [<theme names>], '
        '"stance": "<one stance name>"}. Use only the names listed above. Example:',
        json.dumps(example),
    ]
    return "\n".join(lines)


def _cues(cues: Sequence[str] | None) -> str:
    return f" (typical cues: {', '.join(cues[:25])})" if cues else ""


def user_prompt(paragraphs: Sequence[Paragraph]) -> str:
    """The paragraphs to label, numbered from 1.

    >>> print(user_prompt([Paragraph("a", 0, "Troops moved in.")]))
    Label this paragraph. Answer with JSON only.
    <BLANKLINE>
    [1]
    Troops moved in.
    """
    head = "Label this paragraph." if len(paragraphs) == 1 else f"Label these {len(paragraphs)} paragraphs."
    body = "\n\n".join(f"[{n}]\n{p.text}" for n, p in enumerate(paragraphs, start=1))
    return f"{head} Answer with JSON only.\n\n{body}"


# --------------------------------------------------------------------------- validation

_FENCE = re.compile(r"^\s*```(?:json|JSON)?\s*\n(.*?)\n\s*```\s*$", re.DOTALL)


def parse_answer(raw: str, schema: Schema, count: int) -> list[Answer]:
    """A model's answer for ``count`` paragraphs → one :class:`Answer` each, checked against the schema.

    The answer must be JSON: ``{"answers": [{"n", "themes", "stance"}, ...]}``
    (for one paragraph a bare ``{"themes", "stance"}`` object, or a bare list,
    is accepted too, and so is JSON inside one Markdown code fence). Nothing is
    mended: an unknown theme, a stance that is not exactly one of the schema's,
    a key given twice or a paragraph left out is a problem, named.

    >>> schema = Schema.from_dict({"themes": ["security"], "stances": ["pro", "con", "none"], "null_stance": "none"})
    >>> parse_answer('{"answers": [{"n": 1, "themes": ["security"], "stance": "pro"}]}', schema, 1)
    [Answer(themes=('security',), stance='pro', problem=None)]
    >>> parse_answer('{"themes": ["economy"], "stance": "pro"}', schema, 1)[0].problem
    "unknown theme 'economy'; the schema's themes are security"
    """
    fenced = _FENCE.match(raw)
    text = fenced.group(1) if fenced else raw
    value, problem = _decode_json(text.strip())
    if problem is not None:
        return [Answer(problem=f"bad JSON: {problem}")] * count
    if isinstance(value, dict) and "answers" in value:
        entries = value["answers"]
    elif isinstance(value, list):
        entries = value
    elif isinstance(value, dict) and count == 1:
        entries = [value]
    else:
        return [Answer(problem='expected an object with "answers": [...]')] * count
    if not isinstance(entries, list):
        return [Answer(problem='"answers" must be a list')] * count
    by_number: dict[int, object] = {}
    for position, entry in enumerate(entries, start=1):
        n = entry.get("n", position) if isinstance(entry, dict) else position
        if isinstance(n, bool) or not isinstance(n, int):
            n = -1
        if n in by_number:
            return [Answer(problem=f"paragraph {n} is answered twice")] * count
        by_number[n] = entry
    extra = sorted(n for n in by_number if not 1 <= n <= count)
    if extra:
        return [Answer(problem=f"answers for paragraph numbers {extra} that were not asked (1 to {count})")] * count
    return [_one_answer(by_number.get(n), schema) for n in range(1, count + 1)]


def _one_answer(entry: object, schema: Schema) -> Answer:
    if entry is None:
        return Answer(problem="no answer for this paragraph")
    if not isinstance(entry, dict):
        return Answer(problem=f'an answer must be an object with "themes" and "stance", got {type(entry).__name__}')
    unknown_keys = sorted(set(entry) - {"n", "themes", "stance"})
    if unknown_keys:
        return Answer(problem=f'unexpected keys {unknown_keys}; answer only "n", "themes" and "stance"')
    themes = entry.get("themes", None)
    if not isinstance(themes, list) or not all(isinstance(t, str) for t in themes):
        return Answer(problem=f'"themes" must be a list of theme names, got {json.dumps(themes)[:80]}')
    unknown = [t for t in themes if t not in schema.themes]
    if unknown:
        return Answer(
            problem=f"unknown theme {unknown[0]!r}; the schema's themes are {', '.join(schema.themes) or '(none)'}"
        )
    if len(set(themes)) != len(themes):
        return Answer(problem=f"a theme is listed twice in {themes}")
    stance = entry.get("stance", None)
    if isinstance(stance, list):
        return Answer(problem=f"{len(stance)} stances {stance}; a paragraph has exactly one")
    if not isinstance(stance, str) or stance not in schema.stances:
        return Answer(problem=f"unknown stance {stance!r}; the schema's stances are {', '.join(schema.stances)}")
    return Answer(themes=tuple(t for t in schema.themes if t in themes), stance=stance)


# --------------------------------------------------------------------------- the model


def get_model(name: str):
    """The ``llm`` model called ``name`` (an id or alias), ready to prompt; a :class:`ThemetagError` saying what to
    install or set when it is not."""
    try:
        import llm
    except ImportError:
        raise ThemetagError(
            "prelabeling needs the llm library: pip install 'themetag[llm]' (and a plugin for your model, "
            "e.g. llm install llm-ollama)"
        ) from None
    try:
        model = llm.get_model(name)
    except llm.UnknownModelError:
        raise ThemetagError(
            f"llm knows no model {name!r}; `llm models` lists them, `llm install llm-ollama` (or another "
            "plugin) adds more"
        ) from None
    if getattr(model, "needs_key", None) and hasattr(model, "get_key"):
        try:
            model.get_key()
        except getattr(llm, "NeedsKeyException", ()):
            raise ThemetagError(
                f"model {name!r} needs an API key: `llm keys set {model.needs_key}` or the "
                f"{getattr(model, 'key_env_var', None) or 'documented'} environment variable"
            ) from None
    return model


# --------------------------------------------------------------------------- the run


@dataclass(frozen=True)
class Estimate:
    """What a run will send: prompts, tokens in and out (characters / 4), and optionally its price."""

    prompts: int
    paragraphs: int
    input_tokens: int
    output_tokens: int

    def cost(self, price_in: float, price_out: float) -> float:
        """Dollars at these prices per million input and output tokens."""
        return (self.input_tokens * price_in + self.output_tokens * price_out) / 1e6


@dataclass
class Prelabeler:
    """Labels paragraphs with one ``llm`` model: ``batch`` paragraphs a prompt, ``jobs`` prompts at a time.

    ``model`` is an ``llm`` model object (:func:`get_model`); ``name`` is the
    annotator's model name (``llm:<name>``).
    """

    model: object
    name: str
    schema: Schema
    guide: str = ""
    batch: int = 1
    jobs: int = 4
    system: str = field(init=False)

    def __post_init__(self) -> None:
        if self.batch < 1 or self.jobs < 1:
            raise ValueError("batch and jobs must be 1 or more")
        self.system = system_prompt(self.schema, self.guide)

    @property
    def annotator(self) -> str:
        """The records' annotator name: ``llm:<name>``."""
        return LLM_PREFIX + self.name

    def batches(self, paragraphs: Sequence[Paragraph]) -> list[list[Paragraph]]:
        """The paragraphs in prompts of ``batch`` each, in order."""
        return [list(paragraphs[i : i + self.batch]) for i in range(0, len(paragraphs), self.batch)]

    def estimate(self, paragraphs: Sequence[Paragraph]) -> Estimate:
        """Tokens a run over ``paragraphs`` sends and receives (without retries)."""
        batches = self.batches(paragraphs)
        chars = sum(len(self.system) + len(user_prompt(b)) for b in batches)
        return Estimate(len(batches), len(paragraphs), chars // CHARS_PER_TOKEN, ANSWER_TOKENS * len(paragraphs))

    def ask(self, prompt: str) -> str:
        """One prompt, one answer (the text). Errors of the model or its plugin are raised as they come."""
        return self.model.prompt(prompt, system=self.system, stream=False).text()

    def label(self, paragraphs: Sequence[Paragraph]) -> list[dict]:
        """One batch → its records: asked once, asked again with the reasons if any answer was bad, then recorded."""
        prompt = user_prompt(paragraphs)
        answers: list[str] = []
        results: list[Answer] = []
        for attempt in (1, 2):
            if attempt == 2:
                reasons = "; ".join(sorted({f"{r.problem}" for r in results if r.problem}))
                prompt = (
                    f"{user_prompt(paragraphs)}\n\nYour previous answer could not be used ({reasons}). Answer "
                    "again with strict JSON in the format given, using only the listed names."
                )
            try:
                raw = self.ask(prompt)
            except Exception as exc:  # a plugin's network or server error: retried once, then recorded, not raised
                raw = None
                results = [Answer(problem=f"model error: {type(exc).__name__}: {str(exc)[:200]}")] * len(paragraphs)
            if raw is not None:
                answers.append(raw)
                results = parse_answer(raw, self.schema, len(paragraphs))
            if not any(r.problem for r in results):
                break
        records = []
        for paragraph, result in zip(paragraphs, results):
            record = paragraph.record()
            record.update({"themes": list(result.themes), "stance": result.stance, "annotator": self.annotator})
            if result.problem:
                record["failed"] = result.problem
            record["llm"] = {"answers": answers, "attempts": attempt}
            if len(paragraphs) > 1:
                record["llm"]["batch"] = len(paragraphs)
            records.append(record)
        return records

    def run(
        self, paragraphs: Sequence[Paragraph], *, on_batch: Callable[[list[dict]], None] | None = None
    ) -> Iterator[list[dict]]:
        """Label every paragraph, ``jobs`` prompts at a time; yields each batch's records as it completes.

        At most ``jobs`` prompts are in flight, and at most ``2 * jobs`` are
        queued: a huge collection is not turned into a million waiting tasks.
        """
        pending = iter(self.batches(paragraphs))
        with ThreadPoolExecutor(max_workers=self.jobs, thread_name_prefix="themetag-prelabel") as pool:
            running = set()
            try:
                for batch in pending:
                    running.add(pool.submit(self.label, batch))
                    if len(running) >= 2 * self.jobs:
                        done, running = wait(running, return_when=FIRST_COMPLETED)
                        for future in done:
                            yield future.result()
                while running:
                    done, running = wait(running, return_when=FIRST_COMPLETED)
                    for future in done:
                        yield future.result()
            finally:
                for future in running:  # interrupted: what has not started never will
                    future.cancel()


# --------------------------------------------------------------------------- the output


def completed(path: str | os.PathLike, annotator: str, *, retry_failed: bool = False) -> tuple[set, int]:
    """The keys of paragraphs an existing output already holds (failed ones too unless ``retry_failed``), and the
    number of failed ones. An output of another annotator is refused; an incomplete last line (a killed write) is
    cut off so that appending starts on a fresh line."""
    path = Path(path)
    done: set = set()
    failed: dict = {}
    if not path.exists():
        return done, 0
    _cut_incomplete_line(path)
    with open_input(path, OutputError) as handle:
        for item in iter_json_lines(handle):
            record = item.value
            if item.error is not None or not isinstance(record, dict) or not isinstance(record.get("text"), str):
                raise OutputError(
                    f"not a prelabel record ({item.error or 'no text'}); write to another --out",
                    path=str(path),
                    line=item.line,
                )
            if record.get("annotator") != annotator:
                raise OutputError(
                    f"holds labels by {record.get('annotator', 'human')!r}, not {annotator!r}: write "
                    "each model's labels to a file of its own",
                    path=str(path),
                    line=item.line,
                )
            key = (record.get("doc"), record.get("para"), text_hash(record["text"]))
            if record.get("failed"):
                failed.setdefault(key, True)
            else:
                failed[key] = False  # a later success (a retried failure) settles it
                done.add(key)
    still_failed = {k for k, v in failed.items() if v}
    if not retry_failed:
        done |= still_failed
    return done, len(still_failed)


def _cut_incomplete_line(path: Path) -> None:
    with open(path, "rb+") as handle:
        handle.seek(0, os.SEEK_END)
        size = handle.tell()
        if size == 0:
            return
        handle.seek(size - 1)
        if handle.read(1) == b"\n":
            return
        handle.seek(0)
        data = handle.read()
        handle.truncate(data.rfind(b"\n") + 1)


def append_records(records: Iterable[dict], path: str | os.PathLike) -> int:
    """Append records to ``path`` and force them to disk.

    Unlike every other output of themetag, which appears whole or not at all,
    this file grows: labels from a model cost time and money, and a run
    stopped after hours must keep what it paid for. Each batch is written and
    fsynced before the next, so at most the batch in flight is lost, and a
    rerun (:func:`completed`) carries on where it stopped.
    """
    lines = []
    for record in records:
        try:
            lines.append(json.dumps(record, ensure_ascii=False) + "\n")
        except (TypeError, ValueError) as exc:
            raise OutputError(f"a record cannot be written as JSON ({exc})", path=str(path)) from None
    data = "".join(lines).encode("utf-8", errors="surrogatepass")
    with open(path, "ab") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    return len(lines)


def paragraphs_from_records(path: str, schema: Schema) -> list[Paragraph]:
    """The content paragraphs of a file of label-format records (``segment`` output, a label file): their labels,
    if any, are not read."""
    from .interop import read_records

    out = []
    for record in read_records(path, schema=None):
        if record.get("kind", "content") != "content":
            continue
        doc = record.get("doc")
        para = record.get("para")
        out.append(
            Paragraph(
                None if doc is None else str(doc),
                para if isinstance(para, int) and not isinstance(para, bool) else None,
                record["text"],
            )
        )
    return out


def read_guide(path: str | os.PathLike) -> str:
    """The labeling guide's text (Markdown), to put in the prompt."""
    from .io import read_bounded

    raw, where = read_bounded(path, LabelError, limit=MAX_GUIDE_BYTES)
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise LabelError("the guide is not UTF-8 text", path=where) from None
