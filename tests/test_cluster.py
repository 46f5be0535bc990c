"""Tagging on Dask gives what one process gives: a real LocalCluster of two worker processes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

pytest.importorskip("distributed")
pd = pytest.importorskip("pandas")
pytest.importorskip("pyarrow")

import dask.dataframe as dd  # noqa: E402
from distributed import Client, LocalCluster  # noqa: E402
from typer.testing import CliRunner  # noqa: E402

import themetag  # noqa: E402
from themetag import cluster  # noqa: E402
from themetag.cli import app  # noqa: E402

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def dask_client():
    with (
        LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as local,
        Client(local) as client,
    ):
        yield client


def records():
    seeds = sorted((REPO / "seeds").glob("*.txt"))
    rows = [
        {"id": f"{p.stem}-{k}", "date": f"2020-0{k + 1}-15", "outlet": "seed", "text": p.read_text(encoding="utf-8")}
        for k in range(3)
        for p in seeds
    ]
    rows.append(
        {"id": "tweet", "date": "2021-01-01", "outlet": "x", "text": "Troops burned coca fields in the valley."}
    )
    rows.append(
        {"id": "too-long", "date": "2021-01-02", "outlet": "x", "text": "word " * 4_100_000}
    )  # over the size limit
    return rows


def test_a_dask_frame_is_tagged_as_one_process_tags_it(dask_client):
    rows = records()
    frame = dd.from_pandas(pd.DataFrame(rows), npartitions=4)
    for level in ("article", "paragraph"):
        got = cluster.tag_frame(frame, level=level).compute().reset_index(drop=True)
        tagger = themetag.load()
        expected = cluster.rows_frame(
            tagger.tag_many(rows, errors="yield"),
            cluster.columns(tagger, level, ["date", "outlet"]),
            level=level,
            ids=[r["id"] for r in rows],
            metadata=[{"date": r["date"], "outlet": r["outlet"]} for r in rows],
        )
        pd.testing.assert_frame_equal(got, expected)
    articles = cluster.tag_frame(frame).compute()
    assert articles["id"].tolist() == [r["id"] for r in rows] and articles["date"].tolist() == [r["date"] for r in rows]
    assert articles["error"].notna().tolist() == [False] * (len(rows) - 1) + [True]  # reported, not dropped
    assert "limit" in articles["error"].iloc[-1]
    # The model is loaded once per worker process, not shipped with each task.
    loaded = dask_client.run(lambda: sorted(str(k) for k in cluster._TAGGERS))
    assert len(loaded) == 2 and all(v == ["None"] for v in loaded.values())


def test_files_on_dask_get_the_ids_predict_gives(dask_client, tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    text = (REPO / "seeds" / "002_b13f9584dabc5cc1.txt").read_text(encoding="utf-8")
    (tmp_path / "a" / "x.txt").write_text(text, encoding="utf-8")
    (tmp_path / "b" / "x.txt").write_text("Farmers planted cacao instead of coca.", encoding="utf-8")
    (tmp_path / "empty.txt").write_text("", encoding="utf-8")
    got = cluster.tag_files([str(tmp_path)], files_per_partition=1).compute()
    assert sorted(got["id"].dropna()) == ["a/x", "b/x"]
    assert got["error"].notna().sum() == 1 and "empty" in got["error"].dropna().iloc[0]


def test_a_big_json_lines_shard_is_tagged_in_pieces_with_every_field(dask_client, tmp_path):
    rows = records()[:-1]
    lines = []
    for k, row in enumerate(rows):
        row = dict(row)
        if k % 3 == 0:
            del row["id"]  # then the id is the file's stem and the line number, as predict makes it
        if k == 1:
            row["stance"] = "against"  # a coder's own field named like a result column
        if k == len(rows) - 1:
            row["section"] = "world"  # a field only the last line has
        lines.append(json.dumps(row))
    lines.insert(4, "not json")
    shard = tmp_path / "shard.jsonl"
    shard.write_text("\n".join(lines) + "\n", encoding="utf-8")
    pieces = cluster.tag_files([str(shard)], bytes_per_partition=shard.stat().st_size // 6)
    assert pieces.npartitions >= 4  # pieces cut at line ends, about a sixth of the file each
    got = pieces.compute().reset_index(drop=True)
    whole = cluster.tag_files([str(shard)]).compute().reset_index(drop=True)
    pd.testing.assert_frame_equal(got, whole)
    assert got["id"].tolist()[:2] == [f"{shard.stem}:1", rows[1]["id"]]
    assert got["error"].notna().sum() == 1 and f"{shard.name}:5" in got["error"].dropna().iloc[0]
    assert got["input_stance"].dropna().tolist() == ["against"] and got["section"].dropna().tolist() == ["world"]
    assert got["outlet"].notna().sum() == len(rows)
    tagged = themetag.load().tag_many(r["text"] for r in rows)
    assert got["stance"].dropna().tolist() == [t.stance for t in tagged]


def test_dask_metadata_is_text_as_it_prints_and_pieces_of_blank_lines_are_no_error(dask_client, tmp_path):
    shard = tmp_path / "lead.jsonl"
    rows = [
        {
            "id": "a",
            "text": "Troops burned coca fields.",
            "tweet_id": 1234567890123456789,
            "p_value": "low",
            "para": "intro",
        },
        {"id": "b", "text": "Police arrested farmers."},
    ]
    shard.write_bytes(b"\n" * 64 + b"".join(json.dumps(r).encode() + b"\n" for r in rows))
    got = cluster.tag_files([str(shard)], bytes_per_partition=32).compute().reset_index(drop=True)
    assert got["error"].isna().all() and got["id"].tolist() == ["a", "b"]  # no "empty" piece reported
    assert (
        got["tweet_id"].tolist()[0] == "1234567890123456789"
        and got["p_value"].tolist()[0] == "low"
        and got["para"].tolist()[0] == "intro"
    )
    frame = dd.from_pandas(
        pd.DataFrame({"id": ["a"], "text": ["Troops burned coca."], "published": pd.to_datetime(["2020-03-01"])}),
        npartitions=1,
    )
    assert cluster.tag_frame(frame).compute()["published"].tolist() == ["2020-03-01T00:00:00"]


def test_predict_with_a_scheduler_writes_partitioned_parquet(tmp_path):
    runner = CliRunner()
    out = tmp_path / "tags"
    result = runner.invoke(app, ["predict", str(REPO / "seeds"), "--scheduler", "local", "--out", str(out)])
    assert result.exit_code == 0, result.output
    frame = pd.read_parquet(out)
    local = themetag.to_frame(
        themetag.load().tag_many([p.read_text(encoding="utf-8") for p in sorted((REPO / "seeds").glob("*.txt"))])
    )
    assert sorted(frame["id"]) == sorted(p.stem for p in (REPO / "seeds").glob("*.txt"))
    assert frame.sort_values("id")["stance"].tolist() == local["stance"].tolist()
    again = runner.invoke(app, ["predict", str(REPO / "seeds"), "--scheduler", "local", "--out", str(out)])
    assert again.exit_code == 1 and "exists" in again.output  # never replaced
    assert sorted(p.name for p in tmp_path.iterdir()) == ["tags"]  # no temporary folder left


def corpus_like(tmp_path):
    """Seed texts as corpus rows (id, text, title, date, url, author), some fields missing, null or empty, one
    field only some rows have, and a row that cannot be tagged."""
    seeds = sorted((REPO / "seeds").glob("*.txt"))
    rows = []
    for k in range(3):
        for n, p in enumerate(seeds):
            row = {
                "id": f"{p.stem}-{k}",
                "text": p.read_text(encoding="utf-8"),
                "title": f"Seed {n}",
                "date": f"2020-0{k + 1}-15",
                "url": f"https://example.org/{p.stem}/{k}",
                "author": "A. Writer",
            }
            if (k + n) % 3 == 0:
                del row["author"]
            if (k + n) % 4 == 1:
                row["title"] = None
            if (k + n) % 5 == 2:
                row["date"] = ""
            if n == 2:
                row["section"] = "world" if k else ""
            rows.append(row)
    rows.append({"id": "blank", "text": "", "title": "Nothing"})
    shard = tmp_path / "corpus.jsonl"
    shard.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return [*map(str, seeds), str(shard)]


def test_parquet_from_dask_is_parquet_from_one_process_field_for_field(dask_client, tmp_path):
    import pyarrow.dataset as ds
    import pyarrow.parquet as pq

    inputs = corpus_like(tmp_path)
    runner = CliRunner()
    address = dask_client.scheduler.address
    for level, options in (("article", []), ("paragraph", ["-p"])):
        one, many = tmp_path / f"one-{level}.parquet", tmp_path / f"dask-{level}"
        result = runner.invoke(app, ["predict", *inputs, *options, "--out", str(one)])
        assert result.exit_code == 1 and "empty text" in result.output  # the blank row: named, not written
        result = runner.invoke(
            app, ["predict", *inputs, *options, "--scheduler", address, "--out", str(many), "--progress"]
        )
        assert result.exit_code == 1 and "empty text" in result.output, result.output
        assert "tagging [" in result.output and "partitions" in result.output  # the bar, forced on
        assert "Warning" not in result.output and "distributed" not in result.output
        assert len(list(many.glob("part.*.parquet"))) >= 4  # 20 articles from 6 files, on 2 workers: split
        keys = [("id", "ascending")] + ([("para", "ascending")] if level == "paragraph" else [])
        expected = pq.read_table(one).sort_by(keys)
        got = ds.dataset(many, format="parquet").to_table().sort_by(keys)
        assert got.schema.equals(expected.schema, check_metadata=True), (got.schema, expected.schema)
        assert expected.schema.metadata is None and "error" not in expected.column_names
        assert got.equals(expected)
        # One rule: a missing or empty cell is a null, never ''; counts are int64, shares float64.
        assert expected.num_rows == (15 + 5 if level == "article" else expected.num_rows)
        for name in ("title", "author", "date", "section", "warning" if level == "article" else "themes"):
            assert name in expected.column_names and expected[name].null_count > 0
            assert "" not in expected[name].to_pylist()
        assert str(expected.schema.field("para" if level == "paragraph" else "content_paragraphs").type) == "int64"
        assert pd.read_parquet(many).dtypes.equals(pd.read_parquet(one).dtypes)


def test_one_json_lines_file_is_cut_so_every_worker_gets_work(tmp_path):
    shard = tmp_path / "big.jsonl"
    line = json.dumps({"id": "x", "text": "Troops burned coca fields. " * 40}) + "\n"
    shard.write_text(line * 2_000, encoding="utf-8")  # ~2 MB: one partition by size alone
    entry = [(shard.name, str(shard), shard.stem)]
    assert len(cluster._partitions(entry, 64, 16 << 20)) == 1
    assert len(cluster._partitions(entry, 64, 16 << 20, partitions=8)) >= 7
    small = tmp_path / "small.jsonl"
    small.write_text(line * 20, encoding="utf-8")  # pieces stay above MIN_PARTITION_BYTES
    assert len(cluster._partitions([(small.name, str(small), small.stem)], 64, 16 << 20, partitions=8)) == 1
    files = [(f"{k}.txt", str(shard), str(k)) for k in range(6)]
    assert len(cluster._partitions(files, 64, 16 << 20, partitions=8)) == 6


def test_the_model_goes_to_each_worker_once_and_not_in_the_graph(dask_client, tmp_path):
    import cloudpickle

    inputs = corpus_like(tmp_path)
    results = cluster.tag_files(inputs, partitions=8)
    assert results.npartitions >= 4
    assert len(cloudpickle.dumps(dict(results.__dask_graph__()))) < 500_000  # file names and spans, not a 4.6 MB model
    plugins = dask_client.run(
        lambda dask_worker: sorted(n for n in dask_worker.plugins if n.startswith("themetag-model-"))
    )
    assert len(plugins) == 2 and all(len(names) == 1 for names in plugins.values())
    cluster.tag_files(inputs[:1])  # the same model again: nothing new sent
    assert dask_client.run(
        lambda dask_worker: sum(n.startswith("themetag-model-") for n in dask_worker.plugins)
    ) == dict.fromkeys(plugins, 1)


def test_distributed_warnings_and_log_lines_are_shown_only_when_verbose(caplog):
    import logging
    import warnings

    def noise():
        warnings.warn_explicit("Port 8787 is already in use.", UserWarning, "node.py", 1, module="distributed.node")
        logging.getLogger("distributed.worker").warning("a worker's warning")

    with warnings.catch_warnings(record=True) as seen, caplog.at_level(logging.WARNING, logger="distributed"):
        warnings.simplefilter("always")
        with cluster.quiet():
            noise()
        assert not seen and not caplog.records
        with cluster.quiet(False):
            noise()
        assert len(seen) == 1 and len(caplog.records) == 1
