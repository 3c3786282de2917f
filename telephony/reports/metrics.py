"""The report figures and their definitions (ITU-T E.411 / E.425, as DESIGN.md states
them). One place computes them from rollup measures, so the overview, the group-by
table, home and the tests all agree."""

from dataclasses import dataclass

DEFINITIONS = {
    "calls": "Calls: every call attempt (seizure) that started in the period, whatever "
    "its outcome.",
    "asr": "ASR, Answer Seizure Ratio (ITU-T E.411): answered calls ÷ call attempts.",
    "ner": "NER, Network Effectiveness Ratio (ITU-T E.425): (answered + busy + no answer) "
    "÷ call attempts. It leaves out the called party's own choices, so it measures the "
    "network's ability to deliver a call.",
    "acd": "ACD, Average Call Duration (ITU-T E.411): billable seconds ÷ answered calls.",
    "talk_minutes": "Talk minutes: the sum of billable seconds of every call, in minutes.",
    "short_pct": "Short calls: answered calls with under 10 billable seconds ÷ answered calls.",
    "answered": "Answered: calls the called party picked up.",
}
LABELS = {
    "calls": "Calls",
    "asr": "ASR",
    "ner": "NER",
    "acd": "ACD",
    "talk_minutes": "Talk minutes",
    "short_pct": "Short calls",
    "answered": "Answered",
}
# Which figures are rates (their change is in percentage points, not per cent).
RATES = {"asr", "ner", "short_pct"}


def _ratio(part, whole):
    return part / whole if whole else None


def derived(m: dict) -> dict:
    """Measures (calls, answered, busy, no_answer, failed, billable_seconds,
    short_calls) -> the figures; None where the denominator is zero."""
    calls, answered = m.get("calls", 0), m.get("answered", 0)
    return {
        "calls": calls,
        "answered": answered,
        "asr": _ratio(answered, calls),
        "ner": _ratio(answered + m.get("busy", 0) + m.get("no_answer", 0), calls),
        "acd": _ratio(m.get("billable_seconds", 0), answered),
        "talk_minutes": m.get("billable_seconds", 0) / 60,
        "short_pct": _ratio(m.get("short_calls", 0), answered),
    }


def display(key: str, value) -> str:
    if value is None:
        return "—"
    if key in RATES:
        return f"{value * 100:.1f}%"
    if key == "acd":
        return f"{value:.0f} s" if value < 120 else f"{int(value) // 60}m {int(value) % 60}s"
    if key == "talk_minutes":
        return f"{value:,.0f}" if value >= 100 else f"{value:,.1f}"
    return f"{int(value):,}"


@dataclass
class Figure:
    key: str
    value: float | None
    previous: float | None

    @property
    def label(self):
        return LABELS[self.key]

    @property
    def definition(self):
        return DEFINITIONS[self.key]

    @property
    def shown(self):
        return display(self.key, self.value)

    @property
    def change(self) -> float | None:
        """Rates: the difference in percentage points; others: the relative change in %."""
        if self.value is None or self.previous is None:
            return None
        if self.key in RATES:
            return (self.value - self.previous) * 100
        if not self.previous:
            return None
        return (self.value - self.previous) / self.previous * 100

    @property
    def change_shown(self) -> str:
        change = self.change
        if change is None:
            return "no earlier data" if self.previous in (None, 0) else "—"
        unit = " pp" if self.key in RATES else "%"
        return f"{change:+.1f}{unit}"

    @property
    def direction(self) -> str:
        change = self.change
        if change is None or abs(change) < 0.05:
            return "flat"
        return "up" if change > 0 else "down"


FIGURE_KEYS = ("calls", "asr", "ner", "acd", "talk_minutes", "short_pct")


def figures(current: dict, previous: dict) -> list[Figure]:
    now, before = derived(current), derived(previous)
    return [Figure(key, now[key], before[key]) for key in FIGURE_KEYS]
