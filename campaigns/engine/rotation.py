"""Caller-id rotation in Dialdesk's own engine (issue 12): which inventory number each
call goes out from.

A campaign's caller_source is one number, a NumberSet or a pool of PhoneNumbers of its
account; caller_strategy orders the candidates for each call:
- round robin: the numbers in turn (by id), from the one after the last used;
- least used today: the fewest calls today first (every campaign's calls count);
- region: numbers whose region or telecom circle is the contact's (the contact's own
  `region` or `circle` field, else what the number's prefix says), then numbers of the
  contact's area code, then the rest, least used first within each;
- preference: MyOperator's own order (seed 000: caller_id > group > region): the
  campaign's caller id while it can dial, then the numbers of its group, then of its
  region; a tier is used only when every number above it is out.

Numbers resting, spam-likely or flagged by the health rules are skipped; a number's
PhoneNumber.daily_cap is kept by CallerIdDay.take (one conditional UPDATE per call, so
two workers never both take a number's last call of the day). When no number is left,
the campaign pauses with the reason in words (Campaign.pause_for_vendor, by SETUP)."""

from dataclasses import dataclass, field

import phonenumbers

from campaigns.models.caller_ids import CallerIdDay, number_day


class NoCallerId(Exception):
    """No number of the campaign's pool may dial now; the words say why."""

    def __init__(self, words: str):
        super().__init__(words)
        self.words = words


HINT = (
    "Add numbers to the campaign's pool or set, mark a number active again, or raise a "
    "daily cap under Numbers, then resume."
)


def wire_caller_id(vendor: str, value: str) -> str:
    """A caller id as the vendor takes it. Inventory numbers are E.164; MyOperator's
    DIDs (seed 000: "011609822") and OCA's numbers ("021…") are national, with the trunk
    0; CPaaS takes digits. A value without '+' (typed before the inventory) is sent as
    it is."""
    if not value or not value.startswith("+"):
        return value
    try:
        parsed = phonenumbers.parse(value)
    except phonenumbers.NumberParseException:
        return value
    if vendor in ("myoperator", "oca"):
        national = phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.NATIONAL)
        return "".join(ch for ch in national if ch.isdigit())
    return value.lstrip("+")


def area_code(e164: str) -> str:
    """Country code and geographic area code ("91-11" for Delhi), "" for a mobile."""
    try:
        parsed = phonenumbers.parse(e164)
    except phonenumbers.NumberParseException:
        return ""
    length = phonenumbers.length_of_geographical_area_code(parsed)
    if not length:
        return ""
    national = phonenumbers.national_significant_number(parsed)
    return f"{parsed.country_code}-{national[:length]}"


def contact_region(number: str, fields: dict | None) -> str:
    """The contact's region or telecom circle: its own field if the list has one, else
    what the number's prefix says when that is finer than the country."""
    for name in ("region", "circle"):
        value = str((fields or {}).get(name) or "").strip()
        if value:
            return value.casefold()
    try:
        parsed = phonenumbers.parse(number)
    except phonenumbers.NumberParseException:
        return ""
    # The geocoder's data is ~100 MB: load it only when a region match needs it, not in
    # every process that imports the engine (the import job's reader and writer too).
    from phonenumbers import geocoder

    place = geocoder.description_for_number(parsed, "en")
    country = geocoder.country_name_for_number(parsed, "en")
    return "" if place == country else place.casefold()


@dataclass
class Candidate:
    pk: int
    number: str
    region: str
    group: str
    cap: int | None
    used: int = 0
    area: str = field(default="")


class Rotation:
    """Picks a caller id per call for one runner (one runner dials a campaign at a time,
    so round robin's place is kept here; the daily caps are in the database)."""

    def __init__(self, campaign):
        from campaigns.models import CallerSource

        self.campaign = campaign
        self.last_pk = None
        self.active = campaign.rotates_caller_ids or (
            campaign.caller_source == CallerSource.ONE
            and campaign.caller_id.startswith("+")
            and self._pool().exists()
        )
        if self.active and self.last_pk is None:
            last = (
                campaign.attempts.exclude(caller_id="")
                .order_by("-dialed_at", "-pk")
                .values_list("caller_id", flat=True)
                .first()
            )
            if last:
                self.last_pk = self._pool().filter(number=last).values_list("pk", flat=True).first()

    def _pool(self):
        from campaigns.models import CallerSource
        from phone_numbers.models import PhoneNumber

        campaign = self.campaign
        numbers = PhoneNumber.objects.filter(account_id=campaign.account_id)
        if campaign.caller_source == CallerSource.SET:
            return numbers.filter(sets__id=campaign.caller_set_id)
        if campaign.caller_source == CallerSource.POOL:
            return numbers.filter(pk__in=campaign.caller_pool.values("pk"))
        return numbers.filter(number=campaign.caller_id)

    def candidates(self, now) -> list[Candidate]:
        """The usable numbers of the pool with their calls today; NoCallerId if none."""
        pool = list(
            self._pool()
            .order_by("pk")
            .values_list("pk", "number", "region", "group", "daily_cap", "status", "health_flag")
        )
        if not pool:
            raise NoCallerId(f"No caller id to dial from: {self.describe_source()} is empty.")
        usable = [row for row in pool if row[5] == "active" and not row[6]]
        if not usable:
            skipped = "; ".join(
                f"{number} {row_reason(status, flag)}"
                for _pk, number, _r, _g, _c, status, flag in pool[:5]
            )
            raise NoCallerId(
                "No caller id left to dial from: every number in "
                f"{self.describe_source()} is resting, spam-likely or flagged by the "
                f"health rules ({skipped}{'; …' if len(pool) > 5 else ''})."
            )
        days = {pk: number_day(number, now) for pk, number, *_ in usable}
        used = CallerIdDay.used_on(list(days), days)
        candidates = [
            Candidate(
                pk=pk,
                number=number,
                region=(region or "").casefold(),
                group=group or "",
                cap=cap,
                used=used.get(pk, 0),
                area=area_code(number),
            )
            for pk, number, region, group, cap, _status, _flag in usable
        ]
        open_today = [c for c in candidates if c.cap is None or c.used < c.cap]
        if not open_today:
            raise NoCallerId(self.capped_words())
        return open_today

    def capped_words(self) -> str:
        return (
            "No caller id left to dial from today: every usable number in "
            f"{self.describe_source()} reached its daily cap."
        )

    def describe_source(self) -> str:
        from campaigns.models import CallerSource

        campaign = self.campaign
        if campaign.caller_source == CallerSource.SET:
            name = campaign.caller_set.name if campaign.caller_set_id else "(deleted)"
            return f"the number set {name}"
        if campaign.caller_source == CallerSource.POOL:
            return "the campaign's pool"
        return f"the caller id {campaign.caller_id}"

    # -- ordering --------------------------------------------------------------------

    def ordered(self, candidates: list[Candidate], number: str, fields) -> list[Candidate]:
        from campaigns.models import CallerStrategy

        strategy = self.campaign.caller_strategy
        if len(candidates) == 1:
            return candidates
        if strategy == CallerStrategy.LEAST_USED:
            return sorted(candidates, key=lambda c: (c.used, c.pk))
        if strategy == CallerStrategy.REGION:
            region = contact_region(number, fields)
            area = area_code(number)

            def rank(c):
                if region and c.region == region:
                    return 0
                if area and c.area == area:
                    return 1
                return 2

            return sorted(candidates, key=lambda c: (rank(c), c.used, c.pk))
        if strategy == CallerStrategy.PREFERENCE:
            return self.preferred(candidates)
        # Round robin: the numbers in turn, from the one after the last used.
        after = [c for c in candidates if self.last_pk is not None and c.pk > self.last_pk]
        before = [c for c in candidates if c not in after]
        return after + before

    def preferred(self, candidates: list[Candidate]) -> list[Candidate]:
        campaign = self.campaign
        tiers = []
        if campaign.caller_id:
            tiers.append([c for c in candidates if c.number == campaign.caller_id])
        if campaign.caller_group:
            tiers.append([c for c in candidates if c.group == campaign.caller_group])
        if campaign.caller_region:
            region = campaign.caller_region.casefold()
            tiers.append([c for c in candidates if c.region == region])
        if not tiers:
            tiers = [candidates]
        for tier in tiers:
            if tier:
                return sorted(tier, key=lambda c: (c.used, c.pk))
        return []

    # -- picking ---------------------------------------------------------------------

    def pick(self, targets, now) -> dict[int, str]:
        """A caller id (E.164) for each of `targets` ((id, number, fields)), in order,
        each taken against its number's daily cap; stops at the first target no number
        is left for. NoCallerId when not even the first gets one."""
        candidates = self.candidates(now)
        picked = {}
        for target_id, number, fields in targets:
            chosen = None
            while candidates and chosen is None:
                ordered = self.ordered(candidates, number, fields)
                if not ordered:
                    break
                candidate = ordered[0]
                day = number_day(candidate.number, now)
                if CallerIdDay.take(candidate.pk, day, candidate.cap):
                    candidate.used += 1
                    chosen = candidate
                if candidate.cap is not None and (
                    chosen is None or candidate.used >= candidate.cap
                ):
                    # At its cap (another runner may have taken the last calls first).
                    candidates = [c for c in candidates if c.pk != candidate.pk]
            if chosen is None:
                break
            self.last_pk = chosen.pk
            picked[target_id] = chosen.number
        if not picked and targets:
            raise NoCallerId(self.capped_words())
        return picked


def row_reason(status: str, flag: str) -> str:
    if flag:
        return f"flagged: {flag}"
    return {"resting": "resting", "spam_likely": "spam-likely"}.get(status, status)
