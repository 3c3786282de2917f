"""The builder's checks and preview of a campaign (issue #5).

An unsaved form has no many-to-many rows yet, so every method here takes the contact
list and DND list ids explicitly; `problems()` with no ids reads the saved ones (that is
what `Campaign.start()` calls). Counts are aggregate queries over the lists: a list of a
million contacts costs a few queries, never a Python loop over contacts."""

import math
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Count, Exists, OuterRef, Q
from django.utils import timezone

# Which vendor plays which kind of campaign (Omilia runs no campaigns at all).
VENDOR_KINDS = {
    "cpaas": ("tts", "audio", "ivr"),
    "myoperator": ("ivr",),
    "oca": ("ivr",),
}
VENDOR_NAMES = {"cpaas": "CPaaS", "myoperator": "MyOperator OBD", "oca": "OCA"}
KIND_WORDS = {"tts": "text-to-speech", "audio": "recorded audio", "ivr": "an IVR"}
MAX_CALLS_PER_MINUTE = 6000


def vendor_kind_problem(vendor: str, kind: str) -> str | None:
    """Why `vendor` cannot run a `kind` campaign, in words; None when it can."""
    kinds = VENDOR_KINDS.get(vendor)
    if not kinds:
        return f"{VENDOR_NAMES.get(vendor, vendor)} accounts cannot run campaigns."
    if kind in kinds:
        return None
    name = VENDOR_NAMES[vendor]
    if kinds == ("ivr",):
        return f"{name} plays an IVR, not {KIND_WORDS.get(kind, kind)}: choose IVR."
    return f"{name} cannot play {KIND_WORDS.get(kind, kind)}."


@dataclass
class Preview:
    """What the builder's preview panel shows (numbers are distinct numbers)."""

    contacts: int = 0  # active contact rows over the lists (a number in two lists twice)
    numbers: int = 0  # distinct numbers: what the campaign would call at most
    dnd_blocked: int = 0
    invalid: int = 0
    eligible: int = 0
    outside_hours: int | None = None  # None: the vendor ignores calling hours (CPaaS)
    open_zones: list = field(default_factory=list)
    closed_zones: list = field(default_factory=list)
    minutes: int = 0
    days: int | None = None  # calling days the daily window needs; None without one
    window_minutes: int | None = None
    sample: dict | None = None  # the first eligible contact: name, number, values
    rendered: str = ""  # the announcement as the sample contact hears it
    rendered_variables: dict = field(default_factory=dict)
    invalid_reason: str = ""

    @property
    def duplicates(self) -> int:
        return self.contacts - self.numbers

    @property
    def duration(self) -> str:
        """The estimated dialing time at the rate, in words (retries not included)."""
        if not self.eligible:
            return "nothing to dial"
        minutes = self.minutes
        if minutes < 60:
            return f"about {minutes} minute{'s' if minutes != 1 else ''}"
        hours, rest = divmod(minutes, 60)
        text = f"about {hours} hour{'s' if hours != 1 else ''}"
        return f"{text} {rest} min" if rest else text


class CampaignPreview:
    """Mixed into Campaign: what the builder checks and counts."""

    # -- the lists ----------------------------------------------------------------------

    def _list_ids(self, contact_list_ids):
        if contact_list_ids is None:
            return list(self.contact_lists.values_list("id", flat=True)) if self.pk else []
        return [int(pk) for pk in contact_list_ids]

    def _dnd_ids(self, dnd_list_ids):
        from .lists import DndList

        if dnd_list_ids is None:
            chosen = self.dnd_lists.values_list("id", flat=True) if self.pk else []
        else:
            chosen = [int(pk) for pk in dnd_list_ids]
        return list(DndList.objects.applying_to(chosen).values_list("id", flat=True))

    def contacts_of(self, contact_list_ids):
        from .lists import Contact

        return Contact.objects.filter(contact_list_id__in=contact_list_ids, is_active=True)

    # -- problems -----------------------------------------------------------------------

    def problems(
        self, contact_list_ids=None, *, required_variables=None, now: datetime | None = None
    ) -> dict[str, str]:
        """Field name -> what is wrong, in words; empty when the campaign may start.

        `contact_list_ids` defaults to the saved lists; `required_variables` are the
        chosen OCA IVR's (from the vendor's IVR list), when the caller knows them."""
        from .campaigns import BUILTIN_FIELDS
        from .lists import ContactList

        now = now or timezone.now()
        ids = self._list_ids(contact_list_ids)
        found = {}
        account = getattr(self, "account", None) if self.account_id else None
        vendor = account.kind if account else ""
        if account is None:
            found["account"] = "Choose the vendor account that places the calls."
        elif not account.is_active:
            found["account"] = (
                f"The account {account.name} is disabled: enable it or choose another."
            )
        if account is not None:
            problem = vendor_kind_problem(vendor, self.kind)
            if problem:
                found["kind" if vendor in VENDOR_KINDS else "account"] = problem

        # What it plays
        if self.kind == "tts" and not (self.announcement_text or "").strip():
            found["announcement_text"] = "Write the announcement the contacts will hear."
        if self.kind == "audio":
            audio = (self.audio_file or "").strip()
            if not audio:
                found["audio_file"] = "Give the name of the recorded file the vendor holds."
            elif vendor == "cpaas" and not audio.lower().endswith(".wav"):
                found["audio_file"] = "CPaaS plays .wav files: give a file name ending in .wav."
        if self.kind == "ivr":
            if vendor == "cpaas" and not (
                (self.announcement_text or "").strip() or (self.audio_file or "").strip()
            ):
                found["announcement_text"] = (
                    "CPaaS plays a greeting before connecting to the IVR: write one, "
                    "or give a recorded .wav file."
                )
            if vendor in ("myoperator", "oca") and not (self.ivr_id or "").strip():
                found["ivr_id"] = (
                    "Choose the IVR to play (an admin lists the account's MyOperator IVRs "
                    "on its page)."
                    if vendor == "myoperator"
                    else "Choose the OCA IVR to play."
                )
        if vendor == "oca" and self.kind == "ivr":
            mapped = self.ivr_variables or {}
            missing = [
                name
                for name in (required_variables or mapped.keys())
                if not str(mapped.get(name) or "").strip()
            ]
            if missing:
                found["ivr_variables"] = (
                    f"The IVR needs {', '.join(missing)}: give each a value or a contact "
                    "field such as {" + missing[0] + "}."
                )

        # Caller id (a rotation over a set or a pool needs no single one: the form
        # checks the set or pool is chosen)
        rotates = vendor != "cpaas" and self.rotates_caller_ids
        if vendor in ("cpaas", "oca") and not rotates and not (self.caller_id or "").strip():
            found["caller_id"] = "Choose the caller id the contacts will see."
        elif vendor == "cpaas" and not (self.caller_id or "").strip().lstrip("+").isdigit():
            found["caller_id"] = "CPaaS caller ids are digits only (3 to 15)."

        # Who
        if not ids:
            found["contact_lists"] = "Choose at least one contact list."
        else:
            lists = list(ContactList.objects.filter(pk__in=ids).order_by("name"))
            used = self._used_fields_of_kind(vendor)
            lacking = {}
            for name in used:
                for contact_list in lists:
                    have = set(BUILTIN_FIELDS) | set(contact_list.custom_fields or [])
                    if name not in have:
                        lacking.setdefault(name, []).append(contact_list.name)
            if lacking:
                where = (
                    "ivr_variables"
                    if self.kind == "ivr" and vendor == "oca"
                    else "announcement_text"
                )
                parts = [
                    f"{{{name}}} is not a field of {', '.join(names)}"
                    for name, names in lacking.items()
                ]
                message = "; ".join(parts) + "."
                found[where] = f"{found[where]} {message}" if where in found else message

        # When
        schedule = self.schedule()
        for name, message in schedule.errors().items():
            found.setdefault(name, message)
        if vendor == "cpaas" and not self.ends_at:
            found.setdefault("ends_at", "CPaaS needs an end date and time.")
        if self.ends_at and self.ends_at <= now and "ends_at" not in found:
            found["ends_at"] = f"The end ({schedule.local(self.ends_at)}) has already passed."

        # Pace
        if not 1 <= (self.calls_per_minute or 0) <= MAX_CALLS_PER_MINUTE:
            found["calls_per_minute"] = (
                f"Calls per minute must be between 1 and {MAX_CALLS_PER_MINUTE:,}."
            )
        if vendor == "cpaas" and not self.repeat_count:
            found["repeat_count"] = "The announcement must play at least once."
        return found

    def _used_fields_of_kind(self, vendor: str) -> list[str]:
        """Placeholders the contacts must fill: the announcement (TTS, and the CPaaS IVR
        greeting) or the OCA IVR variables."""
        from .campaigns import placeholders

        texts = []
        if self.kind == "tts" or (self.kind == "ivr" and vendor == "cpaas"):
            texts.append(self.announcement_text)
        if self.kind == "ivr" and vendor == "oca":
            texts += [str(value) for value in (self.ivr_variables or {}).values()]
        names = []
        for text in texts:
            names += [name for name in placeholders(text) if name not in names]
        return names

    # -- the preview --------------------------------------------------------------------

    def preview(self, now: datetime | None = None, contact_list_ids=None, dnd_list_ids=None):
        """Counts over the chosen lists as of `now`: distinct numbers, DND-blocked (the
        chosen DND lists and the global list), invalid for this vendor, eligible, and
        eligible numbers outside their calling hours now; the estimated duration; and
        the announcement (or IVR variables) rendered for the first eligible contact."""
        from .lists import DndEntry

        now = now or timezone.now()
        list_ids = self._list_ids(contact_list_ids)
        result = Preview(invalid_reason=self.invalid_reason() if self.account_id else "")
        if not list_ids or not self.account_id:
            return result
        dnd_ids = self._dnd_ids(dnd_list_ids)
        schedule = self.schedule()
        contacts = self.contacts_of(list_ids).alias(
            blocked=Exists(
                DndEntry.objects.filter(number=OuterRef("number"), dnd_list_id__in=dnd_ids)
            )
        )
        blocked = Q(blocked=True)
        invalid = ~blocked & self.invalid_number_q()
        eligible = ~blocked & ~self.invalid_number_q()
        counts = {
            "contacts": Count("id"),
            "numbers": Count("number", distinct=True),
            "dnd_blocked": Count("number", distinct=True, filter=blocked),
            "invalid": Count("number", distinct=True, filter=invalid),
            "eligible": Count("number", distinct=True, filter=eligible),
        }
        if not self.is_native:
            zones = self._zones_of(list_ids)
            open_zones = schedule.open_zones(now, zones)
            result.open_zones = [name or "unknown" for name in open_zones]
            result.closed_zones = [name or "unknown" for name in zones if name not in open_zones]
            counts["outside_hours"] = Count(
                "number", distinct=True, filter=eligible & ~Q(time_zone__in=open_zones)
            )
        for name, value in contacts.aggregate(**counts).items():
            setattr(result, name, value)

        rate = max(1, min(self.calls_per_minute or 1, MAX_CALLS_PER_MINUTE))
        result.minutes = math.ceil(result.eligible / rate) if result.eligible else 0
        if not self.is_native and not schedule.errors():
            window = self.window_length()
            result.window_minutes = window
            if window and result.eligible:
                result.days = math.ceil(result.minutes / window)

        sample = contacts.filter(eligible).order_by("id").first()
        if sample:
            values = {**(sample.fields or {}), "name": sample.name, "number": sample.number}
            result.sample = {"name": sample.name, "number": sample.number, "values": values}
            if self.kind == "ivr" and self.vendor == "oca":
                result.rendered_variables = self.ivr_values_for(values)
            elif self.kind in ("tts", "ivr"):
                result.rendered = self.render_for(values)
        return result

    def _zones_of(self, list_ids) -> list[str]:
        """The contacts' distinct time zones ('' for unknown, which the campaign's zone
        stands in for): one index seek per zone on each list."""
        from .lists import ContactList

        zones = set()
        for contact_list in ContactList.objects.filter(pk__in=list_ids):
            zones.update(contact_list.time_zones())
            if contact_list.contacts.filter(time_zone="").exists():
                zones.add("")
        return sorted(zones)

    def window_length(self) -> int:
        """Minutes in one daily window (an overnight window runs past midnight)."""
        start = timedelta(hours=self.window_start.hour, minutes=self.window_start.minute)
        end = timedelta(hours=self.window_end.hour, minutes=self.window_end.minute)
        if end <= start:
            end += timedelta(days=1)
        return int((end - start).total_seconds() // 60)

    @property
    def daily_cap(self) -> int:
        return settings.CAMPAIGN_DAILY_CAP
