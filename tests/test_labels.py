"""Label loading: the schema decides the label set; every malformed input names its file and line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from themetag import LabelError, Schema, load_labels
from themetag.schema import text_hash

SCHEMA = {
    "themes": {"militarization": {"cues": ["army"]}, "development": {}},
    "stances": {"favor": {}, "against": {}, "neutral": {}},
}

GOOD = {
    "doc": "a1",
    "para": 0,
    "text": "The army moved in.",
    "kind": "content",
    "themes": ["militarization"],
    "stance": "neutral",
}


def write_dir(tmp_path: Path, lines: list, schema=SCHEMA, name="labels.jsonl") -> Path:
    d = tmp_path / "labels"
    d.mkdir(exist_ok=True)
    (d / "schema.json").write_text(json.dumps(schema))
    (d / name).write_text("\n".join(l if isinstance(l, str) else json.dumps(l) for l in lines) + "\n", encoding="utf-8")
    return d


def test_valid_records_load_in_schema_order(tmp_path):
    rec = dict(GOOD, themes=["development", "militarization"])
    labels = load_labels(write_dir(tmp_path, [rec, dict(GOOD, para=1, kind="heading", themes=[], stance=None)]))
    assert [e.themes for e in labels.examples] == [("militarization", "development"), ()]
    assert [e.uid for e in labels.examples] == ["a1#0", "a1#1"]
    assert labels.schema.theme_cues["militarization"] == ("army",)
    assert len(labels.content()) == 1


def test_blank_lines_are_skipped(tmp_path):
    assert len(load_labels(write_dir(tmp_path, ["", json.dumps(GOOD), "   "])).examples) == 1


@pytest.mark.parametrize(
    "line, message",
    [
        ('{"doc": "a1", "para": 0,', r"labels\.jsonl:2: not valid JSON"),
        ("[1, 2]", r"labels\.jsonl:2: expected a JSON object, got list"),
        ({k: v for k, v in GOOD.items() if k != "stance"}, r"labels\.jsonl:2: a content paragraph needs a stance"),
        ({"doc": "a1", "para": 1}, r"labels\.jsonl:2: text record is missing 'text'"),
        (
            dict(GOOD, kind="article"),
            r"labels\.jsonl:2: unknown kind 'article'; use one of content, heading, boilerplate",
        ),
        (
            dict(GOOD, themes=["policing"]),
            r"labels\.jsonl:2: unknown theme 'policing'; the schema's themes are militarization, development",
        ),
        (dict(GOOD, themes="militarization"), r"labels\.jsonl:2: \"themes\" must be a list"),
        (
            dict(GOOD, themes=None),
            r"labels\.jsonl:2: \"themes\" must be a list of theme names \(\"themes\": \[\] for none\), got null",
        ),
        (dict(GOOD, kind=None), r"labels\.jsonl:2: \"kind\" must be one of content, heading, boilerplate, got null"),
        (dict(GOOD, themes=["development", "development"]), r"labels\.jsonl:2: theme listed twice"),
        (
            dict(GOOD, stance="pro"),
            r"labels\.jsonl:2: unknown stance 'pro'; the schema's stances are favor, against, neutral",
        ),
        (dict(GOOD, stance=None), r"labels\.jsonl:2: a content paragraph needs a stance \(favor, against, neutral\)"),
        (dict(GOOD, kind="boilerplate"), r"labels\.jsonl:2: a boilerplate paragraph carries no themes or stance"),
        (dict(GOOD, para=-1), r"labels\.jsonl:2: \"para\" must be a paragraph index"),
        (dict(GOOD, text="  "), r"labels\.jsonl:2: \"text\" must be the paragraph's non-empty text"),
        (dict(GOOD, doc=""), r"labels\.jsonl:2: \"doc\" must be a non-empty string"),
    ],
)
def test_each_broken_line_names_file_and_line(tmp_path, line, message):
    d = write_dir(tmp_path, [dict(GOOD, para=5), line])
    with pytest.raises(LabelError, match=message) as info:
        load_labels(d)
    assert info.value.line == 2
    assert info.value.path.endswith("labels.jsonl")


def test_conflicting_duplicate_names_both_places(tmp_path):
    d = write_dir(tmp_path, [GOOD, dict(GOOD, stance="favor")])
    with pytest.raises(
        LabelError, match=r"labels\.jsonl:2: paragraph 'a1#0' is labeled differently at .*labels\.jsonl:1"
    ):
        load_labels(d)


def test_identical_duplicate_counts_once(tmp_path):
    assert len(load_labels(write_dir(tmp_path, [GOOD, GOOD])).examples) == 1


def test_conflict_across_two_directories(tmp_path):
    a = write_dir(tmp_path / "x", [GOOD]) if (tmp_path / "x").mkdir() is None else None
    b = write_dir(tmp_path / "y", [dict(GOOD, themes=[])]) if (tmp_path / "y").mkdir() is None else None
    with pytest.raises(
        LabelError, match=r"y/labels/labels\.jsonl:1: .* labeled differently at .*x/labels/labels\.jsonl:1"
    ):
        load_labels([a, b])


def test_directories_with_different_schemas_are_refused(tmp_path):
    (tmp_path / "x").mkdir()
    (tmp_path / "y").mkdir()
    a = write_dir(tmp_path / "x", [GOOD])
    b = write_dir(tmp_path / "y", [dict(GOOD, doc="b")], schema={"themes": ["other"], "stances": ["neutral"]})
    with pytest.raises(LabelError, match="declares a different schema"):
        load_labels([a, b])


def test_not_utf8_label_file(tmp_path):
    d = write_dir(tmp_path, [GOOD])
    (d / "labels.jsonl").write_bytes(json.dumps(GOOD).encode() + b"\n" + b'{"doc": "caf\xe9"}\n')
    with pytest.raises(LabelError, match=r"labels\.jsonl:2: not UTF-8"):
        load_labels(d)


def test_missing_directory_and_no_label_files(tmp_path):
    with pytest.raises(LabelError, match="no such label directory"):
        load_labels(tmp_path / "nope", schema=Schema.from_dict(SCHEMA))
    d = tmp_path / "empty"
    d.mkdir()
    (d / "schema.json").write_text(json.dumps(SCHEMA))
    with pytest.raises(LabelError, match="no \\*.jsonl label files"):
        load_labels(d)


def test_missing_schema(tmp_path):
    d = tmp_path / "d"
    d.mkdir()
    (d / "l.jsonl").write_text(json.dumps(GOOD))
    with pytest.raises(LabelError, match="no schema.json in any label directory"):
        load_labels(d)


@pytest.mark.parametrize(
    "schema, message",
    [
        ([], "a schema is a JSON object"),
        ({"themes": "x", "stances": ["neutral"]}, '"themes" must be an object of names or a list'),
        ({"themes": [], "stances": []}, '"stances" needs at least one value'),
        (
            {"themes": ["a"], "stances": ["pro", "con"]},
            'no stance is called "neutral": name the one that takes no side, e.g. "null_stance": "pro"',
        ),
        (
            {"themes": ["a"], "stances": ["pro", "con"], "null_stance": "none"},
            '"null_stance" must be one of the stances',
        ),
        ({"themes": {"a": {"description": 5}}, "stances": ["neutral"]}, "the description of .a. must be a string"),
        ({"themes": ["a"], "stances": ["a", "neutral"]}, "names used both as theme and stance"),
        ({"themes": {"a": {"cues": "army"}}, "stances": ["neutral"]}, "cues of 'a' must be a list"),
        ({"themes": {" a": {}}, "stances": ["neutral"]}, "must be a non-empty string"),
    ],
)
def test_schema_errors(schema, message):
    with pytest.raises(LabelError, match=message):
        Schema.from_dict(schema)


def test_custom_schema_with_own_null_stance():
    s = Schema.from_dict({"themes": ["f1", "f2"], "stances": ["pro", "con", "none"], "null_stance": "none"})
    assert (s.themes, s.stances, s.null_stance) == (("f1", "f2"), ("pro", "con", "none"), "none")


# --------------------------------------------------------------------------- corpus records


def make_corpus(tmp_path: Path) -> Path:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    rows = [
        {"id": "p/1", "doc": "p", "text": "The army eradicated coca."},
        {"id": "art/1", "doc": "art/1", "text": "Peru Sends More Troops\nFirst paragraph here.\nSHARE"},
    ]
    (corpus / "c.jsonl").write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    return corpus


def corpus_record(**kw):
    rec = {
        "corpus": "c.jsonl",
        "id": "p/1",
        "para": None,
        "text_sha256": text_hash("The army eradicated coca."),
        "kind": "content",
        "themes": ["militarization"],
        "stance": "neutral",
    }
    rec.update(kw)
    return rec


def test_corpus_records_read_text_from_the_corpus(tmp_path):
    corpus = make_corpus(tmp_path)
    art = corpus_record(id="art/1", para=1, text_sha256=text_hash("First paragraph here."), themes=[])
    labels = load_labels(write_dir(tmp_path, [corpus_record(), art]), corpus_dir=corpus)
    assert [(e.uid, e.doc, e.text) for e in labels.examples] == [
        ("p/1", "p", "The army eradicated coca."),
        ("art/1#1", "art/1", "First paragraph here."),
    ]


@pytest.mark.parametrize(
    "record, message",
    [
        (corpus_record(text_sha256="0" * 16), r"text_sha256 '0000000000000000' no longer matches c\.jsonl row 'p/1'"),
        (corpus_record(id="p/404"), r"no row with id 'p/404' in corpus file 'c\.jsonl'"),
        (corpus_record(corpus="other.jsonl"), r"corpus file 'other\.jsonl' not found"),
        (corpus_record(id="art/1", para=7), r"row 'art/1' has 3 paragraphs; there is no paragraph 7"),
        ({k: v for k, v in corpus_record().items() if k != "text_sha256"}, r"corpus record is missing 'text_sha256'"),
    ],
)
def test_corpus_record_errors(tmp_path, record, message):
    corpus = make_corpus(tmp_path)
    with pytest.raises(LabelError, match=r"labels\.jsonl:1: " + message):
        load_labels(write_dir(tmp_path, [record]), corpus_dir=corpus)


def test_corpus_record_without_corpus_folder(tmp_path):
    with pytest.raises(LabelError, match="the corpus folder .* does not exist; pass the folder with --corpus"):
        load_labels(write_dir(tmp_path, [corpus_record()]), corpus_dir=tmp_path / "absent")


def test_fingerprint_changes_with_a_label_and_not_with_order(tmp_path):
    a = load_labels(write_dir(tmp_path / "1" if (tmp_path / "1").mkdir() is None else None, [GOOD, dict(GOOD, para=1)]))
    b = load_labels(write_dir(tmp_path / "2" if (tmp_path / "2").mkdir() is None else None, [dict(GOOD, para=1), GOOD]))
    c = load_labels(
        write_dir(
            tmp_path / "3" if (tmp_path / "3").mkdir() is None else None, [GOOD, dict(GOOD, para=1, stance="favor")]
        )
    )
    assert a.fingerprint() == b.fingerprint() != c.fingerprint()


def test_a_broken_corpus_line_names_the_corpus_file_and_line(tmp_path):
    corpus = make_corpus(tmp_path)
    with open(corpus / "c.jsonl", "a") as handle:
        handle.write('{"id": "p/9", "text": \n')
    with pytest.raises(LabelError, match=r"c\.jsonl:3: corpus row: not valid JSON"):
        load_labels(write_dir(tmp_path, [corpus_record()]), corpus_dir=corpus)


def test_short_records_take_defaults_and_unlabeled_ones_are_counted(tmp_path):
    """Only text and the labels are needed: no doc makes a document of its own, no kind means content."""
    d = write_dir(
        tmp_path,
        [
            {"text": "Troops burned the fields.", "themes": ["militarization"], "stance": "neutral"},
            {"text": "Peace talks went on.", "stance": "against"},
            {
                "doc": "a1",
                "para": 3,
                "text": "Not labeled yet.",
                "kind": "content",
                "themes": [],
                "stance": None,
                "suggested": {},
            },
        ],
    )
    labels = load_labels(d)
    first, second = labels.examples
    assert (first.kind, first.themes, second.themes) == ("content", ("militarization",), ())
    assert first.doc != second.doc and first.doc.endswith(":1")
    assert labels.unlabeled == [f"{d / 'labels.jsonl'}:3"]


def test_a_theme_only_schema_needs_no_stance(tmp_path):
    d = tmp_path / "l"
    d.mkdir()
    (d / "schema.json").write_text(
        json.dumps({"themes": ["economy", "security"], "stances": ["none"], "null_stance": "none"})
    )
    (d / "l.jsonl").write_text(json.dumps({"text": "Prices rose.", "themes": ["economy"]}) + "\n")
    [example] = load_labels(d).examples
    assert (example.themes, example.stance) == (("economy",), "none")
