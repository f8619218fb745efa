"""The body map (templates/screening/widgets/body_map.html): every region drawn, each on the
right view and the right side of the figure, no inline styles, and selections drawn."""

import re
import xml.etree.ElementTree as ET

import pytest
from django.template.loader import render_to_string

from screening.engine import regions
from screening.forms import RegionsWidget, body_map_regions

SVG = "{http://www.w3.org/2000/svg}"
FRONT_ONLY = {"chest_wall_left", "chest_wall_right", "abdomen", "neck_anterior_lateral"}
BACK_ONLY = {"upper_back_thoracic", "lumbar", "sacral_pelvic", "neck_posterior"}
BOTH_VIEWS = {
    f"{part}_{side}"
    for part in ("shoulder_girdle", "arm_elbow", "forearm_hand", "hip_gluteal", "thigh")
    + ("knee", "leg_foot")
    for side in ("left", "right")
} | {"head_face"}


def render(value=(), name="site"):
    return RegionsWidget().render(name, list(value))


def svg_root(html: str) -> ET.Element:
    match = re.search(r"<svg\b.*?</svg>", html, re.S)
    assert match, "no SVG in the widget"
    return ET.fromstring(match.group(0))  # noqa: S314 (our own template, not untrusted input)


def _translation(group: ET.Element) -> tuple[float, float]:
    transform = group.get("transform", "")
    if not transform:
        return 0.0, 0.0
    match = re.fullmatch(r"translate\((-?[\d.]+)[ ,]+(-?[\d.]+)\)", transform)
    assert match, f"only translations are understood here, not {transform!r}"
    return float(match.group(1)), float(match.group(2))


def points(shape: ET.Element, dx: float, dy: float) -> list[tuple[float, float]]:
    """The shape's outline points (path vertices and control points) in SVG coordinates."""
    tag = shape.tag.removeprefix(SVG)
    if tag == "path":
        d = shape.get("d")
        # Absolute moves, lines and cubic curves only: every number pair is then a point.
        assert re.fullmatch(r"(\s*[MLCZ]\s*(-?[\d.]+,-?[\d.]+\s*)*)+", d), d
        pairs = re.findall(r"(-?[\d.]+),(-?[\d.]+)", d)
        return [(float(x) + dx, float(y) + dy) for x, y in pairs]
    if tag == "ellipse":
        cx, cy = float(shape.get("cx")) + dx, float(shape.get("cy")) + dy
        rx, ry = float(shape.get("rx")), float(shape.get("ry"))
        return [(cx - rx, cy - ry), (cx + rx, cy + ry)]
    if tag == "rect":
        x, y = float(shape.get("x")) + dx, float(shape.get("y")) + dy
        return [(x, y), (x + float(shape.get("width")), y + float(shape.get("height")))]
    raise AssertionError(f"unexpected shape <{tag}>")


class Box:
    def __init__(self, pts):
        xs, ys = [p[0] for p in pts], [p[1] for p in pts]
        self.left, self.right, self.top, self.bottom = min(xs), max(xs), min(ys), max(ys)

    @property
    def cx(self) -> float:
        return (self.left + self.right) / 2


def views(html: str) -> dict[str, dict]:
    """Per view ("front", "back"): its region shapes' boxes, its side labels and its centre."""
    found = {}
    for group in svg_root(html).iter(f"{SVG}g"):
        view = group.get("data-view")
        if not view:
            continue
        dx, dy = _translation(group)
        shapes = [el for el in group.iter() if el.get("data-region")]
        boxes = [(el.get("data-region"), Box(points(el, dx, dy)), el) for el in shapes]
        figure = Box([p for _, box, _ in boxes for p in ((box.left, 0), (box.right, 0))])
        labels = {
            text.get("data-side"): (float(text.get("x")) + dx, "".join(text.itertext()))
            for text in group.iter(f"{SVG}text")
            if text.get("data-side")
        }
        found[view] = {"shapes": boxes, "figure": figure, "labels": labels}
    return found


def test_every_region_has_a_shape_and_no_unknown_ids_are_drawn():
    html = render()
    drawn = {el.get("data-region") for el in svg_root(html).iter() if el.get("data-region")}

    assert drawn == set(regions.REGIONS)


def test_each_region_is_drawn_on_the_views_it_is_seen_from():
    found = views(render())
    front = {region for region, _, _ in found["front"]["shapes"]}
    back = {region for region, _, _ in found["back"]["shapes"]}

    assert set(found) == {"front", "back"}
    assert front >= FRONT_ONLY and not FRONT_ONLY & back
    assert back >= BACK_ONLY and not BACK_ONLY & front
    assert front >= BOTH_VIEWS and back >= BOTH_VIEWS
    assert front | back == set(regions.REGIONS)


def test_shapes_are_clickable_targets_with_the_region_label_as_title():
    for view in views(render()).values():
        for region, box, shape in view["shapes"]:
            assert "bm-region" in shape.get("class").split()
            title = shape.find(f"{SVG}title")
            assert title is not None and title.text == regions.label(region)
            # Big enough to tap on a 360 px phone (the SVG is drawn at about 0.9 px per unit).
            assert box.right - box.left >= 20 and box.bottom - box.top >= 20, region


def test_the_figures_are_symmetric_side_by_side_and_inside_the_view_box():
    html = render()
    found = views(html)
    front, back = found["front"]["figure"], found["back"]["figure"]
    x, y, width, height = (float(n) for n in svg_root(html).get("viewBox").split())

    assert front.right < back.left
    assert x <= front.left and back.right <= x + width
    for view in found.values():
        head = next(box for region, box, _ in view["shapes"] if region == "head_face")
        assert abs(head.cx - view["figure"].cx) < 1
        assert all(box.bottom <= y + height for _, box, _ in view["shapes"])


@pytest.mark.parametrize("view, right_is_on_viewers", [("front", "left"), ("back", "right")])
def test_left_and_right_are_the_patients_own(view, right_is_on_viewers):
    """Front: the patient's right is on the viewer's left. Back: on the viewer's right."""
    found = views(render())[view]
    centre = found["figure"].cx

    def on_viewers_left(x: float) -> bool:
        return x < centre

    right_x, right_text = found["labels"]["right"]
    left_x, left_text = found["labels"]["left"]
    assert (right_text, left_text) == ("Your right", "Your left")
    assert on_viewers_left(right_x) == (right_is_on_viewers == "left")
    assert on_viewers_left(left_x) == (right_is_on_viewers == "right")

    sided = [
        (region, box) for region, box, _ in found["shapes"] if region.endswith(("_left", "_right"))
    ]
    assert len(sided) >= 14
    for region, box in sided:
        patient_right = region.endswith("_right")
        # The whole shape lies on one side of the centre line.
        viewers_left = box.right <= centre + 0.5
        viewers_right = box.left >= centre - 0.5
        assert viewers_left or viewers_right, region
        assert viewers_left == (patient_right == (right_is_on_viewers == "left")), region


def test_the_widget_has_no_inline_style_or_script():
    html = render(["knee_left", "upper_quadrant_right"])

    assert "style=" not in html
    assert "<style" not in html and "<script" not in html
    assert re.search(r"\son\w+=", html) is None


def test_the_map_is_hidden_until_the_script_shows_it_and_hidden_from_screen_readers():
    html = render(name="pain__sites")

    div = re.search(r'<div class="body-map"[^>]*>', html).group(0)
    assert 'data-body-map="pain__sites"' in div and " hidden" in div
    svg = re.search(r"<svg[^>]*>", html).group(0)
    assert 'aria-hidden="true"' in svg
    assert "tabindex" not in html.split("</svg>")[0]
    assert "Tap the areas on the body. Tap again to take one off." in html
    # The check boxes stay, under the map.
    assert html.index("</svg>") < html.index('type="checkbox"')


def test_ticked_regions_and_alias_members_are_drawn_selected():
    html = render(["forearm_hand_right", "upper_limb_left", "not_a_region"])
    selected = {
        (view, region)
        for view, data in views(html).items()
        for region, _, shape in data["shapes"]
        if "is-selected" in shape.get("class").split()
    }

    expected = {"forearm_hand_right", "arm_elbow_left", "forearm_hand_left"}
    assert selected == {(view, region) for view in ("front", "back") for region in expected}
    assert "is-selected" not in render()


def test_alias_check_boxes_carry_their_expanded_members():
    html = render()
    members = dict(re.findall(r'value="(\w+)" id="[^"]*" data-members="([^"]*)"', html))

    assert set(members) == set(regions.ALIASES)
    for alias, listed in members.items():
        assert set(listed.split()) == regions.ALIAS_MEMBERS[alias]
    assert set(members["upper_quadrant_right"].split()) >= {"arm_elbow_right", "forearm_hand_right"}


def test_readonly_map_shows_without_script_and_takes_extra_classes():
    html = render_to_string(
        "screening/widgets/body_map.html",
        {
            "widget": {
                "name": "",
                "body_map": body_map_regions(["knee_left"], {"lumbar": "bm-level-relative"}),
            },
            "readonly": True,
        },
    )

    div = re.search(r'<div class="body-map[^"]*"[^>]*>', html).group(0)
    assert "hidden" not in div and "data-body-map" not in div
    assert "Tap the areas" not in html
    classes = {
        el.get("data-region"): el.get("class").split()
        for el in svg_root(html).iter()
        if el.get("data-region")
    }
    assert "is-selected" in classes["knee_left"] and "is-selected" not in classes["knee_right"]
    assert classes["lumbar"] == ["bm-region", "bm-level-relative"]
