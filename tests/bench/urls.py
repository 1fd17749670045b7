"""portal.urls plus `/bench/bare`: a bare Django view returning a fixed JSON, the baseline of
figures 2 and 5. Only the bench settings mount it; production URLs never do."""

from django.http import JsonResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt

from portal.urls import urlpatterns as portal_urlpatterns

FIXED = {"ok": True, "service": "vitals-portal", "bench": "bare"}


@csrf_exempt
def bare(request):
    return JsonResponse(FIXED, status=201 if request.method == "POST" else 200)


urlpatterns = [path("bench/bare", bare, name="bench-bare"), *portal_urlpatterns]
