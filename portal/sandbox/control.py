"""`/sandbox/_faults` and `/sandbox/_reset`: test and demo control of the sandbox. They answer
only when settings.SANDBOX_CONTROL is on (the demo and the test suite); anywhere else they are a
404, so a sandbox switched on by mistake cannot be reset or made to fail by a stranger."""

import json
from functools import wraps

from django.conf import settings
from django.http import JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from portal.sandbox.state import FAULTS, STORE, FaultMode


def control_only(view):
    @wraps(view)
    def guarded(request, *args, **kwargs):
        if not settings.SANDBOX_CONTROL:
            return JsonResponse({"error": "not_found", "message": "Not found."}, status=404)
        return view(request, *args, **kwargs)

    return guarded


@csrf_exempt
@control_only
@require_http_methods(["POST", "DELETE"])
def faults(request):
    """POST {"vendor": "impilo", "mode": "error", "count": 2, "delay": 0, "path_contains": "",
    "after": false} queues faults (`after`: reset mode only); DELETE clears them."""
    if request.method == "DELETE":
        FAULTS.clear()
        return JsonResponse({"cleared": True})
    try:
        body = json.loads(request.body)
        vendor, mode = body["vendor"], body["mode"]
        count = int(body.get("count", 1))
        delay = float(body.get("delay", 0))
        after = body.get("after", False)
        if not isinstance(after, bool):
            raise TypeError("after must be a boolean")
    except (ValueError, KeyError, TypeError):
        return JsonResponse(
            {
                "error": "bad_request",
                "message": f"need vendor, mode ({', '.join(FaultMode.MODES)})",
            },
            status=400,
        )
    try:
        FAULTS.inject(
            vendor,
            mode,
            count,
            delay=delay,
            path_contains=body.get("path_contains", ""),
            after=after,
        )
    except ValueError as exc:
        return JsonResponse({"error": "bad_request", "message": str(exc)}, status=400)
    return JsonResponse({"vendor": vendor, "pending": FAULTS.pending(vendor)}, status=201)


@csrf_exempt
@control_only
@require_http_methods(["POST"])
def reset(request):
    FAULTS.clear()
    STORE.reset()
    return JsonResponse({"reset": True})
