"""axe-core in the browser tests: inject the vendored script and require 0 WCAG 2.2 AA
violations on the page as it is now."""

from pathlib import Path

AXE = Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js"
WCAG_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22a", "wcag22aa"]


def violations(page) -> list[dict]:
    """axe's violations on the current page (rule id, impact, and the first few targets)."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        # Evaluated through the DevTools protocol, so the page's CSP does not block it.
        page.evaluate(AXE.read_text(encoding="utf-8"))
    result = page.evaluate(
        "async (tags) => await axe.run(document, {runOnly: {type: 'tag', values: tags}})",
        WCAG_AA,
    )
    return [
        {
            "id": v["id"],
            "impact": v["impact"],
            "targets": [node["target"] for node in v["nodes"][:3]],
        }
        for v in result["violations"]
    ]


def assert_no_violations(page, label: str = "") -> None:
    found = violations(page)
    assert found == [], f"axe-core violations on {label or page.url}: {found}"
