from django.urls import NoReverseMatch, reverse

from .access import role_of
from .models import WorkerHeartbeat

# Navigation: (label, url name, permission). An entry shows only when its URL exists
# and the user has the permission, so the menu never offers a section that is missing.
NAVIGATION = [
    ("Home", "home", None),
    ("Contact lists", "campaigns:list_index", "view_reports"),
    ("DND lists", "campaigns:dnd_index", "view_reports"),
    ("Campaigns", "campaigns:campaign_index", "view_reports"),
    ("Calls", "telephony:call_index", "view_reports"),
    ("Reports", "reports:overview", "view_reports"),
    ("Callbacks", "telephony:callback_index", "view_reports"),
    ("Audio", "telephony:oca_index", "run_campaigns"),
    ("Numbers", "numbers:number_index", "run_campaigns"),
    ("Vendor accounts", "telephony:account_index", "manage_vendors"),
    ("Users", "telephony:user_index", "manage_users"),
    ("Jobs", "telephony:jobs", "view_jobs"),
]


def navigation_for(user) -> list[dict]:
    entries = []
    for label, name, permission in NAVIGATION:
        if permission and not user.has_perm(f"telephony.{permission}"):
            continue
        try:
            url = reverse(name)
        except NoReverseMatch:
            continue
        entries.append({"label": label, "url": url, "name": name})
    return entries


def shell(request):
    user = request.user
    if not user.is_authenticated:
        return {}
    return {
        "nav_entries": navigation_for(user),
        "user_role": role_of(user),
        "worker_alive": WorkerHeartbeat.objects.alive().exists(),
    }
