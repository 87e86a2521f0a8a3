"""The project's URLs plus `/bench/signed-ok/`: a signed Slack endpoint that answers at once,
the baseline of bench/slack_ack.py. Only that benchmark's server uses this URLconf."""

from django.http import HttpResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from config.urls import urlpatterns as project_urlpatterns
from slackbot.signature import verified


@csrf_exempt
@require_POST
@verified
def signed_ok(request):
    return HttpResponse()


urlpatterns = [path("bench/signed-ok/", signed_ok), *project_urlpatterns]
