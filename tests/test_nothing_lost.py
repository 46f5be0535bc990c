"""Nothing the user made is lost: no output replaces an input, another output's file, or good results with nothing;
replaced files keep their mode; temporary files of killed runs are cleaned up."""

from __future__ import annotations

import json
import os
import shutil
import stat
from pathlib import Path

import pytest
from conftest import REPO, copy_seed_labels
from typer.testing import CliRunner

from themetag.cli import app

ARTICLE = REPO / "seeds" / "002_b13f9584dabc5cc1.txt"


def run(*args, input=None):
    result = CliRunner().invoke(app, [str(a) for a in args], input=input)
    assert "Traceback" not in result.output
    return result


@pytest.fixture
def labels(tmp_path) -> Path:
    return copy_seed_labels(tmp_path / "L")


def test_evaluate_never_writes_over_the_labels_it_reads(labels, tmp_path):
    before = (labels / "seeds.jsonl").read_bytes()
    for option in ("--predictions", "--output"):
        result = run("evaluate", "--labels", labels, "--folds", 2, option, labels / "seeds.jsonl", "--force")
        assert result.exit_code == 1 and "is inside the input folder" in result.output
    result = run("evaluate-segmentation", "--labels", labels, "--output", labels / "seeds.jsonl", "--force")
    assert result.exit_code == 1 and "is inside the input folder" in result.output
    assert (labels / "seeds.jsonl").read_bytes() == before
    kept = tmp_path / "metrics.json"
    kept.write_text("mine")
    result = run("evaluate", "--labels", labels, "--folds", 2, "--output", kept)
    assert result.exit_code == 1 and "exists; pass --force" in result.output and kept.read_text() == "mine"


def test_train_force_covers_the_model_not_the_changes_file(labels, tmp_path):
    changes = tmp_path / "changes.jsonl"
    changes.write_text("my notes\n")
    result = run("train", "--labels", labels, "--out", tmp_path / "m", "--force", "--changes", changes, "--no-evaluate")
    assert result.exit_code == 1 and "only this command's own --force covers --changes" in result.output
    result = run(
        "train",
        "--labels",
        labels,
        "--out",
        tmp_path / "m",
        "--force",
        "--changes",
        labels / "seeds.jsonl",
        "--no-evaluate",
    )
    assert result.exit_code == 1 and "is inside the input folder" in result.output
    assert (
        changes.read_text() == "my notes\n"
        and (labels / "seeds.jsonl").stat().st_size > 0
        and not (tmp_path / "m").exists()
    )


@pytest.mark.parametrize("how", ["same path", "symlink", "hard link"])
def test_an_output_that_is_an_input_is_refused_before_reading(tmp_path, how):
    article = tmp_path / "a.txt"
    shutil.copy(ARTICLE, article)
    target = {"same path": article, "symlink": tmp_path / "link.txt", "hard link": tmp_path / "hard.txt"}[how]
    if how == "symlink":
        target.symlink_to(article)
    elif how == "hard link":
        os.link(article, target)
    before = article.read_bytes()
    for command in (
        ["predict", article, "--out", target, "--format", "jsonl", "--force"],
        ["sample", article, "--n", 3, "--out", target, "--force"],
    ):
        result = run(*command)
        assert result.exit_code == 1 and "is the input" in result.output, result.output
    records = tmp_path / "r.jsonl"
    records.write_text(run("segment", article).stdout)
    for command in (
        ["import-labels", records, "--from", "jsonl", "--out", records, "--force"],
        ["export-tasks", records, "--to", "doccano", "--out", records, "--force"],
    ):
        result = run(*command)
        assert result.exit_code == 1 and "is the input" in result.output, result.output
    assert article.read_bytes() == before


def test_a_run_where_every_input_failed_keeps_the_old_results(tmp_path):
    out = tmp_path / "tags.jsonl"
    assert run("predict", ARTICLE, "--out", out).exit_code == 0
    good = out.read_bytes()
    result = run("predict", tmp_path / "seedz", "--out", out, "--force")  # a typo
    assert result.exit_code == 1 and "was left as it was" in result.output
    assert out.read_bytes() == good
    # Some inputs tagged: the file is replaced with them, and the failure is still an exit 1.
    result = run("predict", ARTICLE, tmp_path / "seedz", "--out", out, "--force")
    assert result.exit_code == 1 and out.read_bytes() == good


def test_replaced_files_keep_their_mode_and_new_ones_follow_the_umask(tmp_path):
    out = tmp_path / "tags.jsonl"
    assert run("predict", ARTICLE, "--out", out).exit_code == 0
    os.chmod(out, 0o600)
    assert run("predict", ARTICLE, "--out", out, "--force").exit_code == 0
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    old = os.umask(0o077)
    try:
        assert run("predict", ARTICLE, "--out", tmp_path / "new.jsonl").exit_code == 0
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "new.jsonl").stat().st_mode) == 0o600


def test_temporary_files_of_killed_runs_are_removed_and_live_ones_kept(tmp_path):
    out = tmp_path / "tags.jsonl"
    dead = tmp_path / ".tags.jsonl.999999999.abcd1234.tmp"  # no such process
    live = tmp_path / ".tags.jsonl.1.abcd1234.tmp"  # pid 1 is always running
    other = tmp_path / ".tags.jsonl.abcd.tmp"  # not named by themetag: not ours to remove
    for path in (dead, live, other):
        path.write_text("partial")
    assert run("predict", ARTICLE, "--out", out).exit_code == 0
    assert not dead.exists() and live.exists() and other.exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".tags.jsonl.") and p not in (live, other)]


def test_an_unbalanced_quote_stops_the_import_naming_its_line(tmp_path):
    table = tmp_path / "q.csv"
    rows = "".join(f"row {k},neutral\n" for k in range(100))
    table.write_text('text,stance\nrow one,neutral\n"row two,neutral\nrow three,favor\n' + rows)
    out = tmp_path / "q.jsonl"
    result = run("import-labels", table, "--from", "csv", "--out", out)
    assert result.exit_code == 1 and f"{table}:3: " in result.output and "quote" in result.output and not out.exists()
    skipped = run("import-labels", table, "--from", "csv", "--out", out, "--skip-bad-rows")
    assert skipped.exit_code == 1 and f"{table}:3: " in skipped.output
    assert len(out.read_text().splitlines()) == 102  # every row but the bad one
    # A stray quote closed by another one further down swallows the rows between: refused too.
    table.write_text('text,stance\nrow one,neutral\n"row two,neutral\nrow three,favor\nrow four",against\n')
    result = run("import-labels", table, "--from", "csv", "--out", out, "--force")
    assert result.exit_code == 1 and f"{table}:3: " in result.output and "look like rows" in result.output


def test_one_bad_byte_does_not_garble_a_utf8_table(tmp_path):
    table = tmp_path / "e.csv"
    table.write_bytes("text,stance\nCafé owners,neutral\n".encode() + b"bad \xe9 byte,favor\n")
    out = tmp_path / "e.jsonl"
    result = run("import-labels", table, "--from", "csv", "--out", out)
    assert result.exit_code == 1 and f"{table}:3: byte 0xe9 is not UTF-8" in result.output and not out.exists()
    latin = run("import-labels", table, "--from", "csv", "--out", out, "--encoding", "latin-1")
    assert latin.exit_code == 0 and "Caf\u00c3\u00a9" in out.read_text(
        encoding="utf-8"
    )  # what was asked for: said, not guessed
    table.write_bytes(b"text,stance\nCaf\xe9 owners,neutral\n")  # Windows-1252 throughout: read so, with a warning
    result = run("import-labels", table, "--from", "csv", "--out", out, "--force")
    assert (
        result.exit_code == 0 and "Windows-1252" in result.output and "Café owners" in out.read_text(encoding="utf-8")
    )


def test_ids_are_unique_and_stable_whatever_the_files_are_called(tmp_path):
    (tmp_path / "a").mkdir()
    text = ARTICLE.read_text(encoding="utf-8")
    for name in ("a/x.txt", "x.txt", "a/brief.md", "a/brief.txt"):
        (tmp_path / name).write_text(text, encoding="utf-8")
    os.chdir(tmp_path)
    try:
        ids = [
            line.split(",")[0] for line in run("predict", "a/x.txt", "x.txt", "--format", "csv").stdout.splitlines()[1:]
        ]
        assert ids == ["x", "x.txt"]
        ids = [line.split(",")[0] for line in run("predict", "a", "--format", "csv").stdout.splitlines()[1:]]
        assert ids == ["brief", "brief.txt", "x"]
        for folder in ("j1", "j2"):
            (tmp_path / folder).mkdir()
            (tmp_path / folder / "rows.JSONL").write_text(
                '{"text": "The army burned coca fields in the valley on Monday."}\n'
            )
        rows = run("predict", "j1/rows.JSONL", "j2/rows.JSONL", "--format", "csv").stdout.splitlines()[1:]
        assert [r.split(",")[0] for r in rows] == ["rows:1", "j2/rows:1"]  # upper-case suffix read as JSON Lines
        segmented = [r for r in run("segment", "a/x.txt", "x.txt").stdout.splitlines()]
        docs = {json.loads(r)["doc"] for r in segmented}
        assert docs == {"x", "x.txt"}
    finally:
        os.chdir(REPO)


def test_tag_many_gives_out_what_it_read_before_its_input_failed():
    import themetag

    def articles(n):
        for i in range(n):
            yield f"The army burned {i} hectares of coca near the river on Monday."
        raise OSError("the disk went away")

    for n in (2, 300):
        got = []
        with pytest.raises(OSError, match="disk went away"):
            for tags in themetag.load().tag_many(articles(n)):
                got.append(tags)
        assert len(got) == n


def test_kind_is_checked_the_same_with_a_scheduler(tmp_path):
    result = run("predict", ARTICLE, "--kind", "Content", "--scheduler", "local", "--out", tmp_path / "o")
    assert result.exit_code == 2 and "--kind must be" in result.output and not (tmp_path / "o").exists()


def test_loading_labels_says_what_was_read_kept_and_left_out(labels):
    lines = (labels / "seeds.jsonl").read_text().splitlines()
    (labels / "more.jsonl").write_text(
        lines[0] + "\n" + json.dumps({"doc": "n", "para": 0, "text": "Not labeled yet."}) + "\n"
    )
    result = run("evaluate-segmentation", "--labels", labels, "--articles", REPO / "seeds")
    assert result.exit_code == 0, result.output
    assert f"labels: {len(lines) + 2} records in 2 files: {len(lines)} paragraphs kept" in result.output
    assert "1 not labeled yet, 1 repeats of a record already read (counted once)" in result.output


@pytest.mark.parametrize("name", ["t.csv", "t.TSV", "t.parquet"])
def test_a_table_is_refused_with_a_hint_not_tagged_as_one_article(tmp_path, name):
    table = tmp_path / name
    table.write_text("id,text\n1,The army burned coca fields.\n")
    result = run("predict", table, "--format", "jsonl")
    assert result.exit_code == 1 and "a table, not an article" in result.output and result.stdout == ""


def test_second_hostile_pass_writers(labels, tmp_path):
    """Cases a hostile pass found after the first round: each once lost or replaced a file silently."""
    same = tmp_path / "same.json"
    result = run("evaluate", "--labels", labels, "--folds", 2, "--predictions", same, "--output", same)
    assert result.exit_code == 1 and "is also where" in result.output and not same.exists()
    report = tmp_path / "report"
    report.mkdir()
    (report / "index.md").write_text("my notes")
    result = run("evaluate", "--labels", labels, "--folds", 2, "--report", report)
    assert (
        result.exit_code == 1 and "holds index.md" in result.output and (report / "index.md").read_text() == "my notes"
    )
    articles = tmp_path / "articles"
    shutil.copytree(REPO / "seeds", articles)
    result = run(
        "evaluate",
        "--labels",
        labels,
        "--folds",
        2,
        "--articles",
        articles,
        "--predictions",
        articles / "000_35c1464d740412a7.txt",
        "--force",
    )
    assert result.exit_code == 1 and "is inside the input folder" in result.output
    from themetag.store import default_model_path

    result = run("predict", ARTICLE, "--out", default_model_path() / "README.md", "--force")
    assert result.exit_code == 1 and "is inside the input folder" in result.output
    result = run(
        "train",
        "--labels",
        labels,
        "--out",
        tmp_path / "m",
        "--changes",
        tmp_path / "m" / "changes.jsonl",
        "--no-evaluate",
    )
    assert result.exit_code == 1 and not (tmp_path / "m").exists()
    result = run("predict", ARTICLE, "--scheduler", "local", "--explain", 3, "--out", tmp_path / "d")
    assert result.exit_code == 2 and "--scheduler writes Parquet" in result.output


def test_plot_never_writes_over_its_input_or_earlier_pictures(tmp_path):
    pytest.importorskip("pandas")
    pytest.importorskip("matplotlib")
    rows = tmp_path / "p"
    rows.mkdir()
    tags = rows / "by_outlet.csv"
    texts = tmp_path / "a.jsonl"
    texts.write_text(
        "".join(
            json.dumps(
                {
                    "id": f"a{i}",
                    "outlet": "X" if i % 2 else "Y",
                    "date": f"2020-0{i % 9 + 1}-01",
                    "text": ARTICLE.read_text(encoding="utf-8"),
                }
            )
            + "\n"
            for i in range(4)
        )
    )
    assert run("predict", texts, "--out", tags).exit_code == 0
    before = tags.read_bytes()
    result = run("plot", tags, "--out", rows)
    assert result.exit_code == 1 and "is the input" in result.output and tags.read_bytes() == before
    out = tmp_path / "plots"
    assert run("plot", tags, "--out", out).exit_code == 0
    (out / "over_time.csv").write_text("mine")
    result = run("plot", tags, "--out", out)
    assert result.exit_code == 1 and "pass --force" in result.output and (out / "over_time.csv").read_text() == "mine"
    assert run("plot", tags, "--out", out, "--force").exit_code == 0


def test_another_targets_temporary_file_is_never_taken_for_a_stale_one(tmp_path):
    other = tmp_path / ".tags.2024.jsonl.999999999.abcdefgh.tmp"  # "tags.2024.jsonl" being written: not tags's
    other.write_text("partial")
    assert run("predict", ARTICLE, "--out", tmp_path / "tags").exit_code == 0
    assert other.exists()


def test_second_hostile_pass_loaders(tmp_path):
    # One stray byte in a UTF-8 article: an error naming its line, not every accent garbled.
    article = tmp_path / "a.txt"
    article.write_bytes("Peru’s army, café growers.\n\n".encode() + b"A stray \x9d byte.\n")
    result = run("predict", article)
    assert result.exit_code == 1 and f"{article}:3: byte 0x9d is not UTF-8" in result.output
    # The same id in two shards: an error naming both places, the first kept.
    for shard in ("a", "b"):
        (tmp_path / shard).mkdir()
        (tmp_path / shard / "x.jsonl").write_text('{"id": 1, "text": "The army burned coca fields in the valley."}\n')
    result = run("predict", tmp_path / "a" / "x.jsonl", tmp_path / "b" / "x.jsonl", "--format", "csv")
    assert result.exit_code == 1 and "id '1' was already given at" in result.output
    assert [r.split(",")[0] for r in result.stdout.splitlines()[1:]] == ["1"]
    # Label files named in upper case are label files.
    labels = copy_seed_labels(tmp_path / "L")
    (labels / "seeds.jsonl").rename(labels / "SEEDS.JSONL")
    result = run("evaluate-segmentation", "--labels", labels, "--articles", REPO / "seeds")
    assert result.exit_code == 0 and "in 1 files: 215 paragraphs kept" in result.output


def test_skipping_a_bad_row_after_a_line_separator_reads_each_row_once(tmp_path):
    table = tmp_path / "u.csv"
    table.write_text(
        'text,stance\nFarmers\u2028protest,neutral\n"bad row,neutral\nPolice raid,favor\n', encoding="utf-8"
    )
    out = tmp_path / "u.jsonl"
    result = run("import-labels", table, "--from", "csv", "--out", out, "--skip-bad-rows")
    texts = [json.loads(l)["text"] for l in out.read_text(encoding="utf-8").split("\n") if l]
    assert texts == ["Farmers\u2028protest", "Police raid"] and f"{table}:3: " in result.output


def test_second_hostile_pass_tables(tmp_path):
    table = tmp_path / "t.csv"
    table.write_text(
        "doc,para,text,Themes,stance\na,0,Troops burned coca.,militarization,neutral\na,0,Troops burned coca.,militarization,neutral\n"
    )
    out = tmp_path / "t.jsonl"
    result = run("import-labels", table, "--from", "csv", "--out", out)
    assert result.exit_code == 1 and "no column 'themes', but 'Themes'" in result.output and not out.exists()
    result = run("import-labels", table, "--from", "csv", "--out", out, "--themes-column", "Themes")
    assert result.exit_code == 0 and "1 rows repeat one already read" in result.output
    assert len(out.read_text().splitlines()) == 1


def test_sigterm_leaves_no_temporary_file_and_the_old_output(tmp_path):
    import signal
    import subprocess
    import sys
    import time

    rows = tmp_path / "big.jsonl"
    text = ARTICLE.read_text(encoding="utf-8")
    rows.write_text("".join(json.dumps({"id": f"a{i}", "text": text}) + "\n" for i in range(3000)))
    out = tmp_path / "tags.jsonl"
    out.write_text("old results\n")
    process = subprocess.Popen(
        [sys.executable, "-m", "themetag", "predict", str(rows), "--out", str(out), "--force"],
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.time() + 60
    while time.time() < deadline and not list(tmp_path.glob(".tags.jsonl.*.tmp")):
        time.sleep(0.05)
    process.send_signal(signal.SIGTERM)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 130 and "interrupted" in stderr
    assert out.read_text() == "old results\n" and not list(tmp_path.glob(".tags.jsonl.*"))


def test_a_key_given_twice_in_a_record_is_an_error_not_the_last_one_kept(tmp_path):
    labels = copy_seed_labels(tmp_path / "L")
    (labels / "more.jsonl").write_text(
        '{"doc": "n", "para": 0, "text": "Troops burned coca.", "stance": "favor", "stance": "against"}\n'
    )
    result = run("evaluate-segmentation", "--labels", labels, "--articles", REPO / "seeds")
    assert result.exit_code == 1 and "more.jsonl:1: the key 'stance' is given twice" in result.output
    rows = tmp_path / "a.jsonl"
    rows.write_text('{"id": "a", "text": "Troops burned coca.", "text": "Farmers planted cacao."}\n')
    result = run("predict", rows)
    assert result.exit_code == 1 and "the key 'text' is given twice" in result.output


def test_an_output_named_through_a_symbolic_link_replaces_the_file_and_keeps_the_link(tmp_path):
    # Renamed over the link, the link itself became a file (`--out /dev/stdout --force` replaced /dev/stdout).
    from themetag.io import write_text

    real = tmp_path / "real.txt"
    real.write_text("old", encoding="utf-8")
    link = tmp_path / "link.txt"
    link.symlink_to(real)
    write_text("new", link)
    assert link.is_symlink() and real.read_text(encoding="utf-8") == "new"
