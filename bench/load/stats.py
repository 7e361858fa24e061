"""Summaries (min / median / max) and the number formats of the results table."""

import dataclasses
import statistics


@dataclasses.dataclass
class Summary:
    n: int
    min: float
    median: float
    max: float

    def map(self, fn):
        """The same summary with every figure passed through `fn` (e.g. a unit change)."""
        return Summary(self.n, fn(self.min), fn(self.median), fn(self.max))


def summarize(values):
    """Summary of a non-empty sequence of numbers, or None for an empty one."""
    values = [v for v in values if v is not None]
    if not values:
        return None
    return Summary(len(values), min(values), statistics.median(values), max(values))


def ratio(a, b):
    """a / b, or None when either is missing or b is zero."""
    if a is None or b in (None, 0):
        return None
    return a / b


def fmt_ratio(r):
    return "n/a" if r is None else f"{r:.2f}×"


def fmt_count(x):
    return "n/a" if x is None else f"{x:,.0f}"


def fmt_time(seconds):
    """A duration with a unit that keeps 2-4 significant digits: ns, µs, ms or s."""
    if seconds is None:
        return "n/a"
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("µs", 1e-6)):
        if seconds >= scale:
            value = seconds / scale
            return f"{value:.0f} {unit}" if value >= 100 else f"{value:.3g} {unit}"
    return f"{seconds * 1e9:.3g} ns"


def fmt_bytes(n):
    """Bytes as B, KiB or MiB."""
    if n is None:
        return "n/a"
    sign = "-" if n < 0 else ""
    n = abs(n)
    if n >= 1 << 20:
        return f"{sign}{n / (1 << 20):.1f} MiB"
    if n >= 1 << 10:
        return f"{sign}{n / (1 << 10):.1f} KiB"
    return f"{sign}{n:.0f} B"


def fmt_summary(summary, fmt):
    """"min / median / max" with each figure formatted by `fmt`; one figure when n == 1."""
    if summary is None:
        return "n/a"
    if summary.n == 1:
        return fmt(summary.median)
    return f"{fmt(summary.min)} / **{fmt(summary.median)}** / {fmt(summary.max)}"
