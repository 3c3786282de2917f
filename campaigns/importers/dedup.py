"""The numbers an import has seen, each with the row it first came on, in little memory.

The error report names the row a duplicate repeats ("duplicate of row 12"), so the job
must know every number's first row. A dict of a million numbers to rows costs ~36 MB
more than the set the job used to keep (every row number is an int object): too much
for the 300 MB a million-row import may use. So: the set answers "seen?" (every row
asks), the current batch's first rows sit in a small dict, and each finished batch is
kept as two sorted arrays (8 + 4 bytes a number), searched by bisection only when a
duplicate turns up. Numbers come as floats of their digits (job.py): exact below 2**53,
and 8 bytes smaller than an int, which pays for the arrays."""

from array import array
from bisect import bisect_left


class FirstRows:
    def __init__(self):
        self.seen = set()
        self.recent: dict[float, int] = {}
        self.sealed: list[tuple[array, array]] = []

    def __contains__(self, key: float) -> bool:
        return key in self.seen

    def add(self, key: float, row: int):
        """A number not seen before (check `in` first), on `row`. (The job's loop does
        this inline, on `seen` and `recent`: a method call a row costs ~1 s a million.)"""
        self.seen.add(key)
        self.recent[key] = row

    def first(self, key: float) -> int | None:
        """The row `key` first came on."""
        row = self.recent.get(key)
        if row is not None:
            return row
        for keys, rows in self.sealed:
            i = bisect_left(keys, key)
            if i < len(keys) and keys[i] == key:
                return rows[i]
        return None

    def seal(self):
        """Keep this batch's first rows compactly (call between batches)."""
        if self.recent:
            # A list of floats sorts on C's fast path; (key, row) tuples take 5x longer.
            keys = sorted(self.recent)
            self.sealed.append((array("d", keys), array("I", map(self.recent.__getitem__, keys))))
            self.recent.clear()  # in place: the job holds it (and `seen`) by name
