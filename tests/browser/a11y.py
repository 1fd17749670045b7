"""Checks every browser test may run on a page: it fits its viewport, and axe-core finds no
serious or critical accessibility violation.

axe-core is vendored (tests/browser/vendor/, see the README there) and injected with
Playwright's add_script_tag, which the portal's Content-Security-Policy (script-src 'self')
refuses unless the browser context was made with bypass_csp=True."""

from pathlib import Path

AXE_JS = Path(__file__).parent / "vendor" / "axe.min.js"
SERIOUS = ("serious", "critical")

# The elements that stick out of the viewport, deepest first, to name the culprit in a failure.
_OVERFLOWING = """(width) => [...document.querySelectorAll('body *')]
  .filter(e => e.getBoundingClientRect().right > width + 1
       && e.parentElement.getBoundingClientRect().right <= width + 1)
  .slice(0, 5)
  .map(e => `${e.tagName.toLowerCase()}.${[...e.classList].join('.')}`
    + ` (right edge at ${Math.round(e.getBoundingClientRect().right)} px)`)"""


def assert_fits_viewport(page, label=""):
    """No horizontal scroll of the page: wide content scrolls inside its own container."""
    width = page.viewport_size["width"]
    scroll_width = page.evaluate("document.documentElement.scrollWidth")
    if scroll_width > width:
        culprits = page.evaluate(_OVERFLOWING, width)
        raise AssertionError(
            f"{label or page.url} is {scroll_width} px wide at a {width} px viewport: {culprits}"
        )


def axe_violations(page, impacts=SERIOUS):
    """axe-core's violations on the current page with one of `impacts`, as plain dicts."""
    if not page.evaluate("typeof window.axe === 'object'"):
        page.add_script_tag(path=str(AXE_JS))
    return page.evaluate(
        """async (impacts) => {
          const result = await axe.run(document, {resultTypes: ['violations']});
          return result.violations.filter(v => impacts.includes(v.impact)).map(v => ({
            id: v.id, impact: v.impact, help: v.help,
            nodes: v.nodes.slice(0, 4).map(n => n.target.join(' ')),
          }));
        }""",
        list(impacts),
    )


def assert_no_serious_axe_violations(page, label=""):
    """Fails naming each serious or critical axe-core rule broken and the elements breaking it."""
    violations = axe_violations(page)
    if violations:
        lines = [f"{v['impact']} {v['id']} ({v['help']}): {v['nodes']}" for v in violations]
        raise AssertionError(f"{label or page.url}:\n  " + "\n  ".join(lines))
