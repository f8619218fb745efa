"""static/screening/css/patient.css: generated from the patient pages, and kept up to date."""

import logging
import re

import pytest

from tools import build_patient_css, patient_walk

OUT_OF_DATE = "static/screening/css/patient.css is out of date: run `make patient-css`"


def _committed() -> str:
    return build_patient_css.OUTPUT.read_text(encoding="utf-8")


def _first_difference(expected: str, actual: str) -> str:
    for number, (want, have) in enumerate(
        zip(expected.splitlines(), actual.splitlines(), strict=False), 1
    ):
        if want != have:
            return f"line {number}: expected {want[:120]!r}, found {have[:120]!r}"
    return f"expected {len(expected.splitlines())} lines, found {len(actual.splitlines())}"


@pytest.mark.django_db
def test_patient_css_is_what_the_tool_makes_from_the_pages_now(client, caplog):
    caplog.set_level(logging.ERROR, logger="django.request")  # the walk's 400s are on purpose
    pages = patient_walk.all_patient_pages(client)

    expected = build_patient_css.build(page.html for page in pages)

    actual = _committed()
    if actual != expected:
        pytest.fail(f"{OUT_OF_DATE}\n{_first_difference(expected, actual)}", pytrace=False)


def _has_rule_for(css: str, class_name: str) -> bool:
    """A rule whose selector list names this class (not a longer one: .btn is not .btn-lg)."""
    return re.search(rf"(?:^|[,\s>+~(])\.{re.escape(class_name)}(?![\w-])[^{{]*\{{", css, re.M)


@pytest.mark.parametrize(
    "class_name", ["btn-primary", "form-check-input", "alert-danger", "visually-hidden"]
)
def test_patient_css_keeps_the_rules_of_classes_the_pages_use(class_name):
    assert _has_rule_for(_committed(), class_name)


@pytest.mark.parametrize(
    "unused", [".navbar-toggler", ".carousel", ".modal", ".dropdown-menu", ".accordion"]
)
def test_patient_css_drops_the_rules_of_components_the_pages_do_not_use(unused):
    assert unused not in _committed()


def test_patient_css_starts_with_the_generated_file_header_and_keeps_the_licence():
    css = _committed()

    assert css.startswith(build_patient_css.HEADER)
    assert "Licensed under MIT" in css
    assert css.endswith(build_patient_css.APP_CSS.read_text(encoding="utf-8"))


SAMPLE_CSS = """/*! licence */
:root,[data-bs-theme=light]{--x:1}
[data-bs-theme=dark]{--x:2}
*,::after{box-sizing:border-box}
.used,.unused{color:red}
.unused .used{color:blue}
:not(.unused)+.used:active{color:green}
@media (min-width:576px){.unused{margin:0}}
@media (min-width:576px){.used{margin:0}.unused{padding:0}}
.spin{animation:1s spin}
@keyframes spin{to{transform:rotate(1turn)}}
.pulse-user{animation-name:pulse}
@keyframes pulse{to{opacity:0}}
"""


def test_purge_keeps_selectors_that_can_match_and_drops_the_rest():
    vocabulary = build_patient_css.Vocabulary(classes={"used", "pulse-user"})

    css = build_patient_css.purge(SAMPLE_CSS, vocabulary)

    assert css.splitlines() == [
        "/*! licence */",
        ":root{--x:1}",
        "*,::after{box-sizing:border-box}",
        ".used{color:red}",
        ":not(.unused)+.used:active{color:green}",
        "@media (min-width:576px){.used{margin:0}}",
        ".pulse-user{animation-name:pulse}",
        "@keyframes pulse{to{opacity:0}}",
    ]


def test_classes_that_scripts_set_count_as_used():
    script = 'el.classList.toggle("is-selected", on); box.className = "a b";'

    assert build_patient_css.script_classes([script]) == {"is-selected", "a", "b"}
