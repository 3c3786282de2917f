import zoneinfo

from django.contrib.messages import get_messages
from django.template.loader import render_to_string
from django.utils import timezone


class UserTimezoneMiddleware:
    """Shows times in the signed-in user's own time zone (storage stays UTC)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        tz_name = None
        if request.user.is_authenticated:
            profile = getattr(request.user, "profile", None)
            tz_name = profile.time_zone if profile else None
        if tz_name:
            timezone.activate(zoneinfo.ZoneInfo(tz_name))
        else:
            timezone.deactivate()
        return self.get_response(request)


class HtmxMessagesMiddleware:
    """Django messages raised during an htmx request reach the page as toasts: they are
    appended to the partial as an out-of-band swap into #toasts."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if not getattr(request, "htmx", False) or request.htmx.boosted:
            return response
        if response.status_code >= 300 and response.status_code < 400:
            return response  # the messages wait for the page we redirect to
        if "HX-Redirect" in response or "HX-Refresh" in response:
            return response
        if not response.get("Content-Type", "").startswith("text/html"):
            return response
        if getattr(response, "streaming", False):
            return response
        storage = get_messages(request)
        if not len(storage):
            return response
        toasts = render_to_string(
            "components/toasts.html", {"messages": storage, "oob": True}, request=request
        )
        response.content += toasts.encode()
        return response
