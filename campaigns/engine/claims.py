"""Which due targets a runner takes, and their attempt rows (issue #5).

A claim is one conditional UPDATE (status pending or retry -> in progress, with a claim
token) of targets due now, inside the window and each contact's calling hours, under the
daily cap per number (CAMPAIGN_DAILY_CAP) and not on a DND list; each claimed target's
attempt row (DIALING, with its derived reference id) is created in the same transaction,
before any request. A number on a DND list since the start is set aside; one at the cap
waits for the contact's next local day. Mixed into dispatch.Runner."""

import uuid
from collections import defaultdict

from django.conf import settings
from django.db import transaction
from django.db.models import Count, OuterRef, Subquery
from django.db.models.functions import Coalesce

from campaigns.clock import attempt_reference, local_day_bounds

from .outcomes import settle_target
from .rotation import HINT as ROTATION_HINT
from .rotation import NoCallerId, Rotation

# Attempts that count against the daily cap: everything that may have rung the number.
NOT_COUNTED = ("queued", "rejected")


class Claims:
    """The runner's claims (self.campaign, self.schedule: see dispatch.Runner)."""

    def zones(self) -> list[str]:
        """The distinct contact zones of this campaign's targets (a snapshot: fixed)."""
        if self._zones is None:
            from campaigns.models import CampaignTarget

            self._zones = sorted(
                set(
                    CampaignTarget.objects.filter(campaign=self.campaign)
                    .order_by()
                    .values_list("time_zone", flat=True)
                    .distinct()
                )
            )
        return self._zones

    def effective_zone(self, name: str) -> str:
        return name or self.campaign.time_zone or "UTC"

    def claim(self, now, limit: int) -> list:
        """Claim up to `limit` due targets that may be called now and create their
        attempt rows (DIALING, with their reference ids) in the same transaction."""
        from campaigns.models import CampaignAttempt, CampaignTarget

        campaign = self.campaign
        cap = int(settings.CAMPAIGN_DAILY_CAP)
        open_zones = self.schedule.open_zones(now, self.zones())
        if not open_zones:
            return []
        groups = defaultdict(list)
        for name in open_zones:
            groups[local_day_bounds(now, self.effective_zone(name))].append(name)
        due = CampaignTarget.objects.filter(campaign=campaign).due(now)
        blocked = campaign.dnd_blocking("number")
        chosen, dnd, capped = [], [], defaultdict(list)
        for (day_start, day_end), names in groups.items():
            today = (
                CampaignAttempt.objects.filter(
                    number=OuterRef("number"), dialed_at__gte=day_start, dialed_at__lt=day_end
                )
                .exclude(status__in=NOT_COUNTED)
                .order_by()
                .values("number")
                .annotate(n=Count("id"))
                .values("n")
            )
            rows = (
                due.filter(time_zone__in=names)
                .annotate(today=Coalesce(Subquery(today), 0), blocked=blocked)
                .order_by("next_attempt_at", "id")
                .values_list("id", "today", "blocked")[: limit - len(chosen)]
            )
            for target_id, attempts_today, is_blocked in rows:
                if is_blocked:
                    dnd.append(target_id)
                elif attempts_today >= cap:
                    capped[day_end].append(target_id)
                else:
                    chosen.append(target_id)
            if len(chosen) >= limit:
                break
        if dnd:
            self.skip_dnd(dnd, now)
        for day_end, ids in capped.items():
            CampaignTarget.objects.filter(pk__in=ids, status__in=["pending", "retry"]).update(
                next_attempt_at=day_end,
                last_error=f"Reached the daily cap of {cap} attempts for this number; "
                "tried again on the contact's next day.",
                updated_at=now,
            )
        if not chosen:
            return []
        callers = {}
        if self.rotation.active:
            callers = self.pick_callers(chosen, now)
            chosen = [target_id for target_id in chosen if target_id in callers]
            if not chosen:
                return []
        return self.take(chosen, now, callers)

    @property
    def rotation(self):
        if getattr(self, "_rotation", None) is None:
            self._rotation = Rotation(self.campaign)
        return self._rotation

    def pick_callers(self, ids, now) -> dict[int, str]:
        """A caller id for each target (rotation.py), in claim order; none left: the
        campaign pauses with the reason and nothing is claimed."""
        from campaigns.models import CampaignTarget

        rows = {
            row[0]: row
            for row in CampaignTarget.objects.filter(pk__in=ids).values_list(
                "id", "number", "fields"
            )
        }
        try:
            return self.rotation.pick([rows[i] for i in ids if i in rows], now)
        except NoCallerId as exc:
            self.halted = True
            self.stopped = True
            self.campaign.pause_for_vendor(exc.words, ROTATION_HINT, by="setup")
            return {}

    def take(self, ids, now, callers=None) -> list:
        from campaigns.models import CampaignAttempt, CampaignTarget

        campaign = self.campaign
        claim = str(uuid.uuid4())
        jobs = []
        with transaction.atomic():
            CampaignTarget.objects.filter(
                pk__in=ids,
                status__in=[CampaignTarget.Status.PENDING, CampaignTarget.Status.RETRY],
                next_attempt_at__lte=now,
            ).update(
                status=CampaignTarget.Status.IN_PROGRESS,
                claim_token=claim,
                wait_reason="",
                updated_at=now,
            )
            targets = list(
                CampaignTarget.objects.filter(
                    campaign=campaign, claim_token=claim, status=CampaignTarget.Status.IN_PROGRESS
                )
            )
            if not targets:
                return []
            existing = {
                (attempt.target_id, attempt.attempt): attempt
                for attempt in CampaignAttempt.objects.filter(
                    target_id__in=[target.pk for target in targets]
                )
            }
            new, reuse = [], []
            for target in targets:
                number = target.attempts + 1
                attempt = existing.get((target.pk, number))
                if attempt is None:
                    attempt = CampaignAttempt(
                        campaign=campaign,
                        target=target,
                        number=target.number,
                        attempt=number,
                        reference_id=attempt_reference(
                            campaign.pk, campaign.run, target.pk, number
                        ),
                        caller_id=(callers or {}).get(target.pk, campaign.caller_id),
                        status=CampaignAttempt.Status.DIALING,
                        created_at=now,
                        dialed_at=now,
                        updated_at=now,
                    )
                    new.append(attempt)
                elif attempt.status in (
                    CampaignAttempt.Status.QUEUED,
                    CampaignAttempt.Status.DIALING,
                ):
                    reuse.append(attempt.pk)
                    attempt.status = CampaignAttempt.Status.DIALING
                    if not attempt.caller_id and callers and target.pk in callers:
                        attempt.caller_id = callers[target.pk]
                        CampaignAttempt.objects.filter(pk=attempt.pk).update(
                            caller_id=attempt.caller_id
                        )
                else:
                    self.adopt(target, attempt, now)
                    continue
                jobs.append((attempt, target))
            CampaignAttempt.objects.bulk_create(new)
            if reuse:
                CampaignAttempt.objects.filter(pk__in=reuse).update(
                    status=CampaignAttempt.Status.DIALING, dialed_at=now, updated_at=now
                )
        return jobs

    def adopt(self, target, attempt, now):
        """The attempt was already sent and answered (a crash between recording it and
        moving its target): bring the target in line instead of dialling again."""
        from campaigns.models import CampaignAttempt, CampaignTarget

        CampaignTarget.objects.filter(pk=target.pk).update(attempts=attempt.attempt)
        if attempt.status == CampaignAttempt.Status.PLACED:
            return
        if attempt.status in (CampaignAttempt.Status.REJECTED, CampaignAttempt.Status.UNKNOWN):
            CampaignTarget.objects.filter(pk=target.pk).update(
                status=CampaignTarget.Status.FAILED, last_status=attempt.status, claim_token=""
            )
            return
        settle_target(target.pk, attempt.attempt, attempt.status, campaign=self.campaign, now=now)

    def skip_dnd(self, ids, now):
        from campaigns.models import CampaignAttempt, CampaignTarget

        with transaction.atomic():
            CampaignTarget.objects.filter(
                pk__in=ids, status__in=[CampaignTarget.Status.PENDING, CampaignTarget.Status.RETRY]
            ).update(
                status=CampaignTarget.Status.DND,
                next_attempt_at=None,
                last_error="Added to a DND list during the run; not dialed again.",
                updated_at=now,
            )
            CampaignAttempt.objects.filter(
                target_id__in=ids, status=CampaignAttempt.Status.QUEUED
            ).update(
                status=CampaignAttempt.Status.CANCELLED,
                error="Not sent again: the number was added to a DND list.",
                updated_at=now,
            )
