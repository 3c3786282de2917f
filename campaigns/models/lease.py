"""The runner lease: one runner dials (or follows) a running campaign at a time.

A runner takes the lease with a token of its own (a conditional UPDATE: the lease is free,
stale, or already this token's), renews it every loop, and gives it back when it ends. A
runner killed mid-run leaves a lease that goes stale after CAMPAIGN_LEASE_SECONDS (90),
and the engine's watchdog starts another. Pause and Stop free the lease themselves
(Campaign.pause/stop), so a prompt Resume's runner finds it free."""

from datetime import timedelta

from django.conf import settings
from django.db.models import Q
from django.utils import timezone


def lease_seconds() -> float:
    """How long an unrenewed lease holds before another runner may take it."""
    return float(getattr(settings, "CAMPAIGN_LEASE_SECONDS", 90))


class RunnerLease:
    """Campaign's lease methods (mixed into Campaign; runner_token, runner_seen_at)."""

    def _lease_rows(self):
        return type(self).objects.filter(pk=self.pk)

    def take_lease(self, token: str) -> bool:
        """Take the lease for `token` if the campaign runs and the lease is free, stale or
        already `token`'s."""
        now = timezone.now()
        stale = now - timedelta(seconds=lease_seconds())
        taken = (
            self._lease_rows()
            .filter(state=self.State.RUNNING)
            .filter(
                Q(runner_token="")
                | Q(runner_seen_at__isnull=True)
                | Q(runner_seen_at__lt=stale)
                | Q(runner_token=token)
            )
            .update(runner_token=token, runner_seen_at=now)
        )
        return bool(taken)

    def renew_lease(self, token: str) -> bool:
        """Keep the lease; False when the campaign no longer runs or another runner took
        the lease over."""
        kept = (
            self._lease_rows()
            .filter(state=self.State.RUNNING, runner_token=token)
            .update(runner_seen_at=timezone.now())
        )
        return bool(kept)

    def holds_lease(self, token: str) -> bool:
        """The lease is still `token`'s (whatever the state: a paused campaign's runner
        gives it back once its calls in flight are recorded)."""
        return self._lease_rows().filter(runner_token=token).exists()

    def give_back_lease(self, token: str) -> bool:
        """Free the lease if `token` still holds it."""
        freed = (
            self._lease_rows()
            .filter(runner_token=token)
            .update(runner_token="", runner_seen_at=None)
        )
        return bool(freed)

    def lease_is_stale(self, now=None) -> bool:
        """No runner has renewed the lease within CAMPAIGN_LEASE_SECONDS (or none holds
        it): as this instance last read it."""
        now = now or timezone.now()
        return self.runner_seen_at is None or self.runner_seen_at < now - timedelta(
            seconds=lease_seconds()
        )
