"""The SMS provider's inbound webhook: a reply to a page. Signed, so CSRF-exempt; answers JSON,
a 4xx with the reason when it acknowledges nothing."""

import json

from django.http import JsonResponse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from .sms_replies import SmsReplyRefused, acknowledge_reply, verify


def _reply_fields(body):
    try:
        payload = json.loads(body)
    except (UnicodeDecodeError, ValueError):
        payload = None
    fields = (payload or {}).get("from"), (payload or {}).get("text")
    if not isinstance(payload, dict) or not all(isinstance(f, str) for f in fields):
        raise SmsReplyRefused(_('Expected a JSON object with "from" and "text" strings.'), 400)
    return fields


@csrf_exempt
@require_POST
def sms_inbound(request):
    try:
        verify(
            body=request.body,
            timestamp=request.headers.get("X-Beacon-Timestamp", ""),
            signed=request.headers.get("X-Beacon-Signature", ""),
        )
        sender, text = _reply_fields(request.body)
        done = acknowledge_reply(sender=sender.strip(), text=text)
    except SmsReplyRefused as refused:
        return JsonResponse({"error": str(refused)}, status=refused.status)
    return JsonResponse({"acknowledged": done.incident.reference, "already": done.already})
