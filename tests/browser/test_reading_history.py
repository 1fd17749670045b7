"""A nurse opens a patient's readings table and the history of a reading Validic corrected."""

from playwright.sync_api import expect

from readings.bulk import validic_records_bulk_ingest
from tests.readings.test_record_versions import version


def test_nurse_opens_the_history_of_a_corrected_reading(
    signed_in_page, live_server, alice, org, patient, screenshot_dir
):
    patient.validic_user_id = version("c1")["user"]["user_id"]
    patient.save()
    for name in ("c1", "c2", "c3"):
        validic_records_bulk_ingest(organization=org, records=[version(name)], check_device=False)
    page = signed_in_page(alice)
    page.goto(f"{live_server.url}/readings/patients/{patient.pk}/table/?metric=spo2&range=7d")
    history = page.locator("details.reading-history")
    expect(history).to_have_count(1)
    history.get_by_text("history (2)").click()
    expect(history.get_by_role("listitem").first).to_contain_text("99 % in version c1")
    expect(history.get_by_role("listitem").nth(1)).to_contain_text("corrected by the vendor")
    page.screenshot(path=f"{screenshot_dir}/readings-table-history.png", full_page=True)
