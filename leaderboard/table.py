"""The table model: which runs fill which cell, statistics, shading, score.

From a list of :class:`~leaderboard.load.Run`, :func:`build_tables` makes one
or more :class:`Table`:

* **Corpus versions never mix.** A corpus version is (name, synthetic flag,
  content hash). Real and synthetic runs always go to separate tables. Within
  each kind, if a task was run on several versions, the runs are split over
  several tables: the first table holds, for every task, its most used
  version; the second the next one, and so on. Each table lists the corpus
  version of every column it shows.
* **Rows** are one per upstream (``upstream_id``: name plus weights hash) and
  featurizer mode. The label is the display name, with the id when two
  upstreams share a name and the featurizer mode when one upstream was run
  with several.
* **Cells** hold the test metric of the selected runs. When one row and task
  has runs with several training settings (learning rate, step count), the
  setting with the best mean dev score on the task's main metric is shown
  (the SUPERB protocol tunes the learning rate on dev; never on test);
  without dev scores the most-seeded one is shown and a note says so. Within
  that setting each seed counts once (the newest run wins). Mean and sample
  standard deviation over seeds.
* **Shading** and **SUPERB score**: see :mod:`leaderboard.shading` and
  :mod:`leaderboard.score`.

Everything here is a pure function of the runs and the options.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from statistics import fmean, stdev

from .columns import COLUMNS, TASKS, Column, columns_of, main_column
from .load import CorpusVersion, Run
from .published import published_reference
from .score import Score, measured_reference, superb_score
from .shading import Shade, shade_column

SCORE_REFERENCES = ("measured", "published")
POOLED_TASKS = ("ks", "ic", "sid", "er")


@dataclass(frozen=True)
class Cell:
    """One (row, column) with its selected runs; never built without a value."""

    column: Column
    values: tuple[float, ...]
    runs: tuple[Run, ...]
    lr: float | None
    steps: int | None
    settings: int

    @property
    def n(self) -> int:
        """Number of seeds averaged."""
        return len(self.values)

    @property
    def mean(self) -> float:
        """Mean over seeds (stored units)."""
        return fmean(self.values)

    @property
    def std(self) -> float | None:
        """Sample standard deviation over seeds; None for a single seed."""
        return stdev(self.values) if len(self.values) > 1 else None

    def text(self) -> str:
        """Display text: ``"91.23"`` or ``"91.23 ± 0.45"`` (display units)."""
        s = self.column.display(self.mean)
        if self.std is not None:
            s += " \u00b1 " + self.column.display(self.std)
        return s

    def info(self) -> str:
        """One-line provenance for tooltips: seeds, learning rate, run ids."""
        seeds = ", ".join(str(r.seed) for r in self.runs)
        parts = [f"n={self.n} (seeds: {seeds})"]
        setting = ", ".join(([f"lr={self.lr:g}"] if self.lr is not None else [])
                            + ([f"steps={self.steps}"] if self.steps is not None else []))
        if setting:
            parts.append(setting + (f" (chosen among {self.settings} settings)" if self.settings > 1 else ""))
        parts.append("runs: " + ", ".join(r.run_id for r in self.runs))
        return "; ".join(parts)


@dataclass
class Row:
    """One upstream (and featurizer mode) in one table."""

    rid: str
    upstream: str
    upstream_id: str
    featurizer: str
    label: str
    cells: dict[str, Cell]
    runs: dict[str, tuple[Run, ...]]
    is_baseline: bool = False
    score: Score | None = None

    def means(self) -> dict[str, float]:
        """Column key -> mean value."""
        return {k: c.mean for k, c in self.cells.items()}


@dataclass
class Table:
    """One comparable table: a single corpus version per column."""

    slug: str
    title: str
    synthetic: bool
    corpora: dict[str, CorpusVersion]
    rows: list[Row]
    baseline_name: str
    baseline: Row | None
    score_reference: str
    shades: dict[tuple[str, str], Shade] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    score_note: str = ""

    def shade(self, row: Row, column: Column) -> Shade | None:
        """The shade of a cell, None when the cell is blank."""
        return self.shades.get((row.rid, column.key))

    @property
    def has_blanks(self) -> bool:
        """True when some row lacks some column."""
        return any(c.key not in r.cells for r in self.rows for c in COLUMNS)


def slugify(text: str, key: str = "") -> str:
    """A filename-safe slug; with ``key``, a short hash keeps it unique."""
    s = re.sub(r"[^A-Za-z0-9._-]+", "-", text).strip("-.")[:40] or "x"
    if key:
        s += "-" + hashlib.sha1(key.encode("utf-8")).hexdigest()[:6]
    return s


def _task_list(tasks) -> str:
    return ", ".join(t.upper() if t != "qbe" else "QbE" for t in tasks)


def split_by_corpus(runs: list[Run]) -> list[tuple[bool, dict[str, CorpusVersion], list[Run]]]:
    """Group runs into comparable sets: (synthetic, task -> version, runs).

    Real before synthetic; within a kind, the k-th set holds each task's k-th
    most used version (ties broken by name and hash).
    """
    groups = []
    for synthetic in (False, True):
        kind = [r for r in runs if r.corpus.synthetic == synthetic]
        by_task: dict[str, Counter] = defaultdict(Counter)
        for r in kind:
            by_task[r.task][r.corpus] += 1
        ordered = {
            t: sorted(c, key=lambda v, c=c: (-c[v], v.name, v.content_hash)) for t, c in by_task.items()
        }
        depth = max((len(v) for v in ordered.values()), default=0)
        for k in range(depth):
            corpora = {t: vs[k] for t, vs in ordered.items() if len(vs) > k}
            chosen = [r for r in kind if corpora.get(r.task) == r.corpus]
            groups.append((synthetic, corpora, chosen))
    return groups


Setting = tuple[float | None, int | None]  # (learning rate, steps)


def _select(runs: list[Run], notes: Counter) -> tuple[list[Run], Setting, int]:
    """Pick the training setting shown for one (row, task), and one run per seed.

    Returns the kept runs, the chosen (lr, steps) and the number of settings seen.
    """
    by_setting: dict[Setting, list[Run]] = defaultdict(list)
    for r in runs:
        by_setting[(r.lr, r.steps)].append(r)

    def tie_break(s: Setting):
        return (-len(by_setting[s]), s[0] is None, s[0] or 0.0, s[1] is None, s[1] or 0)

    if len(by_setting) == 1:
        chosen = next(iter(by_setting))
    else:
        col = main_column(runs[0].task, runs[0].main_metric)
        dev = {s: [r.dev[col.metric] for r in rs if col.metric in r.dev] for s, rs in by_setting.items()}
        with_dev = {s: fmean(v) for s, v in dev.items() if v}
        if with_dev:
            sign = -1.0 if col.higher_is_better else 1.0
            chosen = min(with_dev, key=lambda s: (sign * with_dev[s], *tie_break(s)))
            notes["setting_dev"] += 1
        else:
            chosen = min(by_setting, key=tie_break)
            notes["setting_nodev"] += 1
    by_seed: dict[object, Run] = {}
    for r in sorted(by_setting[chosen], key=lambda r: (r.created, r.run_id)):
        key = ("seed", r.seed) if r.seed is not None else ("run", r.run_id)
        if key in by_seed:
            notes["duplicate"] += 1
        by_seed[key] = r  # newest wins
    kept = sorted(by_seed.values(), key=lambda r: (not isinstance(r.seed, int),
                                                   r.seed if isinstance(r.seed, int) else str(r.seed), r.run_id))
    return kept, chosen, len(by_setting)


def _make_rows(runs: list[Run], notes: Counter) -> list[Row]:
    by_key: dict[tuple[str, str], list[Run]] = defaultdict(list)
    for r in runs:
        by_key[(r.upstream_id, r.featurizer)].append(r)
    ids_per_name: dict[str, set[str]] = defaultdict(set)
    modes_per_id: dict[str, set[str]] = defaultdict(set)
    for uid, feat in by_key:
        modes_per_id[uid].add(feat)
    for r in runs:
        ids_per_name[r.upstream].add(r.upstream_id)
    rows = []
    for (uid, feat), rs in by_key.items():
        name = rs[0].upstream
        label = uid if len(ids_per_name[name]) > 1 else name
        if len(modes_per_id[uid]) > 1:
            label += f" \u00b7 {feat}"
        per_task: dict[str, list[Run]] = defaultdict(list)
        for r in rs:
            per_task[r.task].append(r)
        cells: dict[str, Cell] = {}
        selected: dict[str, tuple[Run, ...]] = {}
        for task in TASKS:
            if task not in per_task:
                continue
            kept, (lr, steps), n_settings = _select(per_task[task], notes)
            selected[task] = tuple(kept)
            for col in columns_of(task):
                with_metric = [r for r in kept if col.metric in r.test]
                if with_metric:
                    cells[col.key] = Cell(col, tuple(r.test[col.metric] for r in with_metric),
                                          tuple(with_metric), lr, steps, n_settings)
        rows.append(Row(slugify(label, f"{uid}\0{feat}"), name, uid, feat, label, cells, selected))
    return rows


def _find_baseline(rows: list[Row], name: str) -> tuple[Row | None, int]:
    """The baseline row for ``name`` (exact match on name, id or label, then case-insensitive)."""
    exact = [r for r in rows if name in (r.upstream, r.upstream_id, r.label)]
    cands = exact or [r for r in rows if name.casefold() in (r.upstream.casefold(), r.upstream_id.casefold(),
                                                               r.label.casefold())]
    if not cands:
        return None, 0
    cands.sort(key=lambda r: (r.featurizer != "weighted_sum", -len(r.cells), r.label))
    return cands[0], len(cands)


def build_tables(runs: list[Run], *, baseline: str = "fbank", score_reference: str = "measured") -> list[Table]:
    """Turn runs into comparable tables (see module docstring)."""
    if score_reference not in SCORE_REFERENCES:
        raise ValueError(f"score_reference must be one of {SCORE_REFERENCES}, not {score_reference!r}")
    groups = split_by_corpus(runs)
    seen_kinds: Counter = Counter()
    tables = []
    for synthetic, corpora, group_runs in groups:
        kind = "synthetic" if synthetic else "real"
        seen_kinds[kind] += 1
        k = seen_kinds[kind]
        slug = kind if k == 1 else f"{kind}-{k}"
        title = ("Synthetic corpora" if synthetic else "Real corpora") + (f" (set {k})" if k > 1 else "")
        counts: Counter = Counter()
        rows = _make_rows(group_runs, counts)
        base, n_base = _find_baseline(rows, baseline)
        table = Table(slug, title, synthetic, corpora, rows, baseline, base, score_reference)
        if base is not None:
            base.is_baseline = True
        _shade(table)
        _score(table)
        _order(table)
        _notes(table, counts, n_base)
        tables.append(table)
    return tables


def _shade(table: Table) -> None:
    base = table.baseline
    for col in COLUMNS:
        values = {r.rid: r.cells[col.key].mean for r in table.rows if col.key in r.cells}
        bval = base.cells[col.key].mean if base is not None and col.key in base.cells else None
        for rid, shade in shade_column(col, values, bval).items():
            table.shades[(rid, col.key)] = shade


def _score(table: Table) -> None:
    if table.score_reference == "published":
        if table.synthetic:
            table.score_note = ("SUPERB score: not computed against published rows on synthetic corpora "
                                "(the numbers are not comparable).")
            return
        ref = published_reference()
        table.score_note = ("SUPERB score: per task, linear scale with published FBANK = 0 and the best "
                            "published row = 1 (sign flipped for lower-is-better), averaged over the tasks "
                            "the row covers, times 1000; (k/10 tasks) is the coverage. Scores with "
                            "different coverage are not comparable.")
    else:
        base = table.baseline
        column_values: dict[str, list[float]] = defaultdict(list)
        for r in table.rows:
            for key, v in r.means().items():
                column_values[key].append(v)
        ref = measured_reference(base.means() if base else None, column_values)
        if base is None:
            table.score_note = (f"SUPERB score: not computed: the baseline {table.baseline_name!r} has no run "
                                "in this table.")
            return
        usable = {c.task for c in COLUMNS if c.key in ref and ref[c.key][0] != ref[c.key][1]}
        flat = [t for t in TASKS if t not in usable and any(c.task == t and c.key in ref for c in COLUMNS)]
        table.score_note = (f"SUPERB score: per task, linear scale with the baseline ({base.label}) = 0 and the "
                            "best measured row = 1 (sign flipped for lower-is-better), averaged over the tasks "
                            "covered by both the row and the baseline, times 1000; (k/10 tasks) is the "
                            "coverage. Scores with different coverage are not comparable.")
        if flat:
            table.score_note += f" Left out: {_task_list(flat)} (no row better than the baseline)."
    for r in table.rows:
        r.score = superb_score(r.means(), ref)


def _order(table: Table) -> None:
    def key(r: Row):
        s = r.score
        covered = len(s.covered) if s and s.value is not None else -1
        value = s.value if s and s.value is not None else float("-inf")
        return (-covered, -value, r.label, r.rid)

    table.rows.sort(key=key)


def _notes(table: Table, counts: Counter, n_base: int) -> None:
    notes = table.notes
    if table.synthetic:
        notes.append("Synthetic corpora: a smoke test of the pipeline. These numbers say nothing about the "
                     "models and are not comparable with published results.")
    base = table.baseline
    present = [t for t in TASKS if any(c.column.task == t for r in table.rows for c in r.cells.values())]
    if base is None:
        notes.append(f"Baseline {table.baseline_name!r} has no run in this table: no cell is black.")
    else:
        missing = [t for t in present if not any(c.column.task == t for c in base.cells.values())]
        if missing:
            notes.append(f"No baseline ({base.label}) run for {_task_list(missing)}: nothing is shaded "
                         "black there.")
        if n_base > 1:
            notes.append(f"{n_base} rows match baseline {table.baseline_name!r}; shading uses {base.label}.")
    if table.baseline_name == "fbank" and any(r.upstream == "fbank_no_cmvn" for r in table.rows):
        notes.append("The faithful fbank row is at chance on the pooled tasks (KS, IC, SID, ER): after "
                     "per-utterance CMVN every clip pools to the same vector. --baseline fbank_no_cmvn "
                     "is the sharper reference.")
    if table.has_blanks:
        notes.append("Blank cells: no run for that upstream and task. They are never counted as zero and "
                     "never averaged over.")
    if counts["setting_dev"]:
        notes.append(f"{counts['setting_dev']} cell(s) had runs with several training settings (learning rate, "
                     "steps): the one with the best mean dev score is shown (hover a cell in the HTML for details).")
    if counts["setting_nodev"]:
        notes.append(f"{counts['setting_nodev']} cell(s) had runs with several training settings and no dev "
                     "score: the setting with the most seeds is shown, not one chosen on dev.")
    if counts["duplicate"]:
        notes.append(f"{counts['duplicate']} repeated run(s) of the same seed ignored (newest kept).")
