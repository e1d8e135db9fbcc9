"""A small mergeable quantile sketch for durations (relative error about 1 %).

Values fall into logarithmic bins: bin ``i`` holds values in
``(gamma**(i-1), gamma**i]``, so any quantile read back is within ``ALPHA`` of
a true value from that rank. Adding is a logarithm and a dict increment;
sketches of several minutes merge by adding bins, so a window of any length
is answered from per-minute sketches. The bin count is bounded by the value
range (about 1,000 bins between 1 µs and 15 minutes), not by the number of
values.
"""

from __future__ import annotations

import math

ALPHA = 0.01  # relative accuracy
_GAMMA = (1 + ALPHA) / (1 - ALPHA)
_LOG_GAMMA = math.log(_GAMMA)
_SMALLEST = 1e-3  # values at or below go to one bin, reported as 0


class Sketch:
    __slots__ = ("bins", "count", "maximum", "total", "zeros")

    def __init__(self) -> None:
        self.bins: dict[int, int] = {}
        self.zeros = 0
        self.count = 0
        self.total = 0.0
        self.maximum = 0.0

    def add(self, value: float) -> None:
        self.count += 1
        self.total += value
        if value > self.maximum:
            self.maximum = value
        if value <= _SMALLEST:
            self.zeros += 1
            return
        index = math.ceil(math.log(value) / _LOG_GAMMA)
        bins = self.bins
        bins[index] = bins.get(index, 0) + 1

    def merge(self, other: Sketch) -> None:
        self.count += other.count
        self.total += other.total
        self.zeros += other.zeros
        if other.maximum > self.maximum:
            self.maximum = other.maximum
        bins = self.bins
        for index, n in other.bins.items():
            bins[index] = bins.get(index, 0) + n

    @property
    def average(self) -> float | None:
        return self.total / self.count if self.count else None

    def quantile(self, q: float) -> float | None:
        """The value at quantile ``q`` (0..1), None when empty; never above the maximum."""
        if not self.count:
            return None
        rank = q * (self.count - 1)
        seen = self.zeros
        if seen > rank:
            return 0.0
        for index in sorted(self.bins):
            seen += self.bins[index]
            if seen > rank:
                estimate = 2 * _GAMMA ** index / (_GAMMA + 1)
                return min(estimate, self.maximum)
        return self.maximum
