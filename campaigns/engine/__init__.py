"""The dispatch engine (issue #5).

- campaigns/clock.py (outside the engine: the models use it too): when a campaign may
  dial and when each contact may be called.
- targets.py: building a campaign's targets at launch (eligibility and DND scrub).
- jobs.py: the django-q2 jobs (launch, run, watchdog) and their queueing.
- dispatch.py: Dialdesk's own engine for MyOperator OBD and OCA: the runner, its pace
  and dials; claims.py: which targets it takes (the daily cap, DND at dial time);
  idle.py: why a running campaign is idle and when it has work again; outcomes.py:
  outcomes and retries; dialers.py: one dialer per vendor.
- native.py: CPaaS native campaigns: push lists, create, stop, read progress back.

The models never import the engine: CampaignsConfig.ready() registers this package for
the lifecycle methods (Campaign.start/resume/stop, campaigns/models/lifecycle.py), which
call launch_enqueue, runner_enqueue and stop_at_vendor; those pick the path by the
campaign's vendor."""

from campaigns.clock import (
    EVERY_DAY,
    WEEKDAY_NAMES,
    Schedule,
    attempt_reference,
    local_day_bounds,
    wall_clock,
    zone,
)

from .dispatch import Runner
from .jobs import (
    engine_watchdog,
    launch_campaign,
    launch_enqueue,
    run_campaign,
    runner_enqueue,
)
from .native import stop_at_vendor
from .targets import build_targets

__all__ = [
    "EVERY_DAY",
    "Runner",
    "WEEKDAY_NAMES",
    "Schedule",
    "attempt_reference",
    "build_targets",
    "engine_watchdog",
    "launch_campaign",
    "launch_enqueue",
    "local_day_bounds",
    "run_campaign",
    "runner_enqueue",
    "stop_at_vendor",
    "wall_clock",
    "zone",
]
