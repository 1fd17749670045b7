"""Solo's CSV data dump is rewritten through the portal's CSV helper before staff download it:
a cell Solo holds (a waiting room's name) cannot run as a spreadsheet formula."""

import csv
import datetime as dt
import io

import pytest
from django.urls import reverse

from portal.sandbox.state import STORE

pytestmark = pytest.mark.django_db  # the sandbox answers in process (no live server)


def test_solos_csv_dump_is_neutralised_before_staff_download_it(client, bob, solo_account):
    first = min(STORE.all("solo", "appointments"), key=lambda a: a["date"])
    first["waitingRoom"] = '=HYPERLINK("http://evil")'
    day = dt.datetime.fromtimestamp(first["date"], dt.UTC).date()
    client.force_login(bob)
    response = client.post(
        reverse("appointments:reports"),
        {
            "kind": "csv",
            "csv-start": str(day - dt.timedelta(days=1)),
            "csv-end": str(day + dt.timedelta(days=1)),
        },
    )
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert '\'=HYPERLINK("http://evil")' in [r["waitingRoom"] for r in rows]
