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
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as local, Client(local) as client:
        yield client


def records():
    seeds = sorted((REPO / "seeds").glob("*.txt"))
    rows = [{"id": f"{p.stem}-{k}", "date": f"2020-0{k + 1}-15", "outlet": "seed", "text": p.read_text(encoding="utf-8")}
            for k in range(3) for p in seeds]
    rows.append({"id": "tweet", "date": "2021-01-01", "outlet": "x", "text": "Troops burned coca fields in the valley."})
    rows.append({"id": "too-long", "date": "2021-01-02", "outlet": "x", "text": "word " * 4_100_000})  # over the size limit
    return rows


def test_a_dask_frame_is_tagged_as_one_process_tags_it(dask_client):
    rows = records()
    frame = dd.from_pandas(pd.DataFrame(rows), npartitions=4)
    for level in ("article", "paragraph"):
        got = cluster.tag_frame(frame, level=level).compute().reset_index(drop=True)
        tagger = themetag.load()
        expected = cluster.rows_frame(tagger.tag_many(rows, errors="yield"), cluster.columns(tagger, level, ["date", "outlet"]),
                                      level=level, ids=[r["id"] for r in rows], metadata=[{"date": r["date"], "outlet": r["outlet"]} for r in rows])
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
    rows = [{"id": "a", "text": "Troops burned coca fields.", "tweet_id": 1234567890123456789, "p_value": "low", "para": "intro"},
            {"id": "b", "text": "Police arrested farmers."}]
    shard.write_bytes(b"\n" * 64 + b"".join(json.dumps(r).encode() + b"\n" for r in rows))
    got = cluster.tag_files([str(shard)], bytes_per_partition=32).compute().reset_index(drop=True)
    assert got["error"].isna().all() and got["id"].tolist() == ["a", "b"]  # no "empty" piece reported
    assert got["tweet_id"].tolist()[0] == "1234567890123456789" and got["p_value"].tolist()[0] == "low" and got["para"].tolist()[0] == "intro"
    frame = dd.from_pandas(pd.DataFrame({"id": ["a"], "text": ["Troops burned coca."], "published": pd.to_datetime(["2020-03-01"])}), npartitions=1)
    assert cluster.tag_frame(frame).compute()["published"].tolist() == ["2020-03-01T00:00:00"]


def test_predict_with_a_scheduler_writes_partitioned_parquet(tmp_path):
    runner = CliRunner()
    out = tmp_path / "tags"
    result = runner.invoke(app, ["predict", str(REPO / "seeds"), "--scheduler", "local", "--out", str(out)])
    assert result.exit_code == 0, result.output
    frame = pd.read_parquet(out)
    local = themetag.to_frame(themetag.load().tag_many([p.read_text(encoding="utf-8") for p in sorted((REPO / "seeds").glob("*.txt"))]))
    assert sorted(frame["id"]) == sorted(p.stem for p in (REPO / "seeds").glob("*.txt"))
    assert frame.sort_values("id")["stance"].tolist() == local["stance"].tolist()
    again = runner.invoke(app, ["predict", str(REPO / "seeds"), "--scheduler", "local", "--out", str(out)])
    assert again.exit_code == 1 and "exists" in again.output  # never replaced
    assert sorted(p.name for p in tmp_path.iterdir()) == ["tags"]  # no temporary folder left
