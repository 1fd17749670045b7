from http import HTTPStatus


def test_schema_and_docs_are_public_and_local(client, db):
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/json")
    assert schema.status_code == HTTPStatus.OK
    assert "/api/v1/patients" in schema.json()["paths"]
    docs = client.get("/api/docs/")
    assert docs.status_code == HTTPStatus.OK
    html = docs.content.decode()
    assert "/static/drf_spectacular_sidecar/" in html
    assert "cdn" not in html.lower()
    assert "<script>" not in html  # CSP: script-src 'self' — the split view loads a file
