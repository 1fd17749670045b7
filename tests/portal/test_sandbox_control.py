"""The sandbox's fault and reset endpoints answer only with SANDBOX_CONTROL (demo and tests)."""

from http import HTTPStatus

from portal.sandbox.state import FAULTS


def test_control_endpoints_are_404_without_sandbox_control(client, settings, sandbox):
    settings.SANDBOX_CONTROL = False
    body = {"vendor": "impilo", "mode": "error", "count": 2}
    response = client.post("/sandbox/_faults", body, content_type="application/json")
    assert response.status_code == HTTPStatus.NOT_FOUND
    assert FAULTS.pending("impilo") == 0
    assert client.post("/sandbox/_reset").status_code == HTTPStatus.NOT_FOUND
    assert client.delete("/sandbox/_faults").status_code == HTTPStatus.NOT_FOUND


def test_control_endpoints_answer_with_sandbox_control(client, settings, sandbox):
    settings.SANDBOX_CONTROL = True
    body = {"vendor": "impilo", "mode": "error", "count": 2}
    response = client.post("/sandbox/_faults", body, content_type="application/json")
    assert (response.status_code, response.json()["pending"]) == (HTTPStatus.CREATED, 2)
    assert client.delete("/sandbox/_faults").status_code == HTTPStatus.OK
    assert FAULTS.pending("impilo") == 0
