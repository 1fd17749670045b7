"""A nurse moves around a patient's chart with the browser's Back button: the chart is drawn
again every time, and no page breaks the Content Security Policy on the way (htmx's history
snapshot once carried uPlot's inline styles back into the page, and the chart stayed blank)."""

import re

from playwright.sync_api import expect

from tests.factories import demo_month_for

# True when the chart's canvas has at least one painted pixel (a restored snapshot keeps the
# <canvas> element but never its pixels).
CHART_DRAWN = """() => {
  const canvas = document.querySelector('.chart canvas');
  if (!canvas || !canvas.width) return false;
  const data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
  for (let i = 3; i < data.length; i += 4) { if (data[i]) return true; }
  return false;
}"""


def test_chart_is_drawn_after_back_and_no_csp_violation(
    signed_in_page, live_server, alice, org, screenshot_dir
):
    patient = demo_month_for(org, 0, first_name="Maria", last_name="Garcia")
    page = signed_in_page(alice)
    console = []
    page.on("console", lambda message: console.append(message.text))

    page.goto(f"{live_server.url}/patients/{patient.pk}/")
    expect(page.get_by_role("region", name="Readings").locator("canvas")).to_have_count(1)
    page.wait_for_function(CHART_DRAWN)

    page.get_by_role("link", name="Open full chart").click()
    expect(page.get_by_role("heading", name="Blood pressure (mmHg)")).to_be_visible()
    page.wait_for_function(CHART_DRAWN)

    # Another metric through htmx (the URL is pushed), then Back: htmx restores its snapshot.
    page.get_by_role("navigation", name="Metric").get_by_role("link", name="Weight").click()
    expect(page.get_by_role("heading", name="Weight (lb)")).to_be_visible()
    page.wait_for_function(CHART_DRAWN)
    page.go_back()
    expect(page.get_by_role("heading", name="Blood pressure (mmHg)")).to_be_visible()
    expect(page.locator(".chart canvas")).to_have_count(1)
    page.wait_for_function(CHART_DRAWN)

    # Away to another page and Back again.
    page.get_by_role("link", name="Table").click()
    expect(page).to_have_url(re.compile(r"/table"))
    page.go_back()
    expect(page.get_by_role("heading", name="Blood pressure (mmHg)")).to_be_visible()
    expect(page.locator(".chart canvas")).to_have_count(1)
    page.wait_for_function(CHART_DRAWN)

    # Back to the patient page: its mini chart too.
    page.go_back()
    expect(page.get_by_role("region", name="Readings").locator("canvas")).to_have_count(1)
    page.wait_for_function(CHART_DRAWN)
    page.screenshot(path=f"{screenshot_dir}/chart-after-back.png", full_page=True)

    violations = [text for text in console if "Content Security Policy" in text]
    assert violations == []
