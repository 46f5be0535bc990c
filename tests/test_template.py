"""A collection's own furniture: short lines that recur across many of its articles are set aside."""

from __future__ import annotations

from typer.testing import CliRunner

import themetag
from themetag.cli import app
from themetag.segmentation import collection_template, template_key


def article(i: int) -> str:
    return (
        f"Coca policy, part {i}\n\nShare this story on Facebook\n\nSoldiers destroyed {i + 3} labs in the province on Monday, "
        f"the defence ministry said in a statement.\n\nListen to this article ({i % 7 + 2} min)\n"
    )


def test_lines_recurring_across_a_collection_become_its_template():
    texts = [article(i) for i in range(30)]
    template = collection_template(texts)
    assert template_key("Listen to this article (5 min)") in template
    assert not any(key.startswith("soldiers destroyed") for key in template)  # long prose is never taken by its text
    assert collection_template(texts[:19]) == frozenset()  # too few articles to tell a template
    # Ten of fifty articles share the lines: under the 20 articles a template needs.
    others = [
        f"Report number {i} from elsewhere\n\nIts own prose about the valley and the {i} coca growers who met there."
        for i in range(40)
    ]
    assert collection_template(texts[:10] + others) == {"report number 0 from elsewhere"}
    tagger = themetag.load()
    plain = [p.kind for p in next(tagger.tag_many(texts[:1])).paragraphs]
    with_template = [p.kind for p in next(tagger.tag_many(texts[:1], template=template)).paragraphs]
    assert plain[3] == "content" and with_template[3] == "boilerplate"
    assert with_template[2] == "content"


def test_predict_finds_the_template_of_the_files_it_is_given(tmp_path):
    for i in range(25):
        (tmp_path / f"a{i}.txt").write_text(article(i), encoding="utf-8")
    runner = CliRunner()
    found = runner.invoke(app, ["predict", str(tmp_path), "--paragraphs", "--kind", "content", "--format", "csv"])
    assert found.exit_code == 0, found.output
    assert "recur across the collection" in found.output and "Listen to this article" not in found.stdout
    kept = runner.invoke(
        app, ["predict", str(tmp_path), "--paragraphs", "--kind", "content", "--format", "csv", "--no-template"]
    )
    assert kept.exit_code == 0 and kept.stdout.count("Listen to this article") == 25
