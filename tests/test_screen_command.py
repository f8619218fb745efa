"""`manage.py screen FILE|-`: the screening contract of PRODUCT.md §4. No database."""

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command

from screening.engine.questionnaire import VERSION as QUESTIONNAIRE_VERSION
from screening.engine.rules import RULESET_VERSION, Thresholds

REPO = Path(__file__).resolve().parent.parent
VIGNETTE_FILE = Path(__file__).parent / "data" / "vignettes-public.json"
VIGNETTES = json.loads(VIGNETTE_FILE.read_text())


def run_screen(source, stdin_text=None):
    """Run the command in-process; returns (exit status, stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    options = {"stdout": out, "stderr": err}
    if stdin_text is not None:
        options["stdin"] = io.StringIO(stdin_text)
    try:
        call_command("screen", str(source), **options)
        status = 0
    except SystemExit as exit_:
        status = exit_.code
    return status, out.getvalue(), err.getvalue()


def screen_text(text):
    return run_screen("-", stdin_text=text)


def flag_items(result):
    return [flag["item"] for flag in result["flags"] if flag["level"] in ("absolute", "relative")]


@pytest.fixture(scope="module")
def vignette_results():
    status, out, err = run_screen(VIGNETTE_FILE)
    assert (status, err) == (0, "")
    return json.loads(out)


@pytest.mark.parametrize("index", range(len(VIGNETTES)), ids=[v["id"] for v in VIGNETTES])
def test_every_public_vignette_gives_its_expected_outcome_and_flags(vignette_results, index):
    # Arrange
    vignette = VIGNETTES[index]

    # Act
    result = vignette_results[index]

    # Assert
    assert result["id"] == vignette["id"]
    assert result["outcome"] == vignette["expected_outcome"]
    assert flag_items(result) == vignette["expected_flags"]


def test_a_list_gives_a_list_with_versions_and_thresholds(vignette_results):
    assert len(vignette_results) == len(VIGNETTES)
    for result in vignette_results:
        assert result["ruleset_version"] == RULESET_VERSION
        assert result["questionnaire_version"] == QUESTIONNAIRE_VERSION
        assert result["thresholds"] == Thresholds().as_dict()


def test_flags_carry_level_message_sources_code_modification_and_note(vignette_results):
    v05 = next(r for r in vignette_results if r["id"] == "V05")

    assert v05["flags"] == [
        {
            "item": "blood_thinner_use",
            "level": "absolute",
            "code": "DN-BLEED-INR",
            "message": "warfarin with INR 3.1 (> 3.0)",
            "sources": ["R11", "C3a", "C3b", "C3c"],
            "modification": "Defer until the INR is back in range.",
            "note": "",
        }
    ]


def test_info_findings_are_listed_with_level_info(vignette_results):
    v25 = next(r for r in vignette_results if r["id"] == "V25")

    assert [(f["item"], f["level"]) for f in v25["flags"]] == [
        ("lymphoedema", "absolute"),
        ("lymph_nodes_removed", "absolute"),
        ("cancer", "info"),
    ]


def test_a_single_object_on_stdin_gives_a_single_object():
    # Arrange
    case = {
        "answers": {
            "blood_thinner_use": {
                "answer": True,
                "agents": ["warfarin"],
                "latest_inr": 3.4,
                "inr_days_ago": 2,
            }
        },
        "planned_techniques": ["manual_static"],
        "planned_regions": ["lumbar"],
    }

    # Act
    status, out, err = screen_text(json.dumps(case))

    # Assert
    result = json.loads(out)
    assert (status, err) == (0, "")
    assert result["outcome"] == "contraindicated"
    assert "id" not in result


def test_no_plan_keys_means_pending_plan():
    status, out, _ = screen_text(json.dumps({"answers": {"lymphoedema": {"answer": True}}}))

    [flag] = json.loads(out)["flags"]
    assert status == 0
    assert (flag["level"], flag["note"]) == ("absolute", "pending plan")


def test_unknown_follow_up_keys_and_extra_case_keys_are_ignored():
    case = {
        "id": "X",
        "description": "free text",
        "expected_outcome": "clear",
        "answers": {"frailty": {"answer": False, "walking_aid": "stick"}},
        "planned_techniques": [],
        "planned_regions": [],
    }

    status, out, err = screen_text(json.dumps(case))

    assert (status, err) == (0, "")
    assert json.loads(out)["outcome"] == "clear"


def test_an_empty_list_gives_an_empty_list():
    assert screen_text("[]") == (0, "[]\n", "")


GOOD = {"answers": {}, "planned_techniques": ["manual_static"], "planned_regions": ["lumbar"]}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            json.dumps(
                [
                    GOOD,
                    {
                        "id": "V05",
                        "answers": {
                            "blood_thinner_use": {
                                "answer": True,
                                "agents": ["warfarin"],
                                "latest_inr": 30,
                            }
                        },
                    },
                ]
            ),
            "screen: case 2 (V05): answers.blood_thinner_use.latest_inr: expected a number "
            "between 0.5 and 10",
        ),
        (
            json.dumps({"answers": {"bleding_disorder": {"answer": True}}}),
            "screen: case 1: answers.bleding_disorder: unknown item id",
        ),
        (
            json.dumps([GOOD, GOOD, {"id": 7, **GOOD, "planned_regions": ["lumbar", "back"]}]),
            "screen: case 3 (7): planned_regions[1]: unknown region 'back'",
        ),
        (
            json.dumps({**GOOD, "planned_techniques": ["laser"]}),
            "screen: case 1: planned_techniques[0]: unknown technique 'laser'",
        ),
        (
            json.dumps({"answers": {"pregnancy": {"answer": "perhaps"}}}),
            "screen: case 1: answers.pregnancy.answer: expected one of yes, no, unsure, "
            "not_applicable",
        ),
        (
            json.dumps({"answers": {"cancer": {"answer": "yes"}}}),
            "screen: case 1: answers.cancer.answer: expected true or false",
        ),
        (
            json.dumps({"answers": {"cancer": {"answer": True, "tumour_regions": ["lung"]}}}),
            "screen: case 1: answers.cancer.tumour_regions[0]: unknown region 'lung'",
        ),
        (
            json.dumps([GOOD, "V02"]),
            "screen: case 2: expected a case object",
        ),
        (
            '{"answers": {',
            "screen: invalid JSON: Expecting property name enclosed in double "
            "quotes: line 1 column 14 (char 13)",
        ),
        ("42", "screen: case 1: expected a case object"),
    ],
    ids=[
        "bad-number-in-second-case",
        "unknown-item",
        "unknown-plan-region",
        "unknown-technique",
        "bad-enumeration",
        "answer-not-boolean",
        "unknown-site-region",
        "case-not-an-object",
        "invalid-json",
        "json-not-a-case",
    ],
)
def test_bad_input_prints_one_line_and_exits_2_with_nothing_on_stdout(text, expected):
    status, out, err = screen_text(text)

    assert status == 2
    assert out == ""
    assert err == expected + "\n"


def test_a_missing_file_is_one_line_and_exit_2(tmp_path):
    missing = tmp_path / "nope.json"

    status, out, err = run_screen(missing)

    assert (status, out) == (2, "")
    assert err == f"screen: cannot read {missing}: No such file or directory\n"


def test_manage_py_screen_reads_stdin_and_reports_bad_input_on_stderr():
    # Arrange
    good = json.dumps(VIGNETTES[:2])
    bad = json.dumps({"id": "B1", "answers": {"pregnancy": {"answer": "yes", "weeks": 60}}})
    command = [sys.executable, "manage.py", "screen", "-"]

    # Act
    ok = subprocess.run(command, input=good, capture_output=True, text=True, cwd=REPO, check=False)
    failed = subprocess.run(
        command, input=bad, capture_output=True, text=True, cwd=REPO, check=False
    )

    # Assert
    assert ok.returncode == 0, ok.stderr
    assert [r["id"] for r in json.loads(ok.stdout)] == ["V01", "V03"]
    assert failed.returncode == 2
    assert failed.stdout == ""
    assert failed.stderr.strip().splitlines() == [
        "screen: case 1 (B1): answers.pregnancy.weeks: expected a number between 1 and 42"
    ]
