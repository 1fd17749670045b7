"""Validic Inform sandbox: the organization's measurement records (seed 004 format), filled
with a month of Smart Meter pulse-oximeter and glucometer data for the demo cast.

Conventions beyond the seed: `GET /v2/organizations/{org_id}/measurements?token=&cursor=&limit=`
answers `{"summary": {"results", "next_cursor", "has_more"}, "data": [records]}`, oldest
first; errors are `{"code": <status>, "message": "..."}`; a wrong token is 401, another
organization 404.
"""

from django.http import JsonResponse
from django.urls import path

from portal.sandbox import world
from portal.sandbox.framework import sandbox_view
from portal.sandbox.state import STORE, seeder
from portal.sandbox.world_readings import validic_records

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


def _cursor_of(record) -> str:
    return f"{record['created_at']}~{record['id']}"


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
    records = sorted(STORE.all(VENDOR, "measurements"), key=_cursor_of)
    if cursor:
        records = [r for r in records if _cursor_of(r) > cursor]
    page = records[:limit]
    return JsonResponse(
        {
            "summary": {
                "results": len(records),
                "next_cursor": _cursor_of(page[-1]) if page else cursor,
                "has_more": len(records) > limit,
            },
            "data": page,
        }
    )


urlpatterns = [
    path(
        "v2/organizations/<str:org_id>/measurements",
        measurements,
        name="validic-measurements",
    ),
]
