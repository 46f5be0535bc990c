"""Tagging on Dask: the same tags as one process, on a machine's cores or on a cluster.

Dask is optional (``pip install 'themetag[dask]'``) and only this module
imports it. Tasks carry the model folder's path, never the model: each worker
process loads it once, on the first task that needs it, and keeps it. Workers
therefore need the model folder (the shipped one is inside the package) and,
for :func:`tag_files`, the input files at the same paths (a shared file
system), as usual for Dask.

>>> import dask.dataframe as dd, pandas as pd, themetag.cluster
>>> frame = dd.from_pandas(pd.DataFrame({"id": ["a1"], "date": ["2020-03-01"], "text": ["Troops burned coca fields."]}), npartitions=1)
>>> themetag.cluster.tag_frame(frame).compute()[["id", "date", "stance", "error"]]  # doctest: +NORMALIZE_WHITESPACE
   id        date   stance error
0  a1  2020-03-01  neutral  <NA>
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Iterable, Sequence

from .errors import InputError, ThemetagError
from .output import column_type
from .tagger import ArticleTags, Tagger, load

#: Each worker process's loaded models, by folder (None: the shipped model).
_TAGGERS: dict[str | None, Tagger] = {}

LEVELS = ("article", "paragraph")


def worker_tagger(model: str | None) -> Tagger:
    """The model loaded in this process (once; later calls reuse it)."""
    if model not in _TAGGERS:
        _TAGGERS[model] = load(model)
    return _TAGGERS[model]


def _model_key(model: str | os.PathLike | None) -> str | None:
    # An absolute path: workers may start in another folder than the client.
    return None if model is None else str(Path(model).resolve())


def columns(tagger: Tagger, level: str, extra: Sequence[str] = ()) -> list[str]:
    """The columns of tag_frame's output: the CSV's, then the input's other columns, then ``error``."""
    from .tagger import ParagraphTags, summarize

    sample = summarize([ParagraphTags("", "content")], tagger.schema)
    fixed = list(sample.row()) if level == "article" else list(sample.paragraph_rows()[0])
    return fixed + [c for c in extra if c not in fixed and c != "error"] + ["error"]


def rows_frame(results: Iterable[ArticleTags | ThemetagError], names: list[str], *, level: str = "article", kinds: tuple[str, ...] | None = None,
               ids: Sequence | None = None, metadata: Sequence[dict] | None = None):
    """A pandas DataFrame of tagging results with exactly ``names`` as columns and stable dtypes.

    An article that could not be tagged is one row with its id and metadata (from ``ids`` and ``metadata``,
    in input order) and ``error``.
    """
    import pandas as pd

    rows = []
    for k, result in enumerate(results):
        if isinstance(result, ThemetagError):
            rows.append({**(metadata[k] if metadata else {}), "id": None if ids is None else ids[k], "error": str(result)})
        elif level == "article":
            rows.append({**result.metadata, **result.row()})
        else:
            rows.extend({**result.metadata, **row} for row in result.paragraph_rows() if kinds is None or row["kind"] in kinds)
    frame = pd.DataFrame(rows, columns=names)
    for name in names:
        kind = column_type(name)
        if kind == "float":
            frame[name] = pd.to_numeric(frame[name].replace("", None), errors="coerce").astype("float64")
        elif kind == "int":
            frame[name] = pd.to_numeric(frame[name], errors="coerce").astype("Int64")
        else:
            frame[name] = frame[name].astype("string")
    return frame


def _tag_records(frame, model: str | None, text: str, id: str, unit: str, level: str, kinds, names: list[str]):
    """One partition of a pandas DataFrame of articles → its tags (runs on a worker)."""
    from .io import scalar_fields

    tagger = worker_tagger(model)
    records = frame.to_dict("records")
    ids = [None if r.get(id) is None else str(r.get(id)) for r in records]
    metadata = [scalar_fields(r, skip=(id, text)) for r in records]
    articles = ({**about, "id": i, "text": r.get(text)} for r, i, about in zip(records, ids, metadata))
    results = tagger.tag_many(articles, unit=unit, errors="yield")
    return rows_frame(results, names, level=level, kinds=kinds, ids=ids, metadata=metadata)


def tag_frame(frame, *, text: str = "text", id: str = "id", model: str | os.PathLike | None = None, unit: str = "article",
              level: str = "article", kinds: tuple[str, ...] | None = None):
    """Tag a Dask DataFrame of articles (one row each): a Dask DataFrame of results, computed lazily.

    ``text`` and ``id`` name the columns; the other columns (title, date, source, ...) travel to the output
    as they do from JSON Lines. ``level="paragraph"`` gives one row per paragraph (``kinds``: only those).
    An article that cannot be tagged is a row with ``error`` set; nothing is dropped silently.
    Each partition is tagged by :meth:`Tagger.tag_many` in a worker process, so the tags are those
    of one process.
    """
    if level not in LEVELS:
        raise ValueError(f"level must be 'article' or 'paragraph', not {level!r}")
    for name in (text, id):
        if name not in frame.columns:
            raise InputError(f"no column {name!r} in the frame (its columns: {', '.join(map(str, frame.columns))})")
    key = _model_key(model)
    names = columns(worker_tagger(key), level, [c for c in frame.columns if c not in (text, id)])
    meta = rows_frame([], names)
    return frame.map_partitions(_tag_records, key, text, id, unit, level, kinds, names, meta=meta)


def _tag_entries(entries: list[tuple[str, str | None, str]], model: str | None, unit: str, id_field: str, text_field: str):
    """Read and tag a few input files (runs on a worker): each article's result, or the error in its place."""
    from .io import read_entry

    tagger = worker_tagger(model)
    found = [a for entry in entries for a in read_entry(*entry, id_field=id_field, text_field=text_field)]
    readable = [a for a in found if not isinstance(a, ThemetagError)]
    tagged = iter(tagger.tag_many((a.record() for a in readable), unit=unit, errors="yield"))
    out = []
    for a in found:
        out.append((getattr(a, "where", None), a if isinstance(a, ThemetagError) else next(tagged)))
    return out


def tag_files(paths: Sequence[str], *, model: str | os.PathLike | None = None, unit: str = "article", level: str = "article",
              kinds: tuple[str, ...] | None = None, id_field: str = "id", text_field: str = "text", files_per_partition: int = 64):
    """Tag article files (text, HTML, JSON Lines; folders walked) as a Dask DataFrame of results.

    Ids are made on the client exactly as ``themetag predict`` makes them; a
    partition is ``files_per_partition`` files (a JSON Lines file is read
    whole by one task: shard big collections into files). Unreadable files and
    articles that cannot be tagged are rows with ``error`` set (the id is then
    where it came from).
    """
    import dask
    import dask.dataframe as dd

    from .io import input_entries

    if level not in LEVELS:
        raise ValueError(f"level must be 'article' or 'paragraph', not {level!r}")
    entries = list(input_entries(list(paths)))
    key = _model_key(model)
    names = columns(worker_tagger(key), level)
    failed_early = [e for e in entries if isinstance(e, InputError)]
    readable = [e for e in entries if not isinstance(e, InputError)]
    if any(path is None for _, path, _ in readable):
        raise InputError("stdin ('-') cannot be read by Dask workers; name files")

    def partition(group, first: bool):
        import pandas as pd

        results = _tag_entries(group, key, unit, id_field, text_field) if group else []
        frame = rows_frame([r for _, r in results], names, level=level, kinds=kinds, ids=[w for w, _ in results])
        if first and failed_early:  # folders without article files: reported in the first partition
            frame = pd.concat([rows_frame(failed_early, names, ids=[None] * len(failed_early)), frame], ignore_index=True)
        return frame

    groups = [readable[i : i + files_per_partition] for i in range(0, len(readable), files_per_partition)] or [[]]
    parts = [dask.delayed(partition)(group, k == 0) for k, group in enumerate(groups)]
    return dd.from_delayed(parts, meta=rows_frame([], names), verify_meta=False)


def client(scheduler: str):
    """A Dask client: ``"local"`` starts a cluster of one single-threaded worker process per core; anything else
    is a scheduler address (``tcp://host:8786``)."""
    from distributed import Client, LocalCluster

    if scheduler == "local":
        return Client(LocalCluster(n_workers=os.cpu_count() or 1, threads_per_worker=1, processes=True, dashboard_address=None))
    return Client(scheduler)
