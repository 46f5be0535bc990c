"""Tagging on Dask: the same tags as one process, on a machine's cores or on a cluster.

Dask is optional (``pip install 'themetag[dask]'``) and only this module
imports it. Tasks carry the model folder's path, never the model. With a
``distributed.Client``, the model is sent to each worker once, by a worker
plugin (so also to workers that join later), when the graph is made; without
one (Dask's threads or processes), each process loads it from its folder once,
on the first task that needs it, and keeps it. For :func:`tag_files` workers
need the input files at the same paths (a shared file system), as usual for
Dask.

:func:`parquet_parts` writes results as one process writes ``--out x.parquet``:
the same columns, Arrow types and nulls (:func:`~themetag.output.parquet_schema`).

>>> import dask.dataframe as dd, pandas as pd, themetag.cluster
>>> frame = dd.from_pandas(pd.DataFrame({"id": ["a1"], "date": ["2020-03-01"], "text": ["Troops burned coca fields."]}), npartitions=1)
>>> themetag.cluster.tag_frame(frame).compute()[["id", "date", "stance", "error"]]  # doctest: +NORMALIZE_WHITESPACE
   id        date   stance error
0  a1  2020-03-01  neutral  <NA>
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import logging
import os
import pickle
import warnings
from pathlib import Path
from typing import Callable, Iterable, Sequence

from .errors import InputError, ThemetagError
from .output import column_type, flat_row
from .segmentation import METADATA_COLUMNS
from .tagger import ArticleTags, Tagger, load

#: Each worker process's loaded models, by folder (None: the shipped model).
_TAGGERS: dict[str | None, Tagger] = {}

#: (client id, model folder, model digest) whose model this process has sent to that client's workers.
_SENT: set[tuple[str, str | None, str]] = set()

#: The smallest piece of input :func:`tag_files` makes when it aims at a number of partitions.
MIN_PARTITION_BYTES = 64 << 10

LEVELS = ("article", "paragraph")


def worker_tagger(model: str | None) -> Tagger:
    """The model loaded in this process (once; later calls reuse it)."""
    if model not in _TAGGERS:
        _TAGGERS[model] = load(model)
    return _TAGGERS[model]


def _model_key(model: str | os.PathLike | None) -> str | None:
    # An absolute path: workers may start in another folder than the client.
    return None if model is None else str(Path(model).resolve())


def _model_plugin(key: str | None, payload: bytes):
    """A distributed worker plugin that puts a pickled model in the worker's :data:`_TAGGERS` when it starts."""
    from distributed.diagnostics.plugin import WorkerPlugin

    class ModelPlugin(WorkerPlugin):
        idempotent = True  # a second client sending the same model (same name) sends nothing new

        def __init__(self, key, payload):
            self.key, self.payload = key, payload

        def setup(self, worker):
            _TAGGERS[self.key] = pickle.loads(self.payload)

    return ModelPlugin(key, payload)


def send_model(key: str | None) -> None:
    """Send the model (folder ``key``; None: the shipped one) to every worker of the current ``distributed.Client``
    once, as a worker plugin: workers joining later get it too, and tasks carry only the folder's name. Without a
    client (Dask's threads or processes) nothing is sent: each process loads the model from its folder."""
    try:
        from distributed import default_client

        dask_client = default_client()
    except (ImportError, ValueError):
        return
    payload = pickle.dumps(worker_tagger(key), protocol=pickle.HIGHEST_PROTOCOL)
    digest = hashlib.sha256(payload).hexdigest()[:16]
    if (dask_client.id, key, digest) in _SENT:
        return
    dask_client.register_plugin(_model_plugin(key, payload), name=f"themetag-model-{digest}")
    _SENT.add((dask_client.id, key, digest))


def columns(tagger: Tagger, level: str, extra: Sequence[str] = ()) -> list[str]:
    """The columns of the output: the CSV's, then the input's other fields (named as :func:`~themetag.output.flat_row`
    names them), then ``error``."""
    return list(flat_row(_empty_row(tagger, level), dict.fromkeys(extra))) + ["error"]


def _empty_row(tagger: Tagger, level: str) -> dict:
    from .tagger import ParagraphTags, summarize

    sample = summarize([ParagraphTags("", "content")], tagger.schema)
    return dict.fromkeys(sample.row() if level == "article" else sample.paragraph_rows()[0])


def rows_frame(
    results: Iterable[ArticleTags | ThemetagError],
    names: list[str],
    *,
    level: str = "article",
    kinds: tuple[str, ...] | None = None,
    ids: Sequence | None = None,
    metadata: Sequence[dict] | None = None,
):
    """A pandas DataFrame of tagging results with exactly ``names`` as columns and stable dtypes.

    An article that could not be tagged is one row with its id and metadata (from ``ids`` and ``metadata``,
    in input order) and ``error``. The result's own columns are typed (see
    :func:`~themetag.output.column_type`); metadata columns hold text, numbers written as they print.
    """
    import pandas as pd

    own = own_columns(names, level)
    blank = dict.fromkeys(own)
    rows = []
    for k, result in enumerate(results):
        if isinstance(result, ThemetagError):
            about = metadata[k] if metadata else {}
            row = {**flat_row(blank, about), **{c: about.get(c) for c in METADATA_COLUMNS}}
            rows.append({**row, "id": None if ids is None else ids[k], "error": str(result)})
        elif level == "article":
            rows.append(flat_row(result.row(), result.metadata))
        else:
            rows.extend(
                flat_row(row, result.metadata)
                for row in result.paragraph_rows()
                if kinds is None or row["kind"] in kinds
            )
    frame = pd.DataFrame(rows, columns=names)
    own_set = set(own)
    for name in names:
        kind = column_type(name) if name in own_set else "string"
        if kind == "float":
            frame[name] = pd.to_numeric(frame[name].replace("", None), errors="coerce").astype("float64")
        elif kind == "int":
            frame[name] = pd.to_numeric(frame[name], errors="coerce").astype("Int64")
        else:
            # Each value as it prints (an integer id stays 1234567890123456789, not 1.2345678901234568e+18);
            # an empty cell of the CSV (no title, no themes) is missing (<NA>), as in one process's Parquet.
            frame[name] = pd.array(
                [
                    None
                    if v is None or v is pd.NA or (isinstance(v, str) and not v) or (isinstance(v, float) and v != v)
                    else v
                    if isinstance(v, str)
                    else str(v)
                    for v in frame[name].astype(object)
                ],
                dtype="string",
            )
    return frame


def own_columns(names: Sequence[str], level: str = "article") -> list[str]:
    """The result's own columns among a table's ``names``: up to ``warning`` (articles) or ``text`` (paragraphs);
    the rest is metadata, then ``error``."""
    return list(names[: list(names).index("warning" if level == "article" else "text") + 1])


def _frame_value(value):
    """A value of a DataFrame cell as metadata: missing → None, a date or time → ISO 8601 text, others as they are."""
    import pandas as pd

    if value is None or (not isinstance(value, (list, dict, tuple)) and pd.isna(value)):
        return None
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value.item() if hasattr(value, "item") else value


def _tag_records(frame, model: str | None, text: str, id: str, unit: str, level: str, kinds, names: list[str]):
    """One partition of a pandas DataFrame of articles → its tags (runs on a worker)."""
    from .io import scalar_fields

    tagger = worker_tagger(model)
    records = [{k: _frame_value(v) for k, v in r.items()} for r in frame.to_dict("records")]
    ids = [None if r.get(id) is None else str(r.get(id)) for r in records]
    metadata = [scalar_fields(r, skip=(id, text)) for r in records]
    articles = ((i, r.get(text), about) for r, i, about in zip(records, ids, metadata))
    results = tagger.tag_many(articles, unit=unit, errors="yield")
    return rows_frame(results, names, level=level, kinds=kinds, ids=ids, metadata=metadata)


def tag_frame(
    frame,
    *,
    text: str = "text",
    id: str = "id",
    model: str | os.PathLike | None = None,
    unit: str = "article",
    level: str = "article",
    kinds: tuple[str, ...] | None = None,
):
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
    send_model(key)
    names = columns(worker_tagger(key), level, [c for c in frame.columns if c not in (text, id)])
    meta = rows_frame([], names, level=level)
    return frame.map_partitions(_tag_records, key, text, id, unit, level, kinds, names, meta=meta)


#: A unit of work of tag_files: (name, path, id, span): a file, or a piece of a big JSON Lines file (span, else None).
Unit = tuple[str, str, str, "tuple[int, int, int] | None"]


def _read_units(units: list[Unit], reading: dict):
    """The articles of some input files or pieces; ``reading``: :func:`~themetag.io.read_entry`'s options."""
    from .io import read_entry

    for name, path, ident, span in units:
        yield from read_entry(name, path, ident, span=span, **reading)


def _tag_units(units: list[Unit], model: str | None, unit: str, reading: dict):
    """Read and tag a few input files or pieces (runs on a worker): (where, metadata, result or error) in input order."""
    tagger = worker_tagger(model)
    found = list(_read_units(units, reading))
    readable = [a for a in found if not isinstance(a, ThemetagError)]
    tagged = iter(tagger.tag_many((a.record() for a in readable), unit=unit, errors="yield"))
    return [
        (None, {}, a)
        if isinstance(a, ThemetagError)
        else (a.where, a.metadata, dataclasses.replace(next(tagged), input=a.where))
        for a in found
    ]


def _fields_of(units: list[Unit], reading: dict) -> list[str]:
    """The metadata fields of the articles in some tables (runs on a worker), in order of appearance."""
    return list(
        dict.fromkeys(k for a in _read_units(units, reading) if not isinstance(a, ThemetagError) for k in a.metadata)
    )


def tag_files(
    paths: Sequence[str],
    *,
    model: str | os.PathLike | None = None,
    unit: str = "article",
    level: str = "article",
    kinds: tuple[str, ...] | None = None,
    id_field: str = "id",
    text_field: str = "text",
    fields: Sequence[str] | None = None,
    files_per_partition: int = 64,
    bytes_per_partition: int = 16 << 20,
    partitions: int | None = None,
    table_format: str | None = None,
    encoding: str | None = None,
):
    """Tag article files (text, HTML, JSON Lines; folders walked) as a Dask DataFrame of results.

    Ids are made on the client exactly as ``themetag predict`` makes them. A
    partition holds at most ``files_per_partition`` files and about
    ``bytes_per_partition`` bytes of input: a bigger JSON Lines file is read in
    pieces cut at line ends (counted once on the client), so a worker's memory
    does not grow with the size of a shard. ``partitions`` (say 4 per worker)
    makes the partitions smaller (fewer files, fewer bytes, down to
    :data:`MIN_PARTITION_BYTES`) so that there are about that many when the input
    allows, so every worker has work even with a single file. Unreadable files and articles that
    cannot be tagged are rows with ``error`` set (the id is then where it came
    from).

    The output's columns include every metadata field of the JSON Lines
    inputs: found by a first pass over them on the workers (reading, not
    tagging), or named with ``fields`` to skip that pass (other fields are then
    left out). ``table_format`` and ``encoding`` read the inputs as tables, as
    :func:`~themetag.io.read_articles` does (a CSV file is read whole by one task:
    a quoted cell may hold line breaks, so it cannot be cut at any line end).
    """
    import dask
    import dask.dataframe as dd

    from .io import JSONL_SUFFIX, input_entries

    if level not in LEVELS:
        raise ValueError(f"level must be 'article' or 'paragraph', not {level!r}")
    entries = list(input_entries(list(paths), table_format=table_format))
    reading = {"id_field": id_field, "text_field": text_field, "table_format": table_format, "encoding": encoding}
    key = _model_key(model)
    failed_early = [e for e in entries if isinstance(e, InputError)]
    readable = [e for e in entries if not isinstance(e, InputError)]
    if any(path is None for _, path, _ in readable):
        raise InputError("stdin ('-') cannot be read by Dask workers; name files")
    groups = _partitions(
        readable,
        files_per_partition,
        bytes_per_partition,
        splittable=table_format in (None, "jsonl"),
        partitions=partitions,
    )
    if fields is None:
        tables = [[u for u in group if table_format or u[0].lower().endswith(JSONL_SUFFIX)] for group in groups]
        found = dask.compute(*[dask.delayed(_fields_of)(g, reading) for g in tables if g])
        fields = list(dict.fromkeys(k for keys in found for k in keys))
    send_model(key)
    names = columns(worker_tagger(key), level, fields)

    def partition(group, first: bool):
        import pandas as pd

        results = _tag_units(group, key, unit, reading) if group else []
        frame = rows_frame(
            [r for _, _, r in results],
            names,
            level=level,
            kinds=kinds,
            ids=[w for w, _, _ in results],
            metadata=[m for _, m, _ in results],
        )
        if first and failed_early:  # folders without article files: reported in the first partition
            frame = pd.concat(
                [rows_frame(failed_early, names, level=level, ids=[None] * len(failed_early)), frame], ignore_index=True
            )
        return frame

    parts = [dask.delayed(partition)(group, k == 0) for k, group in enumerate(groups or [[]])]
    return dd.from_delayed(parts, meta=rows_frame([], names, level=level), verify_meta=False)


def _partitions(
    entries,
    files_per_partition: int,
    bytes_per_partition: int,
    *,
    splittable: bool = True,
    partitions: int | None = None,
) -> list[list[Unit]]:
    """Input files grouped into partitions of at most so many files and about so many bytes; big JSON Lines
    files cut into pieces (:func:`~themetag.io.jsonl_spans`) when ``splittable``. ``partitions``: lower both
    limits so that there are about that many partitions (pieces of at least :data:`MIN_PARTITION_BYTES`)."""
    from .io import JSONL_SUFFIX, jsonl_spans

    lengths = []
    for _, path, _ in entries:
        try:
            lengths.append(os.stat(path).st_size)
        except OSError:
            lengths.append(0)  # the worker that reads it reports why it cannot
    if partitions and entries:
        bytes_per_partition = min(bytes_per_partition, max(-(-sum(lengths) // partitions), MIN_PARTITION_BYTES))
        files_per_partition = min(files_per_partition, -(-len(entries) // partitions))
    groups: list[list[Unit]] = []
    group: list[Unit] = []
    size = 0
    for (name, path, ident), length in zip(entries, lengths):
        pieces = [None]
        if splittable and name.lower().endswith(JSONL_SUFFIX) and length > bytes_per_partition:
            try:
                pieces = jsonl_spans(path, bytes_per_partition)
            except ThemetagError:
                pass  # unreadable: read whole by one task, which reports it
        for span in pieces:
            piece = length if span is None else span[1] - span[0]
            if group and (len(group) >= files_per_partition or size + piece > bytes_per_partition):
                groups.append(group)
                group, size = [], 0
            group.append((name, path, ident, span))
            size += piece
    if group:
        groups.append(group)
    return groups


def _write_part(frame, path: str, names: list[str], own: list[str]):
    """Write one partition of results as Parquet, as one process writes it (runs on a worker): the rows that
    were tagged, without ``error``; returns (rows written, [(id, error), ...] of the rows left out)."""
    import pandas as pd
    import pyarrow as pa
    import pyarrow.parquet as pq

    from .output import ParquetWriter, parquet_schema

    failed = frame["error"].notna()
    errors = [
        (None if pd.isna(i) else str(i), str(e))
        for i, e in zip(frame.loc[failed, "id"].astype(object), frame.loc[failed, "error"])
    ]
    kept = frame.loc[~failed, [n for n in names if n != "error"]]
    schema = parquet_schema(kept.columns, own)
    # No pandas metadata: read back, the columns are what one process's file gives (int64, not Int64).
    table = pa.Table.from_pandas(kept, schema=schema, preserve_index=False).replace_schema_metadata(None)
    pq.write_table(table, path, row_group_size=ParquetWriter.ROWS_PER_GROUP)
    return len(kept), errors


def parquet_parts(results, folder: str | os.PathLike, *, level: str = "article") -> list:
    """Tasks (``dask.delayed``) that write a Dask DataFrame of results (:func:`tag_files`', :func:`tag_frame`'s)
    into ``folder`` as ``part.N.parquet``, one file per partition, the way one process writes Parquet
    (``themetag predict ... --out tags.parquet``): the same columns, Arrow types and nulls, no pandas metadata.
    Rows with ``error`` are left out (one process names them on stderr); each task gives back (rows written,
    [(id, error), ...]). Compute them together (``dask.compute(*tasks)``) or as futures, for a progress bar."""
    import dask

    names = list(results.columns)
    own = own_columns(names, level)
    write = dask.delayed(_write_part, pure=False)
    return [
        write(part, os.path.join(folder, f"part.{k}.parquet"), names, own)
        for k, part in enumerate(results.to_delayed())
    ]


def write_parquet_folder(
    results,
    target: str | os.PathLike,
    *,
    level: str = "article",
    client=None,
    on_partition: Callable[[], None] | None = None,
) -> tuple[int, list]:
    """Write a Dask DataFrame of results as the folder ``target`` of Parquet parts (:func:`parquet_parts`), put in
    place only when every part is written (:func:`themetag.store.write_new_folder`); (rows written, [(id, error),
    ...] of the articles left out). ``client``: the ``distributed.Client`` to run on (default: the current one);
    ``on_partition`` is called as each part is done (a progress bar)."""
    from distributed import as_completed, default_client

    from .store import write_new_folder

    client = client or default_client()

    def write(folder: Path) -> list:
        futures = client.compute(parquet_parts(results, folder, level=level))
        for future in as_completed(futures):
            future.result()  # a task's own exception ends the run here
            if on_partition is not None:
                on_partition()
        return client.gather(futures)

    written = write_new_folder(target, write)
    return sum(n for n, _ in written), [f for _, errors in written for f in errors]


@contextlib.contextmanager
def quiet(enabled: bool = True):
    """While it lasts, distributed's own warnings (a dashboard port in use, a large graph) and log lines below
    errors stay off stderr in this process; ``enabled=False`` (``--verbose``) shows them."""
    if not enabled:
        yield
        return
    logger = logging.getLogger("distributed")
    level = logger.level
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", module=r"distributed(\.|$)")
        logger.setLevel(logging.ERROR)
        try:
            yield
        finally:
            logger.setLevel(level)


def client(scheduler: str, *, verbose: bool = False):
    """A Dask client: ``"local"`` starts a cluster of one single-threaded worker process per core; anything else
    is a scheduler address (``tcp://host:8786``). Unless ``verbose``, the local workers log errors only."""
    from distributed import Client, LocalCluster

    if scheduler == "local":
        return Client(
            LocalCluster(
                n_workers=os.cpu_count() or 1,
                threads_per_worker=1,
                processes=True,
                dashboard_address=None,
                silence_logs=logging.WARNING if verbose else logging.ERROR,
            )
        )
    import re

    if not re.fullmatch(r"[a-z][a-z0-9+.-]*://[^\s/:]+(?::\d{1,5})?/?", scheduler):
        raise InputError(
            f"--scheduler {scheduler!r}: not a scheduler address; give 'local' or one such as tcp://host:8786"
        )
    try:
        return Client(scheduler, timeout="30s")
    except (OSError, TimeoutError, ValueError) as exc:
        raise InputError(
            f"--scheduler {scheduler}: cannot reach a Dask scheduler there ({type(exc).__name__}: {str(exc)[:200]})"
        ) from None
