"""VendorPush: a contact or DND list pushed to a CPaaS account, resumable."""

import re
from datetime import timedelta

from django.conf import settings
from django.db import models, transaction
from django.db.models import F, Q
from django.utils import timezone

from .lists import Contact, ContactList, DndEntry, DndList


def vendor_field(name: str) -> str:
    """A contact field's name as CPaaS's {placeholders} take it (\\w+ only)."""
    return re.sub(r"\W", "_", str(name).strip())


class VendorPush(models.Model):
    """A contact or DND list pushed to a vendor account (CPaaS): the vendor's list id and
    how far the push got, so pushing again sends only newer rows and resumes cleanly.

    Rows go in id order, in batches; after each batch the vendor accepted,
    `last_pushed_id` and `pushed_count` advance in one UPDATE, so an interrupted push
    resumes at the first batch the vendor has not confirmed. That batch may already be
    stored on the vendor's side (a lost answer): sending it again is safe because the
    CPaaS server keys list members by number and updates a number it already holds
    (checked against the sandbox: tests/campaigns/test_push.py)."""

    class Status(models.TextChoices):
        IDLE = "idle", "Never pushed"
        QUEUED = "queued", "Waiting for a worker"
        RUNNING = "running", "Pushing"
        DONE = "done", "Pushed"
        FAILED = "failed", "Failed"

    account = models.ForeignKey(
        "telephony.ProviderAccount", on_delete=models.CASCADE, related_name="list_pushes"
    )
    contact_list = models.ForeignKey(
        ContactList, null=True, blank=True, on_delete=models.CASCADE, related_name="pushes"
    )
    dnd_list = models.ForeignKey(
        DndList, null=True, blank=True, on_delete=models.CASCADE, related_name="pushes"
    )
    # A campaign's own push (CPaaS takes one list and one DND list per campaign): its
    # targets, or with campaign_dnd its DND lists merged with the global one.
    campaign = models.ForeignKey(
        "campaigns.Campaign", null=True, blank=True, on_delete=models.CASCADE, related_name="pushes"
    )
    campaign_dnd = models.BooleanField(default=False)
    vendor_list_id = models.CharField(max_length=64, blank=True)
    vendor_list_name = models.CharField(max_length=200, blank=True)
    last_pushed_id = models.BigIntegerField(default=0, help_text="Highest row id sent")
    pushed_count = models.PositiveIntegerField(default=0)
    skipped_count = models.PositiveIntegerField(
        default=0, help_text="Rows the vendor cannot take (numbers outside 10-15 digits)"
    )
    rows_total = models.PositiveIntegerField(
        default=0, help_text="pushed_count plus the rows waiting when the run started"
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.IDLE)
    error = models.TextField(blank=True, help_text="The vendor's own words")
    note = models.CharField(max_length=300, blank=True)
    task_id = models.CharField(max_length=64, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    last_pushed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    # The CPaaS document sets no limit on contacts per request; 500 (the client's own
    # default) keeps a request near 100 KB, far below a Django-served API's 2.5 MB body
    # limit, and a 1M-row list at 2,000 requests.
    BATCH_SIZE = 500
    # Transient failures (timeouts, 5xx, 429) are retried in the run, after these pauses
    # in seconds; the vendor dedupes by number, so a resent batch adds nothing twice.
    RETRY_DELAYS = (2, 10)
    # A run hands over to a fresh task before django-q2's 600 s task timeout.
    TIME_BUDGET_SECONDS = 480
    # A queued or running push untouched for this long is taken as dead (its worker was
    # killed); it may then be started again and resumes where it stopped.
    STALE_AFTER_SECONDS = 15 * 60
    NOTHING_NEW = "Nothing new to push."

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["account", "contact_list"],
                condition=Q(contact_list__isnull=False),
                name="one_push_per_account_and_contact_list",
            ),
            models.UniqueConstraint(
                fields=["account", "dnd_list"],
                condition=Q(dnd_list__isnull=False),
                name="one_push_per_account_and_dnd_list",
            ),
            models.UniqueConstraint(
                fields=["campaign", "campaign_dnd"],
                condition=Q(campaign__isnull=False),
                name="one_push_per_campaign_and_kind",
            ),
        ]

    def __str__(self):
        return f"push of {self.target} to {self.account}"

    # -- what is pushed where

    @staticmethod
    def eligible_accounts():
        """Enabled vendor accounts that hold campaign lists (native campaigns: CPaaS)."""
        from telephony.models import ProviderAccount
        from telephony.vendors.base import Capability
        from telephony.vendors.registry import VENDORS

        kinds = [
            kind
            for kind, spec in VENDORS.items()
            if Capability.NATIVE_CAMPAIGNS in spec["capabilities"]
        ]
        return ProviderAccount.objects.active().filter(kind__in=kinds).order_by("name")

    @classmethod
    def for_target(cls, account, target):
        """The push row of `target` (a ContactList or DndList) to `account`."""
        field = "contact_list" if isinstance(target, ContactList) else "dnd_list"
        push, _ = cls.objects.get_or_create(account=account, **{field: target})
        return push

    @property
    def is_dnd(self):
        return self.dnd_list_id is not None or (self.campaign_id is not None and self.campaign_dnd)

    @property
    def target(self):
        if self.campaign_id is not None:
            return self.campaign
        return self.dnd_list if self.is_dnd else self.contact_list

    def source_rows(self):
        """Every row this push sends: a DND list's entries, a contact list's active
        contacts (inactive ones are not dialed, so the vendor does not get them); for a
        campaign, its pending targets, or the entries of its DND lists and the global
        one (entries added later are sent by the next run)."""
        if self.campaign_id is not None:
            from .campaigns import CampaignTarget

            if self.campaign_dnd:
                return DndEntry.objects.filter(dnd_list_id__in=self.campaign.dnd_list_ids())
            return CampaignTarget.objects.filter(
                campaign_id=self.campaign_id, status=CampaignTarget.Status.PENDING
            )
        if self.is_dnd:
            return DndEntry.objects.filter(dnd_list_id=self.dnd_list_id)
        return Contact.objects.filter(contact_list_id=self.contact_list_id, is_active=True)

    def pending_rows(self):
        return self.source_rows().filter(id__gt=self.last_pushed_id).order_by("id")

    def pending_count(self):
        return self.pending_rows().count()

    @property
    def is_stale(self):
        age = (timezone.now() - self.updated_at).total_seconds()
        return age > self.STALE_AFTER_SECONDS

    @property
    def is_active(self):
        """Queued or running, and alive: polling continues and no second run starts."""
        return self.status in (self.Status.QUEUED, self.Status.RUNNING) and not self.is_stale

    @property
    def percent(self):
        if self.status == self.Status.DONE:
            return 100
        if not self.rows_total:
            return 0
        done = self.pushed_count + self.skipped_count
        return min(100, int(100 * done / self.rows_total))

    # -- starting

    def _startable(self):
        """Rows of this push that may be (re)started: not queued or running, or stale."""

        stale = timezone.now() - timedelta(seconds=self.STALE_AFTER_SECONDS)
        return VendorPush.objects.filter(pk=self.pk).filter(
            ~Q(status__in=[self.Status.QUEUED, self.Status.RUNNING]) | Q(updated_at__lt=stale)
        )

    def enqueue(self, *, user=None, resend_all=False):
        """Queue the push on a django-q2 worker. Returns (queued, message); a push
        already queued or running is not started twice, and a finished push with no new
        rows is not started at all."""
        from django_q.tasks import async_task

        busy = "This list is already being pushed to this account."
        if self.is_active:
            return False, busy
        if not resend_all and self.vendor_list_id and not self.pending_rows().exists():
            VendorPush.objects.filter(pk=self.pk).update(
                status=self.Status.DONE, note=self.NOTHING_NEW, error="", updated_at=timezone.now()
            )
            self.refresh_from_db()
            return False, self.NOTHING_NEW
        changes = {
            "status": self.Status.QUEUED,
            "error": "",
            "note": "",
            "updated_at": timezone.now(),
        }
        if user is not None:
            changes["requested_by"] = user
        if resend_all:
            # Send every row again: the vendor updates the numbers it already holds.
            changes.update(last_pushed_id=0, pushed_count=0, skipped_count=0)
        if not self._startable().update(**changes):
            self.refresh_from_db()
            return False, busy
        task_id = async_task("campaigns.tasks.push_list", self.pk, task_name=f"push-{self.pk}")
        VendorPush.objects.filter(pk=self.pk).update(task_id=str(task_id or "")[:64])
        self.refresh_from_db()
        return True, f"Pushing {self.target} to {self.account.name}."

    # -- the job

    def run(self, *, client=None):
        """Push what is pending (the django-q2 job). Safe to run twice: a run claims the
        row first, and a second run finds it claimed or finds nothing new."""
        import logging

        from telephony.vendors.base import InvalidRequest, VendorError

        started = timezone.now()
        claimed = self._startable().update(
            status=self.Status.RUNNING, started_at=started, finished_at=None, updated_at=started
        ) or VendorPush.objects.filter(pk=self.pk, status=self.Status.QUEUED).update(
            status=self.Status.RUNNING, started_at=started, finished_at=None, updated_at=started
        )
        if not claimed:
            return "already running"
        self.refresh_from_db()
        try:
            client = client or self.account.client()
            pending = self.pending_count()
            VendorPush.objects.filter(pk=self.pk).update(
                rows_total=self.pushed_count + self.skipped_count + pending, error="", note=""
            )
            if not self.vendor_list_id:
                self._create_vendor_list(client)
            sent = self._send_pending(client, started)
        except VendorError as exc:
            code = f" (HTTP {exc.status_code})" if exc.status_code else ""
            return self._finish(
                self.Status.FAILED, error=exc.message or str(exc), note=f"{exc.kind}{code}"
            )
        except InvalidRequest as exc:
            return self._finish(self.Status.FAILED, error=f"Account settings incomplete: {exc}")
        except Exception as exc:  # recorded on the row so the page says what happened
            logging.getLogger("campaigns").exception("push %s crashed", self.pk)
            return self._finish(self.Status.FAILED, error=f"Unexpected error: {exc}")
        if sent is None:
            return "continued in a new task"
        if sent == 0:
            return self._finish(self.Status.DONE, note=self.NOTHING_NEW)
        what = "DND numbers" if self.is_dnd else "contacts"
        return self._finish(self.Status.DONE, note=f"Pushed {sent} new {what}.")

    def _finish(self, status, *, error="", note=""):
        stamp = timezone.now()
        VendorPush.objects.filter(pk=self.pk).update(
            status=status, error=error, note=note, finished_at=stamp, updated_at=stamp
        )
        self.refresh_from_db()
        return error or note

    def _create_vendor_list(self, client):
        """Create the vendor's list. A lost answer leaves a list we never learned the id
        of, and its name is then taken: try the next name (the old list stays empty)."""
        from telephony.vendors.base import Rejected

        what = "DND" if self.is_dnd else "list"
        if self.campaign_id is not None:
            what = f"campaign {self.campaign_id} {what}"
        base = f"{self.target.name} (Dialdesk {what} {self.pk})"
        for attempt in range(1, 6):
            name = base if attempt == 1 else f"{base} #{attempt}"
            try:
                if self.is_dnd:
                    list_id = client.create_dnd_list(dnd_list_name=name)
                else:
                    list_id = client.create_list(list_name=name)
            except Rejected as exc:
                if "exists" in exc.message.lower() and attempt < 5:
                    continue
                raise
            VendorPush.objects.filter(pk=self.pk).update(
                vendor_list_id=list_id, vendor_list_name=name, updated_at=timezone.now()
            )
            self.vendor_list_id, self.vendor_list_name = list_id, name
            return list_id

    def _batch(self, rows):
        """The vendor's rows for our rows, less the numbers it cannot take."""
        from telephony.vendors.cpaas.types import NUMBER_RE

        out = []
        for row in rows:
            digits = row["number"].removeprefix("+")
            if not NUMBER_RE.fullmatch(digits):
                continue
            if self.is_dnd:
                out.append({"number": digits, "name": row["name"]})
            elif self.campaign_id is not None:
                # The vendor fills {placeholders} from contact fields only, with \w+
                # names: a target's fields renamed so, plus the built-in name and number.
                values = {**(row["fields"] or {}), "name": row["name"], "number": row["number"]}
                fields = {
                    vendor_field(key): "" if val is None else str(val)
                    for key, val in values.items()
                }
                out.append({"number": digits, "name": row["name"], "fields": fields})
            else:
                fields = {
                    key: "" if val is None else str(val)
                    for key, val in (row["fields"] or {}).items()
                }
                out.append({"number": digits, "name": row["name"], "fields": fields})
        return out

    def _send(self, client, batch):
        import time

        from telephony.vendors.base import RateLimited, VendorError

        for attempt in range(len(self.RETRY_DELAYS) + 1):
            try:
                if self.is_dnd:
                    return client.add_dnd_contacts(
                        dnd_list_id=self.vendor_list_id, contacts=batch, batch_size=len(batch)
                    )
                return client.add_contacts(
                    list_id=self.vendor_list_id, contacts=batch, batch_size=len(batch)
                )
            except VendorError as exc:
                if not exc.retryable or attempt >= len(self.RETRY_DELAYS):
                    raise
                delay = self.RETRY_DELAYS[attempt]
                if isinstance(exc, RateLimited) and exc.retry_after:
                    delay = max(delay, exc.retry_after)
                time.sleep(delay)

    def _send_pending(self, client, started):
        """Send every pending row in batches; returns how many were sent, or None when
        the time budget ran out and a new task carries on."""
        from django_q.tasks import async_task

        columns = ["id", "number", "name"] if self.is_dnd else ["id", "number", "name", "fields"]
        sent = 0
        while True:
            rows = list(self.pending_rows().values(*columns)[: self.BATCH_SIZE])
            if not rows:
                return sent
            batch = self._batch(rows)
            if batch:
                self._send(client, batch)
            # The vendor has the batch: record it in one UPDATE (one transaction).
            with transaction.atomic():
                stamp = timezone.now()
                VendorPush.objects.filter(pk=self.pk).update(
                    last_pushed_id=rows[-1]["id"],
                    pushed_count=F("pushed_count") + len(batch),
                    skipped_count=F("skipped_count") + len(rows) - len(batch),
                    last_pushed_at=stamp if batch else F("last_pushed_at"),
                    updated_at=stamp,
                )
            self.last_pushed_id = rows[-1]["id"]
            sent += len(batch)
            if (timezone.now() - started).total_seconds() > self.TIME_BUDGET_SECONDS:
                # Hand over before the worker's timeout kills this task mid-batch.
                VendorPush.objects.filter(pk=self.pk).update(
                    status=self.Status.QUEUED, updated_at=timezone.now()
                )
                async_task("campaigns.tasks.push_list", self.pk, task_name=f"push-{self.pk}")
                return None
