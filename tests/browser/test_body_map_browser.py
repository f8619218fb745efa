"""The body map's script (static/screening/js/app.js, "Body map") in a real browser: taps tick
and untick the check boxes, and a tap on part of a ticked "whole arm" splits the alias."""

from pathlib import Path

import pytest

from screening.forms import RegionsWidget
from tests.browser.axe import assert_no_violations

pytestmark = pytest.mark.browser

STATIC = Path(__file__).resolve().parents[2] / "static"
PHONE = (360, 740)


@pytest.fixture
def page(page_factory, tmp_path):
    html = tmp_path / "map.html"
    html.write_text(
        f"""<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="stylesheet" href="{(STATIC / "vendor/bootstrap/bootstrap.min.css").as_uri()}">
<link rel="stylesheet" href="{(STATIC / "screening/css/app.css").as_uri()}">
<script src="{(STATIC / "screening/js/app.js").as_uri()}"></script><title>Map</title></head>
<body class="patient"><main class="container"><form class="wizard-step">
{RegionsWidget().render("sites", ["forearm_hand_right"])}
</form></main></body></html>""",
        encoding="utf-8",
    )
    page = page_factory(*PHONE)
    page.goto(html.as_uri())
    page.evaluate(
        "() => { window.changes = 0;"
        " document.querySelector('form').addEventListener('change', () => window.changes++); }"
    )
    return page


def open_list(page):
    """Unfold the list of areas (folded while the map is on screen)."""
    page.locator("[data-region-list] > summary").click()


def shape(page, view, region):
    return page.locator(f'[data-view="{view}"] [data-region="{region}"]')


def ticked(page) -> set[str]:
    return set(page.eval_on_selector_all("input:checked", "els => els.map(e => e.value)"))


def drawn(page) -> set[tuple[str, str]]:
    pairs = page.eval_on_selector_all(
        ".is-selected",
        "els => els.map(e => [e.closest('[data-view]').dataset.view, e.dataset.region])",
    )
    return {tuple(pair) for pair in pairs}


def test_the_map_shows_and_a_tap_ticks_and_unticks_the_region(page):
    assert page.locator(".body-map").is_visible()
    assert page.locator(".body-map-svg").bounding_box()["width"] <= PHONE[0]
    assert drawn(page) == {("front", "forearm_hand_right"), ("back", "forearm_hand_right")}
    # With the map on screen the list folds away; one tap on its summary opens it.
    assert page.locator('input[value="knee_left"]').is_hidden()
    assert_no_violations(page, "body map")

    shape(page, "front", "knee_left").click()
    assert ticked(page) == {"forearm_hand_right", "knee_left"}
    assert page.evaluate("window.changes") == 1
    assert ("back", "knee_left") in drawn(page)

    shape(page, "back", "knee_left").click()
    assert ticked(page) == {"forearm_hand_right"}
    assert page.evaluate("window.changes") == 2


def test_ticking_in_the_list_updates_the_map(page):
    open_list(page)
    page.locator('input[value="lumbar"]').check()

    assert ("back", "lumbar") in drawn(page)


def test_a_tap_on_part_of_a_ticked_whole_arm_unticks_the_alias_and_keeps_the_rest(page):
    shape(page, "front", "forearm_hand_right").click()  # untick the forearm first
    open_list(page)
    page.locator('input[value="upper_limb_right"]').check()
    assert drawn(page) == {
        (view, region)
        for view in ("front", "back")
        for region in ("arm_elbow_right", "forearm_hand_right")
    }

    shape(page, "front", "forearm_hand_right").click()

    assert ticked(page) == {"arm_elbow_right"}
    assert drawn(page) == {("front", "arm_elbow_right"), ("back", "arm_elbow_right")}


def test_a_tap_inside_the_upper_quadrant_ticks_its_other_regions(page):
    open_list(page)
    page.locator('input[value="upper_quadrant_left"]').check()

    shape(page, "back", "shoulder_girdle_left").click()

    assert ticked(page) == {
        "forearm_hand_right",
        "chest_wall_left",
        "arm_elbow_left",
        "forearm_hand_left",
    }
