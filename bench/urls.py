"""The real application's URLs plus one hello-world path that the bench answers itself."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.urls import include, path
from django.views.decorators.csrf import csrf_exempt

HELLO_PATH = "__bench/hello"


@csrf_exempt
def hello(request: HttpRequest) -> HttpResponse:
    """Django's cheapest answer through the same middleware; a POST reads its body like a webhook."""
    if request.method == "POST":
        return HttpResponse(
            b'{"stored": %d}' % len(request.body), status=201, content_type="application/json"
        )
    return HttpResponse(b"Hello, world\n", content_type="text/plain")


urlpatterns = [
    path(HELLO_PATH, hello),
    path("", include("statuspage.urls")),
]
