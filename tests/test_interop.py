"""Label Studio and doccano: exports read into label records, tasks written, round trips, errors, the CLI."""

from __future__ import annotations

import copy
import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from typer.testing import CliRunner

from themetag.cli import app
from themetag.errors import LabelError
from themetag.interop import (
    label_studio_config,
    read_doccano,
    read_label_studio,
    read_records,
    to_doccano,
    to_label_studio,
    write_jsonl,
)
from themetag.labels import load_labels
from themetag.schema import Schema, text_hash

runner = CliRunner()

SCHEMA = {
    "name": "test",
    "themes": {
        "militarization": {"description": "security-force-led action", "cues": ["army"]},
        "development": {"description": "alternative development", "cues": ["cacao"]},
        "corruption": {"cues": []},
    },
    "stances": {"favor": {}, "against": {}, "neutral": {}},
    "null_stance": "neutral",
}

HEADING = "Peru Sends Troops to the Valley"
P1 = "The army will eradicate coca in the VRAEM, the defense minister said on Tuesday."
P2 = "Farmers ask for cacao and coffee programs instead; eradication alone has failed before."
P3 = "Share this article"

# Labeled paragraphs in themetag's label format (themes in schema order).
LABELED = [
    {"doc": "a1", "para": 0, "text": HEADING, "kind": "heading", "themes": [], "stance": None},
    {"doc": "a1", "para": 1, "text": P1, "kind": "content", "themes": ["militarization"], "stance": "favor"},
    {
        "doc": "a1",
        "para": 2,
        "text": P2,
        "kind": "content",
        "themes": ["militarization", "development"],
        "stance": "against",
    },
    {"doc": "a1", "para": 3, "text": P3, "kind": "boilerplate", "themes": [], "stance": None},
]


@pytest.fixture
def schema() -> Schema:
    return Schema.from_dict(SCHEMA)


def write(path, text: str):
    path.write_text(text, encoding="utf-8")
    return path


def choices(name: str, values: list[str], rid: str) -> dict:
    """One result item as Label Studio exports it for a <Choices> control on a <Text>."""
    return {
        "value": {"choices": values},
        "id": rid,
        "from_name": name,
        "to_name": "text",
        "type": "choices",
        "origin": "manual",
    }


def annotation(
    aid: int, task: int, result: list, *, updated: str, cancelled: bool = False, ground_truth: bool = False
) -> dict:
    return {
        "id": aid,
        "completed_by": 1,
        "result": result,
        "was_cancelled": cancelled,
        "ground_truth": ground_truth,
        "created_at": updated,
        "updated_at": updated,
        "lead_time": 12.4,
        "result_count": 0,
        "task": task,
        "project": 3,
    }


def ls_task(tid: int, data: dict, annotations: list, predictions: list | None = None) -> dict:
    """A task shaped like Label Studio's JSON export (labelstud.io/guide/export, task_format)."""
    return {
        "id": tid,
        "annotations": annotations,
        "drafts": [],
        "predictions": predictions or [],
        "data": data,
        "meta": {},
        "created_at": "2024-05-02T09:12:01.113245Z",
        "updated_at": "2024-05-02T10:40:17.502110Z",
        "project": 3,
    }


def ls_export() -> list[dict]:
    return [
        ls_task(
            101,
            {"text": HEADING, "doc": "a1", "para": 0},
            [annotation(1, 101, [choices("kind", ["heading"], "k1")], updated="2024-05-02T10:01:00.000000Z")],
        ),
        ls_task(
            102,
            {"text": P1, "doc": "a1", "para": 1},
            [
                # An older annotation, superseded by the later one.
                annotation(2, 102, [choices("stance", ["neutral"], "s2")], updated="2024-05-02T10:02:00.000000Z"),
                annotation(
                    3,
                    102,
                    [choices("themes", ["militarization"], "t3"), choices("stance", ["favor"], "s3")],
                    updated="2024-05-02T10:30:00.000000Z",
                ),
                # Skipped by another annotator: ignored though it is the latest.
                annotation(4, 102, [], updated="2024-05-02T11:00:00.000000Z", cancelled=True),
            ],
        ),
        ls_task(
            103,
            {"text": P2, "doc": "a1", "para": 2},
            [
                annotation(
                    5,
                    103,
                    [
                        choices("kind", ["content"], "k5"),
                        choices("themes", ["development", "militarization"], "t5"),
                        choices("stance", ["against"], "s5"),
                        {
                            "value": {"text": ["check the minister's name"]},
                            "id": "n5",
                            "from_name": "notes",
                            "to_name": "text",
                            "type": "textarea",
                            "origin": "manual",
                        },
                    ],
                    updated="2024-05-02T10:31:00.000000Z",
                )
            ],
        ),
        ls_task(
            104,
            {"text": P3, "doc": "a1", "para": 3},
            [annotation(6, 104, [choices("kind", ["boilerplate"], "k6")], updated="2024-05-02T10:32:00.000000Z")],
        ),
        ls_task(105, {"text": "Not labeled yet.", "doc": "a1", "para": 4}, []),
        ls_task(
            106,
            {"text": "Skipped by everyone.", "doc": "a1", "para": 5},
            [annotation(7, 106, [], updated="2024-05-02T10:33:00.000000Z", cancelled=True)],
        ),
    ]


def doccano_line(eid: int, text: str, labels: list[str], **meta) -> str:
    """One line of doccano's JSONL export of a text-classification project: id, text, meta columns, label, Comments."""
    return json.dumps({"id": eid, "text": text, **meta, "label": sorted(labels), "Comments": []}, ensure_ascii=False)


# --------------------------------------------------------------------------- Label Studio import


def test_read_label_studio_export(tmp_path, schema):
    path = write(tmp_path / "project-3-at-2024-05-02.json", json.dumps(ls_export(), indent=2))
    records = read_label_studio(path, schema)
    assert records == LABELED
    assert records.skipped == ["task 5 (id 105)", "task 6 (id 106)"]


def test_label_studio_ground_truth_wins_over_a_later_annotation(tmp_path, schema):
    task = ls_task(
        7,
        {"text": P1, "doc": "a", "para": 0},
        [
            annotation(1, 7, [choices("stance", ["neutral"], "a")], updated="2024-01-01T00:00:00Z", ground_truth=True),
            annotation(2, 7, [choices("stance", ["favor"], "b")], updated="2024-06-01T00:00:00Z"),
        ],
    )
    [record] = read_label_studio(write(tmp_path / "e.json", json.dumps([task])), schema)
    assert record["stance"] == "neutral"


def test_label_studio_missing_doc_and_para_are_derived(tmp_path, schema):
    tasks = [
        ls_task(
            17, {"text": P1}, [annotation(1, 17, [choices("stance", ["neutral"], "a")], updated="2024-01-01T00:00:00Z")]
        ),
        # Numbers from a CSV import arrive as strings; doc given, para missing → order within the doc.
        ls_task(
            18,
            {"text": P2, "doc": 42},
            [annotation(2, 18, [choices("stance", ["against"], "b")], updated="2024-01-01T00:00:00Z")],
        ),
        ls_task(
            19,
            {"text": HEADING, "doc": "42", "para": None},
            [annotation(3, 19, [choices("kind", ["heading"], "c")], updated="2024-01-01T00:00:00Z")],
        ),
        ls_task(
            20,
            {"text": P3, "doc": "b", "para": "3"},
            [annotation(4, 20, [choices("kind", ["boilerplate"], "d")], updated="2024-01-01T00:00:00Z")],
        ),
    ]
    records = read_label_studio(write(tmp_path / "e.json", json.dumps(tasks)), schema)
    assert [(r["doc"], r["para"]) for r in records] == [
        (f"labelstudio-17-{text_hash(P1)[:8]}", 0),
        ("42", 0),
        ("42", 1),
        ("b", 3),
    ]


def test_two_exports_numbered_alike_keep_every_label(tmp_path, schema):
    """Two Label Studio projects both number their tasks from 1: imported into two label files, nothing is dropped."""
    first = [
        ls_task(
            1, {"text": P1}, [annotation(1, 1, [choices("stance", ["neutral"], "a")], updated="2024-01-01T00:00:00Z")]
        )
    ]
    second = [
        ls_task(
            1, {"text": P2}, [annotation(1, 1, [choices("stance", ["against"], "b")], updated="2024-01-01T00:00:00Z")]
        )
    ]
    labels = tmp_path / "L"
    labels.mkdir()
    (labels / "schema.json").write_text(json.dumps(schema.to_dict()))
    for name, tasks in (("a", first), ("b", second)):
        records = read_label_studio(write(tmp_path / f"{name}.json", json.dumps(tasks)), schema)
        write_jsonl(records, labels / f"{name}.jsonl")
    assert len(load_labels(labels).examples) == 2
    # Records that name one paragraph with two texts are an error naming both places, never one silently kept.
    (labels / "c.jsonl").write_text(
        json.dumps({"doc": "d", "para": 0, "text": P1, "stance": "neutral"})
        + "\n"
        + json.dumps({"doc": "d", "para": 0, "text": P2, "stance": "neutral"})
        + "\n"
    )
    with pytest.raises(LabelError, match=r"c.jsonl:2: paragraph 'd#0' has other text than at .*c.jsonl:1"):
        load_labels(labels)


def test_label_studio_json_lines_of_tasks(tmp_path, schema):
    path = write(tmp_path / "tasks.jsonl", "\n".join(json.dumps(t) for t in ls_export()) + "\n")
    assert read_label_studio(path, schema) == LABELED


# --------------------------------------------------------------------------- doccano import


def test_read_doccano_export(tmp_path, schema):
    lines = [
        doccano_line(1, HEADING, ["kind:heading"], doc="a1", para=0),
        doccano_line(2, P1, ["militarization", "stance:favor"], doc="a1", para=1),
        doccano_line(3, P2, ["development", "militarization", "stance:against", "kind:content"], doc="a1", para=2),
        doccano_line(4, P3, ["kind:boilerplate"], doc="a1", para=3),
        doccano_line(5, "Not labeled yet.", [], doc="a1", para=4),
    ]
    records = read_doccano(write(tmp_path / "admin.jsonl", "\n".join(lines) + "\n"), schema)
    assert records == LABELED
    assert records.skipped == ["example 5 (id 5)"]


def test_read_older_doccano_export_with_labels_and_meta(tmp_path, schema):
    old = {
        "id": 9,
        "text": P1,
        "meta": {"doc": "a1", "para": 1.0},
        "annotation_approver": None,
        "comments": [],
        "labels": ["militarization", "stance:favor"],
    }
    [record] = read_doccano(write(tmp_path / "old.jsonl", json.dumps(old) + "\n"), schema)
    assert record == LABELED[1]


def test_doccano_json_array_export_and_derived_doc(tmp_path, schema):
    data = [{"id": 31, "text": P1, "label": ["stance:neutral"]}, {"id": 32, "text": P2, "label": ["stance:against"]}]
    records = read_doccano(write(tmp_path / "all.json", json.dumps(data, indent=4)), schema)
    assert [(r["doc"], r["para"], r["stance"]) for r in records] == [
        (f"doccano-31-{text_hash(P1)[:8]}", 0, "neutral"),
        (f"doccano-32-{text_hash(P2)[:8]}", 0, "against"),
    ]


def test_doccano_text_with_raw_line_separators_imports_and_loads_as_labels(tmp_path, schema):
    # JSON allows U+2028/U+2029/U+0085 raw inside strings; a reader that split lines at them would break the record.
    text = "The army will eradicate coca\u2028in the VRAEM,\u0085the minister said.\u2029Farmers object."
    lines = [
        doccano_line(1, text, ["militarization", "stance:favor"], doc="a9", para=0),
        doccano_line(2, P2, ["stance:against"], doc="a9", para=1),
    ]
    export = write(tmp_path / "export.jsonl", "\n".join(lines) + "\n")
    records = read_doccano(export, schema)
    assert [r["text"] for r in records] == [text, P2]
    labels = tmp_path / "labels"
    labels.mkdir()
    (labels / "schema.json").write_text(json.dumps(SCHEMA))
    write_jsonl(records, labels / "imported.jsonl")
    assert [e.text for e in load_labels(labels).examples] == [text, P2]  # the label loader reads it the same way


# --------------------------------------------------------------------------- export


def test_label_studio_config_matches_schema(schema):
    view = ET.fromstring(label_studio_config(schema))
    assert view.tag == "View"
    [text] = view.findall("Text")
    assert text.attrib == {"name": "text", "value": "$text"}
    controls = {c.get("name"): c for c in view.findall("Choices")}
    assert set(controls) == {"themes", "stance", "kind"}
    assert all(c.get("toName") == "text" for c in controls.values())
    assert controls["themes"].get("choice") == "multiple"
    assert controls["stance"].get("choice") == controls["kind"].get("choice") == "single"
    values = {name: [c.get("value") for c in control.findall("Choice")] for name, control in controls.items()}
    assert values == {
        "themes": list(schema.themes),
        "stance": list(schema.stances),
        "kind": ["content", "heading", "boilerplate"],
    }
    assert controls["themes"].find("Choice").get("hint") == "security-force-led action"


def test_to_label_studio_segment_output_and_predictions(schema):
    segmented = [dict(r, themes=[], stance=None) for r in LABELED]
    suggested = dict(
        LABELED[1],
        theme_scores={"militarization": 0.91, "development": 0.3, "corruption": 0.05},
        stance_scores={"favor": 0.62, "against": 0.3, "neutral": 0.08},
    )
    tasks = to_label_studio(segmented[:1] + [suggested] + segmented[2:3], schema)
    assert [t["data"] for t in tasks] == [{"text": r["text"], "doc": "a1", "para": r["para"]} for r in LABELED[:3]]
    # A heading from the segmenter is pre-filled; an unlabeled content paragraph gets no prediction.
    assert [c["value"]["choices"] for c in tasks[0]["predictions"][0]["result"]] == [["heading"]]
    assert "predictions" not in tasks[2]
    [prediction] = tasks[1]["predictions"]
    assert prediction["model_version"] == "themetag"
    assert prediction["score"] == 0.62  # the least certain decision: the stance
    assert {r["from_name"]: r["value"]["choices"] for r in prediction["result"]} == {
        "kind": ["content"],
        "themes": ["militarization"],
        "stance": ["favor"],
    }
    assert all(r["to_name"] == "text" and r["type"] == "choices" for r in prediction["result"])
    ids = [r["id"] for t in tasks for p in t.get("predictions", []) for r in p["result"]]
    assert len(ids) == len(set(ids))
    assert "predictions" not in to_label_studio([suggested], schema, suggestions=False)[0]


def test_flat_scores_key_is_read(schema):
    record = dict(
        LABELED[1], scores={"militarization": 0.8, "development": 0.1, "favor": 0.9, "against": 0.05, "neutral": 0.05}
    )
    [task] = to_label_studio([record], schema)
    assert task["predictions"][0]["score"] == 0.8


def test_to_doccano(schema):
    examples = to_doccano(LABELED, schema)
    assert examples[0] == {"text": HEADING, "label": ["kind:heading"], "doc": "a1", "para": 0}
    assert examples[2]["label"] == ["militarization", "development", "stance:against"]
    assert to_doccano(LABELED, schema, suggestions=False)[2]["label"] == []


# --------------------------------------------------------------------------- round trips


def test_label_studio_round_trip(tmp_path, schema):
    """records → tasks → (Label Studio: annotator accepts the pre-annotations) → export → same records."""
    tasks = to_label_studio(LABELED, schema)
    exported = []
    for tid, task in enumerate(tasks, start=200):
        result = copy.deepcopy(task["predictions"][0]["result"])
        for r in result:
            r["origin"] = "prediction"
        predictions = [dict(task["predictions"][0], id=tid, task=tid, created_ago="3 minutes")]
        exported.append(
            ls_task(tid, task["data"], [annotation(tid, tid, result, updated="2024-05-03T08:00:00Z")], predictions)
        )
    path = write(tmp_path / "export.json", json.dumps(exported))
    assert read_label_studio(path, schema) == LABELED


def test_doccano_round_trip(tmp_path, schema):
    """records → doccano import file → (doccano: imported, labels kept, exported) → same records."""
    examples = to_doccano(LABELED, schema)
    lines = []
    for eid, example in enumerate(examples, start=1):
        meta = {k: v for k, v in example.items() if k not in ("text", "label")}
        lines.append(doccano_line(eid, example["text"], example["label"], **meta))
    assert read_doccano(write(tmp_path / "all.jsonl", "\n".join(lines) + "\n"), schema) == LABELED


def test_imported_labels_load_with_load_labels(tmp_path, schema):
    labels_dir = tmp_path / "labels"
    labels_dir.mkdir()
    write(labels_dir / "schema.json", json.dumps(SCHEMA))
    export = write(tmp_path / "export.json", json.dumps(ls_export()))
    result = runner.invoke(
        app,
        [
            "import-labels",
            str(export),
            "--from",
            "label-studio",
            "--schema",
            str(labels_dir / "schema.json"),
            "--out",
            str(labels_dir / "ls.jsonl"),
        ],
    )
    assert result.exit_code == 0, result.output
    label_set = load_labels(labels_dir)
    assert [(e.uid, e.kind, e.themes, e.stance) for e in label_set.examples] == [
        (f"{r['doc']}#{r['para']}", r["kind"], tuple(r["themes"]), r["stance"]) for r in LABELED
    ]


# --------------------------------------------------------------------------- errors name the file and line


def ls_error(tmp_path, schema, tasks, *, indent=2):
    path = write(tmp_path / "bad.json", json.dumps(tasks, indent=indent))
    with pytest.raises(LabelError) as info:
        read_label_studio(path, schema)
    return path, info.value


def test_label_studio_error_names_task_and_its_line(tmp_path, schema):
    tasks = ls_export()
    tasks[2]["annotations"][0]["result"][1]["value"]["choices"] = ["prohibition"]
    path, exc = ls_error(tmp_path, schema, tasks)
    task_starts = [i + 1 for i, line in enumerate(path.read_text().splitlines()) if line == "  {"]
    assert exc.path == str(path)
    assert exc.line == task_starts[2]  # the line task 3 starts on
    assert "task 3 (id 103): unknown theme 'prohibition'" in str(exc)
    assert str(exc).startswith(f"{path}:{exc.line}: ")


@pytest.mark.parametrize(
    "mutate, message",
    [
        (lambda t: t[1]["annotations"][1]["result"][1]["value"].update(choices=["maybe"]), "unknown stance 'maybe'"),
        (lambda t: t[0]["annotations"][0]["result"][0]["value"].update(choices=["caption"]), "unknown kind 'caption'"),
        (
            lambda t: t[1]["annotations"][1]["result"][1]["value"].update(choices=["favor", "against"]),
            "2 stance choices",
        ),
        (lambda t: t[1]["annotations"][1]["result"].pop(1), "a content paragraph needs a stance"),
        (
            lambda t: t[0]["annotations"][0]["result"].append(choices("stance", ["favor"], "x")),
            "a heading paragraph carries no themes or stance",
        ),
        (lambda t: t[1]["data"].pop("text"), '"data" has no "text"'),
        (lambda t: t[1]["annotations"][1]["result"][0].update(from_name="sentiment"), "choices control 'sentiment'"),
        (lambda t: t[1].pop("data"), 'has no "data" object'),
        (lambda t: t[1]["data"].update(para=-1), '"para" must be a paragraph index'),
        (
            lambda t: t[1]["annotations"][1].update(was_cancelled="false"),
            "an annotation's \"was_cancelled\" must be true or false, got 'false'",
        ),
        (
            lambda t: t[1]["annotations"][0].update(ground_truth=1),
            'an annotation\'s "ground_truth" must be true or false, got 1',
        ),
    ],
)
def test_label_studio_errors(tmp_path, schema, mutate, message):
    tasks = ls_export()
    mutate(tasks)
    path, exc = ls_error(tmp_path, schema, tasks, indent=None)  # one line, as some exports are
    assert exc.path == str(path) and exc.line == 1
    assert "task 2 (id 102): " in str(exc) or "task 1 (id 101): " in str(exc)
    assert message in str(exc)


def test_label_studio_malformed_json_names_the_line(tmp_path, schema):
    text = json.dumps(ls_export(), indent=2)
    lines = text.splitlines()
    broken = lines.index('      "doc": "a1",', 40)
    lines[broken] = '      "doc": "a1"'  # missing comma
    path = write(tmp_path / "broken.json", "\n".join(lines))
    with pytest.raises(LabelError) as info:
        read_label_studio(path, schema)
    assert info.value.path == str(path) and info.value.line == broken + 2
    assert "not valid JSON" in str(info.value)


def test_label_studio_json_min_export_is_explained(tmp_path, schema):
    path = write(tmp_path / "min.json", json.dumps([{"id": 1, "text": P1, "stance": "favor", "annotator": 1}]))
    with pytest.raises(LabelError, match="JSON-MIN or CSV export"):
        read_label_studio(path, schema)


def test_duplicate_paragraph_with_different_labels(tmp_path, schema):
    tasks = ls_export()[:2]
    tasks[1]["data"].update(para=0, text=HEADING)
    path, exc = ls_error(tmp_path, schema, tasks)
    assert "paragraph a1#0 was already imported differently at line 2" in str(exc)


def doccano_error(tmp_path, schema, lines):
    path = write(tmp_path / "bad.jsonl", "\n".join(lines) + "\n")
    with pytest.raises(LabelError) as info:
        read_doccano(path, schema)
    assert info.value.path == str(path)
    return info.value


@pytest.mark.parametrize(
    "bad, message",
    [
        (doccano_line(2, P1, ["prohibition", "stance:favor"]), "unknown theme 'prohibition'"),
        (doccano_line(2, P1, ["stance:maybe"]), "unknown stance 'maybe'"),
        (doccano_line(2, P1, ["kind:caption"]), "unknown kind 'caption'"),
        (doccano_line(2, P1, ["favor"]), "label 'favor' needs its prefix: name it stance:favor"),
        (doccano_line(2, P1, ["stance:favor", "stance:against"]), "2 stance labels (stance:against, stance:favor)"),
        # Named once each, at most five: 200,000 labels made a message of 3.6 MB.
        (
            doccano_line(2, P1, ["stance:favor"] * 100_000 + ["stance:against"]),
            "100,001 stance labels (stance:against, stance:favor); keep one",
        ),
        (doccano_line(2, P1, ["militarization"]), "a content paragraph needs a stance"),
        (doccano_line(2, P1, ["kind:heading", "development"]), "a heading paragraph carries no themes or stance"),
        (json.dumps({"id": 2, "label": ["stance:favor"]}), 'no "text"'),
        (json.dumps({"id": 2, "text": P1, "label": [[0, 9, "militarization"]]}), "sequence-labeling export"),
        ('{"id": 2, "text": "unterminated', "not valid JSON"),
        ("[1, 2]", "expected a JSON object"),
        (doccano_line(1, P1, ["stance:favor"]), 'id 1 was already used at line 1 by an item without a "doc"'),
    ],
)
def test_doccano_errors_name_file_and_line(tmp_path, schema, bad, message):
    exc = doccano_error(tmp_path, schema, [doccano_line(1, HEADING, ["kind:heading"]), bad])
    assert exc.line == 2
    assert message in str(exc)


def test_export_input_errors_name_file_and_line(tmp_path, schema):
    good = json.dumps(LABELED[0])
    for bad, message in [
        (json.dumps(dict(LABELED[1], themes=["prohibition"])), "unknown theme 'prohibition'"),
        (json.dumps(dict(LABELED[1], text="")), '"text" must be the paragraph\'s non-empty text'),
        (json.dumps(dict(LABELED[1], kind="caption")), "unknown kind 'caption'"),
        ("{not json", "not valid JSON"),
    ]:
        path = write(tmp_path / "p.jsonl", f"{good}\n\n{bad}\n")
        with pytest.raises(LabelError) as info:
            read_records(path, schema)
        assert (info.value.path, info.value.line) == (str(path), 3)
        assert message in str(info.value)
    with pytest.raises(LabelError, match="record 2: unknown stance 'maybe'"):
        to_label_studio([LABELED[0], dict(LABELED[1], stance="maybe")], schema)


def test_missing_and_empty_files(tmp_path, schema):
    with pytest.raises(LabelError, match="no such file"):
        read_label_studio(tmp_path / "nope.json", schema)
    with pytest.raises(LabelError, match="empty file"):
        read_doccano(write(tmp_path / "empty.jsonl", "\n"), schema)


# --------------------------------------------------------------------------- CLI


@pytest.fixture
def schema_file(tmp_path):
    return write(tmp_path / "schema.json", json.dumps(SCHEMA))


def run(*args, input=None):
    return runner.invoke(app, [str(a) for a in args], input=input)


def test_commands_have_help():
    for command in ("import-labels", "export-tasks"):
        result = run(command, "--help")
        assert result.exit_code == 0 and "Usage" in result.output


def test_cli_import_label_studio(tmp_path, schema_file):
    export = write(tmp_path / "export.json", json.dumps(ls_export()))
    out = tmp_path / "imported.jsonl"
    result = run("import-labels", export, "--from", "label-studio", "--schema", schema_file, "--out", out)
    assert result.exit_code == 0, result.output
    assert [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()] == LABELED
    assert "skipped 2 tasks with no labels (task 5 (id 105), task 6 (id 106))" in result.stderr
    assert "4 labeled paragraphs written" in result.stderr
    # No overwrite without --force.
    again = run("import-labels", export, "--from", "label-studio", "--schema", schema_file, "--out", out)
    assert again.exit_code == 1 and "pass --force" in again.stderr
    forced = run("import-labels", export, "--from", "label-studio", "--schema", schema_file, "--out", out, "--force")
    assert forced.exit_code == 0


def test_cli_import_doccano_and_bad_input(tmp_path, schema_file):
    good = write(
        tmp_path / "admin.jsonl", doccano_line(1, P1, ["militarization", "stance:favor"], doc="a1", para=1) + "\n"
    )
    out = tmp_path / "d.jsonl"
    assert run("import-labels", good, "--from", "doccano", "--schema", schema_file, "--out", out).exit_code == 0
    assert json.loads(out.read_text(encoding="utf-8")) == LABELED[1]

    bad = write(tmp_path / "bad.jsonl", doccano_line(1, P1, ["stance:maybe"]) + "\n")
    result = run("import-labels", bad, "--from", "doccano", "--schema", schema_file, "--out", tmp_path / "x.jsonl")
    assert result.exit_code == 1
    assert result.stderr.startswith(f"Error: {bad}:1: example 1 (id 1): unknown stance 'maybe'")
    lines = result.stderr.strip().splitlines()
    assert (
        lines[1:] == [f"Error: {bad}: nothing written: 1 examples could not be imported (named above)"]
        and "Traceback" not in result.output
    )
    assert not (tmp_path / "x.jsonl").exists()

    assert run("import-labels", good, "--from", "prodigy", "--schema", schema_file, "--out", out).exit_code == 2
    empty = write(tmp_path / "none.jsonl", doccano_line(1, P1, []) + "\n")
    result = run("import-labels", empty, "--from", "doccano", "--schema", schema_file, "--out", tmp_path / "y.jsonl")
    assert result.exit_code == 1 and "nothing written: no labeled examples" in result.stderr


def test_cli_export_label_studio_from_segment_output(tmp_path, schema_file):
    article = write(tmp_path / "a1.txt", f"{HEADING}\n\n{P1}\n\n{P2}\n")
    segmented = run("segment", article)
    assert segmented.exit_code == 0
    out = tmp_path / "tasks.json"
    result = run(
        "export-tasks", "-", "--to", "label-studio", "--schema", schema_file, "--out", out, input=segmented.stdout
    )
    assert result.exit_code == 0, result.output
    tasks = json.loads(out.read_text(encoding="utf-8"))
    assert [t["data"] for t in tasks] == [{"text": t, "doc": "a1", "para": i} for i, t in enumerate([HEADING, P1, P2])]
    config = tmp_path / "tasks.label_config.xml"
    assert ET.fromstring(config.read_text(encoding="utf-8")).tag == "View"
    # Both files are protected from overwriting.
    out.unlink()
    result = run(
        "export-tasks", "-", "--to", "label-studio", "--schema", schema_file, "--out", out, input=segmented.stdout
    )
    assert result.exit_code == 1 and f"{config} exists" in result.stderr


def test_cli_export_doccano_and_errors(tmp_path, schema_file):
    records = write(tmp_path / "p.jsonl", "".join(json.dumps(r) + "\n" for r in LABELED))
    out = tmp_path / "doccano.jsonl"
    result = run("export-tasks", records, "--to", "doccano", "--schema", schema_file, "--out", out)
    assert result.exit_code == 0, result.output
    assert [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()] == to_doccano(LABELED)

    bad = write(
        tmp_path / "bad.jsonl", json.dumps(LABELED[0]) + "\n" + json.dumps(dict(LABELED[1], stance="maybe")) + "\n"
    )
    result = run("export-tasks", bad, "--to", "doccano", "--schema", schema_file, "--out", tmp_path / "z.jsonl")
    assert result.exit_code == 1
    assert result.stderr.startswith(f"Error: {bad}:2: unknown stance 'maybe'")
    assert "Traceback" not in result.output and not (tmp_path / "z.jsonl").exists()
    assert run("export-tasks", records, "--to", "excel", "--schema", schema_file, "--out", out).exit_code == 2


def _doccano_zip(path, name: str, body: bytes) -> None:
    import zipfile

    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(name, body)


def test_a_doccano_zip_member_over_the_limit_is_refused_before_it_is_unpacked(tmp_path, schema, monkeypatch):
    import zipfile

    monkeypatch.chdir(tmp_path)

    from themetag import io as themetag_io

    monkeypatch.setattr(themetag_io, "MAX_FILE_BYTES", 1000)
    line = json.dumps({"text": P1, "label": ["militarization", "stance:favor"]}) + "\n"
    path = Path("big.zip")
    _doccano_zip(path, "admin.jsonl", (line * 100).encode())
    size = len(line) * 100

    def unpacked(*args, **kwargs):
        raise AssertionError("the member was unpacked before its size was checked")

    monkeypatch.setattr(zipfile.ZipFile, "open", unpacked)
    with pytest.raises(LabelError, match=rf"^big\.zip: admin\.jsonl: {size:,} bytes unpacked is over the 1,000-byte"):
        read_doccano(path, schema)


def test_a_doccano_zip_member_with_a_forged_size_is_read_no_further_than_the_limit(tmp_path, schema, monkeypatch):
    from themetag import io as themetag_io

    monkeypatch.setattr(themetag_io, "MAX_FILE_BYTES", 1000)
    monkeypatch.chdir(tmp_path)
    line = json.dumps({"text": P1, "label": ["militarization", "stance:favor"]}) + "\n"
    body = (line * 100).encode()
    path = Path("forged.zip")
    _doccano_zip(path, "admin.jsonl", body)
    data = bytearray(path.read_bytes())
    real = len(body).to_bytes(4, "little")
    for header, offset in ((b"PK\x03\x04", 22), (b"PK\x01\x02", 24)):  # the uncompressed size, in both headers
        at = data.find(header) + offset
        assert data[at : at + 4] == real
        data[at : at + 4] = (500).to_bytes(4, "little")
    path.write_bytes(bytes(data))
    with pytest.raises(LabelError, match=r"^forged\.zip: cannot unpack admin\.jsonl from the zip") as refused:
        read_doccano(path, schema)
    assert "\n" not in str(refused.value)


def test_a_doccano_zip_member_s_problems_name_the_zip_and_member_not_a_temporary_file(tmp_path, schema, monkeypatch):
    monkeypatch.chdir(tmp_path)
    path = Path("export.zip")
    _doccano_zip(path, "admin.jsonl", b'{"text": "x", "label": []}\n{not json}\n')
    with pytest.raises(LabelError, match=r"^export\.zip: admin\.jsonl:2: not valid JSON"):
        read_doccano(path, schema)


@pytest.mark.parametrize(
    "element, message",
    [
        ("[" * 100_000 + "]" * 100_000, "not valid JSON we can read: nested too deeply"),
        ('{"id": ' + "9" * 4301 + "}", "a number with more than 4,300 digits; write long ids as strings"),
        ('{"id": 1, "id": 2}', "the key 'id' is given twice in one object; keep one"),
    ],
)
def test_a_label_studio_array_element_json_cannot_hold_is_named_as_json_lines_name_it(
    tmp_path, schema, element, message
):
    first = json.dumps(ls_export()[0])
    path = write(tmp_path / "export.json", f"[{first},\n{element}]")
    with pytest.raises(LabelError) as info:
        read_label_studio(path, schema)
    assert str(info.value) == f"{path}:2: {message}"
