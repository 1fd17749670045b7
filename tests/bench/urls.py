"""portal.urls plus two bench-only views. Only the bench settings mount them; production URLs
never do.

- `/bench/bare`: a bare Django view returning a fixed JSON, the baseline of figures 2 and 5.
- `/bench/authenticated`: the same answer from a DRF view with the API's own authentication
  (Bearer key look-up), permission and rate limit — what any integrator endpoint costs before
  it does its work. Figure 2 reports it so the gap to the bare view splits into the
  framework's share and the ingestion's share."""

from django.http import JsonResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt
from rest_framework.response import Response
from rest_framework.views import APIView

from portal.urls import urlpatterns as portal_urlpatterns

FIXED = {"ok": True, "service": "vitals-portal", "bench": "bare"}


@csrf_exempt
def bare(request):
    return JsonResponse(FIXED, status=201 if request.method == "POST" else 200)


class Authenticated(APIView):
    def post(self, request):
        return Response(FIXED, status=201)


urlpatterns = [
    path("bench/bare", bare, name="bench-bare"),
    path("bench/authenticated", Authenticated.as_view(), name="bench-authenticated"),
    *portal_urlpatterns,
]
