"""Validic Inform sandbox: the organization's measurement records (seed 004 format), filled
with a month of Smart Meter pulse-oximeter and glucometer data for the demo cast.

Conventions beyond the seed: `GET /v2/organizations/{org_id}/measurements?token=&cursor=&limit=`
answers `{"summary": {"results", "next_cursor", "has_more"}, "data": [records]}`, oldest
first; errors are `{"code": <status>, "message": "..."}`; a wrong token is 401, another
organization 404.

The stream holds versions, as Validic's does: a record's first version is stored under its id
and placed by its `created_at`; a later version of it (a correction with a new checksum, a
deletion with `deleted_at`) is stored under `<written at>~<id>~<n>` and placed by that key, so
it comes after the first in the stream (world_readings.validic_later_versions).
"""

from django.http import JsonResponse
from django.urls import path

from portal.sandbox import world
from portal.sandbox.framework import sandbox_view
from portal.sandbox.state import STORE, seeder
from portal.sandbox.world_readings import validic_later_versions, validic_records

VENDOR = "validic"
MAX_PAGE = 1000


def error_body(status: int, message: str) -> dict:
    return {"code": status, "message": message}


def error(status: int, message: str) -> JsonResponse:
    return JsonResponse(error_body(status, message), status=status)


@seeder
def seed_measurements(store):
    for record in validic_records():
        store.put(VENDOR, "measurements", record["id"], record)
    for n, (written_at, record) in enumerate(validic_later_versions()):
        store.put(VENDOR, "measurements", later_version_key(written_at, record["id"], n), record)


def later_version_key(written_at: str, record_id: str, n: int = 0) -> str:
    """The key (and stream position) of a version Validic wrote at `written_at`."""
    return f"{written_at}~{record_id}~{n:06d}"


def _cursor_of(key, record) -> str:
    if isinstance(key, str) and key.count("~") == 2:  # a later version: placed when written
        return key
    return f"{record['created_at']}~{record['id']}"


def _placed(store) -> list[tuple[str, dict]]:
    with store.lock:
        entries = list(store.collection(VENDOR, "measurements").items())
    return sorted(((_cursor_of(k, r), r) for k, r in entries), key=lambda placed: placed[0])


def stream(store) -> list[dict]:
    """Every version in the stream, in the order Validic serves them."""
    return [record for _, record in _placed(store)]


@sandbox_view(VENDOR, methods=("GET",), error_body=error_body)
def measurements(request, org_id: str):
    if request.GET.get("token") != world.VALIDIC_TOKEN:
        return error(401, "Unauthorized: invalid token")
    if org_id != world.VALIDIC_ORG_ID:
        return error(404, "Organization not found")
    try:
        limit = int(request.GET.get("limit", 500))
    except ValueError:
        return error(400, "limit must be an integer")
    if not 1 <= limit <= MAX_PAGE:
        return error(400, f"limit must be between 1 and {MAX_PAGE}")
    cursor = request.GET.get("cursor", "")
    placed = _placed(STORE)
    if cursor:
        placed = [(at, r) for at, r in placed if at > cursor]
    page = placed[:limit]
    return JsonResponse(
        {
            "summary": {
                "results": len(placed),
                "next_cursor": page[-1][0] if page else cursor,
                "has_more": len(placed) > limit,
            },
            "data": [record for _, record in page],
        }
    )


urlpatterns = [
    path(
        "v2/organizations/<str:org_id>/measurements",
        measurements,
        name="validic-measurements",
    ),
]
