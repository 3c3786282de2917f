"""The Admin's background-jobs page: worker heartbeats, the broker's queue, recent task
runs (with the error of each failure) and the schedules, which an Admin may run now."""

import ast
import logging
from datetime import timedelta

from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_GET, require_POST
from django_q.brokers import get_broker
from django_q.conf import Conf
from django_q.models import Schedule, Task
from django_q.tasks import async_task

from ..access import role_required
from ..htmx import wants_partial
from ..models import WorkerHeartbeat

logger = logging.getLogger(__name__)

PAGE_SIZE = 20
OUTCOMES = {"success": "Succeeded", "failed": "Failed"}
# django-q2 stores a failure as "<exception> : <traceback>"; the part before is the summary.
TRACEBACK_SEPARATOR = " : Traceback (most recent call last):"


def runs_queryset(outcome: str):
    runs = Task.objects.order_by("-stopped").defer("args", "kwargs")
    if outcome == "success":
        return runs.filter(success=True)
    if outcome == "failed":
        return runs.filter(success=False)
    return runs


def error_parts(result) -> tuple[str, str]:
    """A failure's one-line summary and its full text (the traceback, when there is one)."""
    text = "" if result is None else str(result)
    summary, separator, _ = text.partition(TRACEBACK_SEPARATOR)
    detail = text[len(summary) + 3 :] if separator else ""
    return summary.strip() or "The task failed without a message.", detail.strip()


def format_duration(seconds: float) -> str:
    if seconds < 1:
        return f"{seconds * 1000:.0f} ms"
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, rest = divmod(round(seconds), 60)
    if minutes < 60:
        return f"{minutes} min {rest} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes} min"


def describe_interval(schedule: Schedule) -> str:
    if schedule.schedule_type == Schedule.MINUTES:
        minutes = schedule.minutes or 1
        return "Every minute" if minutes == 1 else f"Every {minutes} minutes"
    if schedule.schedule_type == Schedule.CRON:
        return f"Cron {schedule.cron}"
    return str(schedule.get_schedule_type_display())


def schedules_with_last_run():
    """Every schedule, with `last_task` (its most recent run, or None) attached."""
    schedules = list(Schedule.objects.order_by("next_run", "pk"))
    last_ids = [s.task for s in schedules if s.task]
    tasks = Task.objects.defer("args", "kwargs").in_bulk(last_ids) if last_ids else {}
    now = timezone.now()
    for schedule in schedules:
        schedule.interval = describe_interval(schedule)
        # The scheduler looks every 30 s or so: a time just past is due, not missed.
        schedule.due = schedule.next_run is not None and schedule.next_run <= now
        schedule.last_task = tasks.get(schedule.task)
        if schedule.last_task and not schedule.last_task.success:
            schedule.last_error = error_parts(schedule.last_task.result)[0]
    return schedules


def broker_state() -> dict:
    """The broker's kind and how many tasks wait in it (None when it cannot be reached)."""
    kind = "Redis" if Conf.REDIS else "Database (ORM)"
    try:
        waiting = get_broker().queue_size()
    except Exception:  # an unreachable broker is shown as such, not as a server error
        waiting = None
    return {"kind": kind, "waiting": waiting}


class ScheduleArgumentsError(ValueError):
    """A schedule's stored arguments cannot be parsed."""


def schedule_call(schedule: Schedule) -> tuple[tuple, dict]:
    """The args and kwargs of a schedule, parsed the way django-q2's scheduler does."""
    args, kwargs = (), {}
    if schedule.kwargs:
        try:
            kwargs = ast.literal_eval(schedule.kwargs)
        except (SyntaxError, ValueError):
            try:
                call = ast.parse(f"f({schedule.kwargs})").body[0].value
                kwargs = {kw.arg: ast.literal_eval(kw.value) for kw in call.keywords}
            except (SyntaxError, ValueError):
                kwargs = {}  # as the scheduler does
    if schedule.args:
        try:
            args = ast.literal_eval(schedule.args)
        except (SyntaxError, ValueError):
            raise ScheduleArgumentsError(
                f"its arguments ({schedule.args}) are not valid Python values"
            ) from None
        if not isinstance(args, tuple):
            args = (args,)
    return args, dict(kwargs)


def run_schedule_now(schedule: Schedule) -> str:
    """Enqueue one run of `schedule` now, outside its timetable; returns the task id.

    The schedule's next run stays as it is; its "last run" becomes this one."""
    args, kwargs = schedule_call(schedule)
    q_options = dict(kwargs.pop("q_options", {}))
    if schedule.hook:
        q_options["hook"] = schedule.hook
    if schedule.cluster:
        q_options["cluster"] = schedule.cluster
    q_options.setdefault("group", schedule.name or str(schedule.pk))
    task_id = async_task(schedule.func, *args, q_options=q_options, **kwargs)
    Schedule.objects.filter(pk=schedule.pk).update(task=task_id)
    return task_id


def runs_context(request) -> dict:
    outcome = request.GET.get("outcome", "")
    if outcome not in OUTCOMES:
        outcome = ""
    page = Paginator(runs_queryset(outcome), PAGE_SIZE).get_page(request.GET.get("page"))
    for run in page:
        run.duration = format_duration(run.time_taken())
        if not run.success:
            run.error_summary, run.error_detail = error_parts(run.result)
    counts = {"success": Task.objects.filter(success=True).count()}
    counts["failed"] = Task.objects.filter(success=False).count()
    tabs = [{"value": None, "label": "All", "count": counts["success"] + counts["failed"]}]
    tabs += [
        {"value": key, "label": label, "count": counts[key]} for key, label in OUTCOMES.items()
    ]
    for tab in tabs:
        tab["active"] = (tab["value"] or "") == outcome
    return {
        "outcome": outcome,
        "tabs": tabs,
        "page": page,
        "page_range": page.paginator.get_elided_page_range(page.number, on_each_side=2),
        "refreshed_at": timezone.now(),
    }


@role_required("view_jobs")
@require_GET
def jobs(request):
    """The jobs page; htmx requests (filter, paging, the 10 s poll) get the runs table."""
    context = runs_context(request)
    if wants_partial(request):
        response = render(request, "telephony/jobs.html#runs", context)
    else:
        since = timezone.now() - timedelta(hours=24)
        workers = list(WorkerHeartbeat.objects.order_by("-last_seen"))
        context.update(
            workers=workers,
            alive_count=sum(worker.is_alive for worker in workers),
            stale_after=WorkerHeartbeat.STALE_AFTER_SECONDS,
            broker=broker_state(),
            day_succeeded=Task.objects.filter(success=True, stopped__gte=since).count(),
            day_failed=Task.objects.filter(success=False, stopped__gte=since).count(),
            schedules=schedules_with_last_run(),
        )
        response = render(request, "telephony/jobs.html", context)
    patch_vary_headers(response, ["HX-Request"])
    return response


@role_required("view_jobs")
@require_POST
def schedule_run(request, pk):
    """Run a schedule's task now (the Admin's "Run now" button)."""
    schedule = get_object_or_404(Schedule, pk=pk)
    label = schedule.name or schedule.func
    try:
        task_id = run_schedule_now(schedule)
    except ScheduleArgumentsError as exc:
        messages.error(request, f'Could not run "{label}": {exc}.')
        return schedules_response(request)
    except Exception as exc:
        if Conf.SYNC:
            # Synchronous mode (the unit tests) runs the task here and lets it raise.
            messages.error(request, f'"{label}" ran and failed: {str(exc)[:300]}')
        else:
            logger.exception("Could not enqueue schedule %s", schedule.pk)
            messages.error(
                request,
                f'Could not queue "{label}": the broker did not accept it '
                f"({type(exc).__name__}). Check /healthz.",
            )
        return schedules_response(request)
    # In synchronous mode the task has already run; otherwise it waits for a worker.
    task = Task.objects.filter(id=task_id).first()
    if task is not None and task.success:
        messages.success(request, f'"{label}" ran and succeeded.')
    elif task is not None:
        messages.error(request, f'"{label}" ran and failed: {error_parts(task.result)[0][:300]}')
    elif WorkerHeartbeat.objects.alive().exists():
        messages.success(request, f'Queued "{label}": a worker will run it in a moment.')
    else:
        messages.warning(
            request, f'Queued "{label}", but no worker is running: it waits until one starts.'
        )
    return schedules_response(request)


def schedules_response(request):
    """After "Run now": the whole page without htmx; with it, the schedules table (the
    messages middleware adds the toasts) and a signal that reloads the runs table at once."""
    if not request.htmx:
        return redirect("telephony:jobs")
    response = render(
        request, "telephony/jobs.html#schedules", {"schedules": schedules_with_last_run()}
    )
    response["HX-Trigger"] = "jobs-changed"
    return response
