from django.db import connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from django_q.brokers import get_broker

from ..access import public
from ..models import WorkerHeartbeat


def check_database() -> dict:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # any driver error means "down"
        return {"ok": False, "error": type(exc).__name__}
    return {"ok": True, "vendor": connection.vendor}


def check_broker() -> dict:
    try:
        broker = get_broker()
        ok = bool(broker.ping())
    except Exception as exc:
        return {"ok": False, "error": type(exc).__name__}
    return {"ok": ok, "kind": type(broker).__name__}


def check_worker() -> dict:
    beat = WorkerHeartbeat.objects.order_by("-last_seen").first()
    if beat is None:
        return {"ok": False, "error": "no worker has ever reported"}
    return {"ok": beat.is_alive, "last_seen": beat.last_seen.isoformat(), "name": beat.name}


@public
@never_cache
@require_GET
def healthz(request):
    """200 "ok" or 503 "unavailable" for anyone (a load balancer's probe). The checks
    behind it (database vendor, broker kind, the worker's name, which is its host and
    pid) are shown only to a signed-in user who may see background jobs."""
    checks = {"database": check_database(), "broker": check_broker()}
    checks["worker"] = check_worker() if checks["database"]["ok"] else {"ok": False}
    healthy = all(check["ok"] for check in checks.values())
    body = {"status": "ok" if healthy else "unavailable"}
    if request.user.is_authenticated and request.user.has_perm("telephony.view_jobs"):
        body.update(checks)
    return JsonResponse(body, status=200 if healthy else 503)
