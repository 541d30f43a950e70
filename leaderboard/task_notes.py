"""What ``tasks.yaml`` tells the leaderboard about each task (its ``leaderboard:`` keys).

* ``noise_floor`` (stored units, default :data:`DEFAULT_NOISE_FLOOR`): the
  smallest best-minus-baseline gap the SUPERB score trusts when a column has
  no seed spread to measure its noise.
* ``published_comparable`` (default true) and ``published_note``: false when
  the project knowingly departs from the protocol behind the published
  numbers; such a column is never scaled against published rows.
"""

from __future__ import annotations

from dataclasses import dataclass

#: Noise floor of a task whose tasks.yaml entry sets none: one percentage point.
DEFAULT_NOISE_FLOOR = 0.01


@dataclass(frozen=True)
class TaskNotes:
    """The leaderboard settings of one task."""

    noise_floor: float = DEFAULT_NOISE_FLOOR
    published_comparable: bool = True
    published_note: str = ""


def task_notes() -> dict[str, TaskNotes]:
    """Task name -> :class:`TaskNotes` from the tasks file (missing tasks get the defaults)."""
    from benchmark.tasks import load_tasks

    return {name: TaskNotes(**spec.leaderboard) for name, spec in load_tasks().items()}


def notes_of(task: str, notes: dict[str, TaskNotes]) -> TaskNotes:
    """``notes[task]``, or the defaults for a task tasks.yaml does not (yet) define."""
    return notes.get(task, TaskNotes())
