"""Who may open which view.

Every view is wrapped by `role_required` (with the permission its role needs) or
`public`. Both record the rule on the view, so the access test can walk every URL
pattern and check every persona against it: a view without a rule fails that test.
"""

from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse

PUBLIC = "public"

ROLE_PERMISSIONS = {
    "Admin": [
        "manage_users",
        "manage_vendors",
        "view_jobs",
        "run_campaigns",
        "view_reports",
    ],
    "Supervisor": ["run_campaigns", "view_reports"],
    "Viewer": ["view_reports"],
}
ROLES = list(ROLE_PERMISSIONS)


def role_of(user) -> str | None:
    """The user's role name: the first of their groups that is a role."""
    if not user.is_authenticated:
        return None
    if user.is_superuser:
        return "Admin"
    names = {group.name for group in user.groups.all()}
    return next((role for role in ROLES if role in names), None)


def role_required(permission: str):
    """Require login and `telephony.<permission>`; anonymous users go to log in."""
    codename = permission.split(".")[-1]
    full = f"telephony.{codename}"

    def decorator(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if not request.user.is_authenticated:
                if getattr(request, "htmx", False):
                    # A partial must not swap a login form into the page.
                    response = HttpResponse(status=401)
                    response["HX-Redirect"] = redirect_to_login(request.get_full_path())["Location"]
                    return response
                return redirect_to_login(request.get_full_path())
            if not request.user.has_perm(full):
                raise PermissionDenied(f"Your role does not allow this ({codename}).")
            return view(request, *args, **kwargs)

        wrapped.access = full
        return wrapped

    return decorator


def public(view):
    """Open to anyone (log in, health check, vendor sandboxes with their own auth)."""
    view.access = PUBLIC
    return view
