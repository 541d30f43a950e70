"""Estimates of the time left in a list of jobs (``superb submit``, ``superb sweep``)."""

from __future__ import annotations


class JobClock:
    """Time left of ``total`` jobs from the mean duration of those run so far.

    Reused jobs (a finished result found) cost nothing and do not enter the mean;
    ``workers`` jobs run side by side, so the remaining work is divided by it.
    """

    def __init__(self, total: int, workers: int = 1):
        self.total, self.workers, self.done = total, max(1, workers), 0
        self.run_seconds: list[float] = []

    def finished(self, seconds: float, reused: bool) -> None:
        self.done += 1
        if not reused:
            self.run_seconds.append(seconds)

    def seconds_left(self) -> float | None:
        """Estimated wall seconds until every job is done, ``None`` before any job has run."""
        if not self.run_seconds:
            return None
        return sum(self.run_seconds) / len(self.run_seconds) * (self.total - self.done) / self.workers

    def left(self) -> str:
        """``" (about 3 min left)"`` once a job has run, else ``""``."""
        seconds = self.seconds_left()
        if seconds is None or self.done >= self.total:
            return ""
        return f" (about {seconds / 60:.0f} min left)" if seconds >= 90 else f" (about {seconds:.0f} s left)"
