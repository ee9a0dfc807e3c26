"""What every browser test that checks accessibility shares: axe-core (vendored, a test asset,
never a CDN), the WCAG 2.1 A/AA tags it runs, the two widths, and one way to ask axe."""

from pathlib import Path

AXE_SCRIPT = Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js"
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
DESKTOP = {"width": 1366, "height": 900}
PHONE = {"width": 390, "height": 844}


def settle(page):
    """Two animation frames: a resize's layout and the scripts' resize handlers have run."""
    page.evaluate("() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")


def violations(page) -> list[str]:
    """Axe's WCAG 2.1 A/AA violations on the page once a resize has settled, as readable lines."""
    settle(page)
    result = page.evaluate(
        """tags => axe.run(document, {
            runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']})""",
        WCAG_TAGS,
    )
    return [
        f"{violation['id']} ({violation['impact']}) at {' '.join(node['target'])}: "
        + " ".join(node.get("failureSummary", "").split())[:220]
        for violation in result["violations"]
        for node in violation["nodes"]
    ]


def axe(page, where, found):
    """Run axe on the page as it is now; add its violations to `found`, each naming the page."""
    found.extend(f"{where}: {line}" for line in violations(page))
