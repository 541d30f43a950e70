"""The table model, built with pandas from :func:`leaderboard.load.load_runs`.

* **Corpus versions never mix.** A corpus version is (name, synthetic flag,
  content hash). Real and synthetic runs always go to separate tables. Within
  each kind, if a task was run on several versions, the k-th table holds each
  task's k-th most used version. Each table lists the version of every column.
* **Rows** are one per upstream (``upstream_id``: name plus weights hash) and
  featurizer mode. A single-layer upstream has one row whatever the mode
  (``weighted_sum``, ``last`` and ``layer:0`` are the same model there). The
  label is the display name, with the id when two upstreams share a name and
  the mode when one upstream was run with several.
* **Cells** hold test metrics of the selected runs. Each seed counts once per
  training setting (lr, steps; the newest run wins). When a (row, task) has
  several settings, the one with the best dev main metric, mean over its
  seeds, is shown (never chosen on test); without dev scores, the most seeded
  one. A cell is the mean and sample standard deviation over the seeds of
  that setting (``n`` seeds).
* **Shading** (:mod:`.shading`) and **SUPERB score** (:mod:`.score`).

Everything here is a pure function of the runs, the options and tasks.yaml.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from benchmark.selection import choose_on_dev, dev_mean

from .columns import COLUMN_BY_KEY, COLUMNS, TASKS, main_column, task_list
from .score import SCORE_REFERENCES, score_table
from .shading import shade_cells
from .task_notes import task_notes

def describe_corpus(name: str, synthetic: bool, content_hash: str) -> str:
    """Short human text, e.g. ``"speech_commands_v0.01 (synthetic) 9c1e2f3a"``."""
    return f"{name}{' (synthetic)' if synthetic else ''} {content_hash[:8] if content_hash else 'no hash'}"


@dataclass
class Table:
    """One comparable table: a single corpus version per column.

    ``rows``: index row id (display order), columns label, upstream,
    upstream_id, featurizer, is_baseline, score (NaN = none), covered (tuple
    of tasks). ``cells``: index (row id, column key), columns task, mean, std,
    n, lr, steps, settings, seeds, run_ids (stored units), worse, strength
    (NaN for a cell left unshaded), incomparable. ``scaled``: row id x task, the per-task scaled values behind the
    score. ``runs``: the selected runs (one per seed), with their row id.
    """

    slug: str
    title: str
    synthetic: bool
    corpora: dict[str, str]
    rows: pd.DataFrame
    cells: pd.DataFrame
    scaled: pd.DataFrame
    runs: pd.DataFrame
    baseline_name: str
    baseline: str | None
    score_reference: str
    notes: list[str] = field(default_factory=list)
    score_note: str = ""

    def rid(self, upstream: str) -> str:
        """Row id of the first row of ``upstream`` (by name)."""
        return self.rows.index[self.rows["upstream"] == upstream][0]

    def cell(self, rid: str, key: str) -> pd.Series | None:
        """One cell, or None when blank."""
        return self.cells.loc[(rid, key)] if (rid, key) in self.cells.index else None

    def text(self, rid: str, key: str) -> str:
        """Display text ``"91.23"`` or ``"91.23 ± 0.45"`` (display units); "" when blank."""
        c = self.cell(rid, key)
        return "" if c is None else cell_text(COLUMN_BY_KEY[key], c)

    @property
    def baseline_label(self) -> str:
        """The baseline row's label, or the requested name with "(missing)"."""
        return self.rows.at[self.baseline, "label"] if self.baseline else f"{self.baseline_name} (missing)"

    def wide(self, field_name: str) -> pd.DataFrame:
        """One field of the cells as a row id x column key frame (all columns, table row order)."""
        return (self.cells[field_name].unstack("key")
                .reindex(index=self.rows.index, columns=[c.key for c in COLUMNS]))


def cell_text(column, cell: pd.Series) -> str:
    """``"60.00 ± 2.00"``: mean, and sample sd when there are several seeds."""
    s = column.display(cell["mean"])
    if cell["n"] > 1 and pd.notna(cell["std"]):
        s += " \u00b1 " + column.display(cell["std"])
    return s


INCOMPARABLE_MARK = "\u2020"  # the protocol differs from the published one
UNDERTRAINED_MARK = "\u2021"  # a run of the cell stopped while dev was still improving (converged: false)


def cell_marks(cell: pd.Series) -> str:
    """The footnote marks after a cell's value: \u2020 incomparable with published, \u2021 undertrained."""
    return (INCOMPARABLE_MARK if cell["incomparable"] else "") + (UNDERTRAINED_MARK if cell["undertrained"] else "")


def cell_info(cell: pd.Series) -> str:
    """One-line provenance for tooltips: seeds, training setting, run ids."""
    parts = [f"n={cell['n']} (seeds: {', '.join(map(str, cell['seeds']))})"]
    setting = ", ".join(([f"lr={cell['lr']:g}"] if pd.notna(cell["lr"]) else [])
                        + ([f"steps={cell['steps']}"] if pd.notna(cell["steps"]) else []))
    if setting:
        chosen = f" (chosen on dev among {cell['settings']} settings)" if cell["settings"] > 1 else ""
        parts.append(setting + chosen)
    parts.append("runs: " + ", ".join(cell["run_ids"]))
    return "; ".join(parts)


def slugify(text: str, key: str = "") -> str:
    """A filename-safe slug; with ``key``, a short hash keeps it unique."""
    s = re.sub(r"[^A-Za-z0-9._-]+", "-", text).strip("-.")[:40] or "x"
    if key:
        s += "-" + hashlib.sha1(key.encode("utf-8")).hexdigest()[:6]
    return s


def corpus_sets(runs: pd.DataFrame) -> pd.Series:
    """Per run, the index k of its comparable set within its kind (real / synthetic).

    The k-th set holds each task's k-th most used corpus version (ties broken
    by name and hash).
    """
    version = ["synthetic", "task", "corpus", "corpus_hash"]
    counts = runs.groupby(version).size().rename("count").reset_index()
    counts = counts.sort_values(["synthetic", "task", "count", "corpus", "corpus_hash"],
                                ascending=[True, True, False, True, True])
    counts["set"] = counts.groupby(["synthetic", "task"]).cumcount()
    return runs.merge(counts, on=version, how="left")["set"].set_axis(runs.index)


def _label_rows(runs: pd.DataFrame) -> pd.DataFrame:
    """Add ``label`` and ``rid`` per run: one row per (upstream_id, featurizer)."""
    ids_per_name = runs.groupby("upstream")["upstream_id"].transform("nunique")
    modes_per_id = runs.groupby("upstream_id")["featurizer"].transform("nunique")
    label = runs["upstream_id"].where(ids_per_name > 1, runs["upstream"])
    label = label.where(modes_per_id == 1, label + " \u00b7 " + runs["featurizer"])
    rid = [slugify(lab, f"{uid}\0{feat}") for lab, uid, feat in zip(label, runs["upstream_id"], runs["featurizer"],
                                                                    strict=True)]
    return runs.assign(label=label, rid=rid)


def _seed_key(runs: pd.DataFrame) -> pd.Series:
    """Which runs repeat one another: the seed, or the run id for a run without seed."""
    return runs["seed"].map(lambda s: f"seed:{s!r}").where(runs["seed"].notna(), "run:" + runs["run_id"])


def select_runs(runs: pd.DataFrame, counts: dict[str, int]) -> pd.DataFrame:
    """The runs shown per (row, task): one setting (chosen on dev), one run per seed.

    Adds ``settings`` (number of training settings seen for the cell).
    """
    setting = ["rid", "task", "lr", "steps"]
    runs = runs.assign(seed_key=_seed_key(runs)).sort_values(["created", "run_id"])
    unique = runs.drop_duplicates(setting + ["seed_key"], keep="last")  # newest run of a seed wins
    counts["duplicate"] = len(runs) - len(unique)
    main = [main_column(t, m) for t, m in zip(unique["task"], unique["main_metric"], strict=True)]
    unique = unique.assign(dev_main=[d.get(c.metric, np.nan) for d, c in zip(unique["dev"], main, strict=True)],
                           higher=[c.higher_is_better for c in main])

    chosen = []  # per (row, task): the setting choose_on_dev picks, how many there were, whether any had dev
    for (rid, task), cell in unique.groupby(["rid", "task"], sort=False):
        dev = {(lr, steps): list(g["dev_main"]) for (lr, steps), g in cell.groupby(["lr", "steps"], dropna=False)}
        lr, steps = choose_on_dev(dev, bool(cell["higher"].iat[0]))
        chosen.append({"rid": rid, "task": task, "lr": lr, "steps": steps, "settings": len(dev),
                       "no_dev": dev_mean(dev[(lr, steps)]) is None})
    chosen = pd.DataFrame(chosen, columns=setting + ["settings", "no_dev"])
    several = chosen[chosen["settings"] > 1]
    counts["setting_dev"] = int((~several["no_dev"]).sum())
    counts["setting_nodev"] = int(several["no_dev"].sum())
    kept = unique.merge(chosen[setting + ["settings"]], on=setting, how="inner")
    seed_order = kept["seed"].map(lambda s: (0, s, "") if isinstance(s, int) else (1, 0, str(s)))
    return (kept.assign(seed_order=seed_order).sort_values(["seed_order", "run_id"])
            .drop(columns=["seed_order", "higher"]))


def cell_frame(kept: pd.DataFrame) -> pd.DataFrame:
    """Aggregate the kept runs over seeds: one line per (row id, column key)."""
    long = []
    for col in COLUMNS:
        runs = kept[kept["task"] == col.task]
        values = runs["test"].map(lambda d, m=col.metric: d.get(m, np.nan)).astype("float64")
        long.append(runs.assign(key=col.key, value=values).dropna(subset=["value"]))
    long = pd.concat(long, ignore_index=True)
    cells = long.groupby(["rid", "key"], sort=False).agg(
        task=("task", "first"), mean=("value", "mean"), std=("value", "std"), n=("value", "size"),
        lr=("lr", "first"), steps=("steps", "first"), settings=("settings", "first"),
        seeds=("seed", list), run_ids=("run_id", list),
        undertrained=("converged", lambda flags: any(flag is False for flag in flags)))
    return cells.astype({"mean": "float64", "std": "float64", "lr": "float64"})


def _single_layer_modes(runs: pd.DataFrame) -> pd.Series:
    """The featurizer mode, with every mode of a single-layer upstream folded into ``weighted_sum``."""
    single = runs["num_layers"].fillna(0).astype(int) == 1
    return runs["featurizer"].where(~single, "weighted_sum")


def _find_baseline(rows: pd.DataFrame, cells: pd.DataFrame, name: str) -> tuple[str | None, int]:
    """The baseline row id for ``name`` (exact match on name, id or label, then case-insensitive)."""
    names = rows[["upstream", "upstream_id", "label"]]
    match = names.eq(name).any(axis=1)
    if not match.any():
        match = names.apply(lambda s: s.str.casefold()).eq(name.casefold()).any(axis=1)
    if not match.any():
        return None, 0
    cands = rows[match].assign(not_ws=lambda r: r["featurizer"] != "weighted_sum",
                               neg_cells=lambda r: -cells.groupby(level="rid").size().reindex(r.index).fillna(0))
    cands = cands.sort_values(["not_ws", "neg_cells", "label"])
    return cands.index[0], len(cands)


def build_tables(runs: pd.DataFrame, *, baseline: str = "fbank", score_reference: str = "measured") -> list[Table]:
    """Turn the runs of :func:`~leaderboard.load.load_runs` into comparable tables (see module docstring)."""
    if score_reference not in SCORE_REFERENCES:
        raise ValueError(f"score_reference must be one of {SCORE_REFERENCES}, not {score_reference!r}")
    if runs.empty:
        return []
    notes_by_task = task_notes()
    runs = runs.assign(featurizer=_single_layer_modes(runs))
    runs = runs.assign(set=corpus_sets(runs))
    tables = []
    for (synthetic, k), group in runs.groupby(["synthetic", "set"], sort=True):
        kind = "synthetic" if synthetic else "real"
        slug = kind if k == 0 else f"{kind}-{k + 1}"
        title = ("Synthetic corpora" if synthetic else "Real corpora") + (f" (set {k + 1})" if k else "")
        corpora = {t: describe_corpus(g["corpus"].iat[0], bool(g["synthetic"].iat[0]), g["corpus_hash"].iat[0])
                   for t, g in group.groupby("task")}
        counts: dict[str, int] = {}
        kept = select_runs(_label_rows(group), counts)
        cells = cell_frame(kept)
        rows = (kept.groupby("rid", sort=False)[["label", "upstream", "upstream_id", "featurizer"]].first())
        base, n_base = _find_baseline(rows, cells, baseline)
        rows["is_baseline"] = rows.index == base
        table = Table(slug, title, bool(synthetic), corpora, rows, cells, pd.DataFrame(), kept, baseline, base,
                      score_reference)
        shade_cells(table)
        score_table(table, notes_by_task)
        _order(table)
        _notes(table, counts, n_base)
        tables.append(table)
    return tables


def _order(table: Table) -> None:
    """Rows by coverage, then score, then label."""
    rows = table.rows.assign(_cov=-table.rows["covered"].map(len).where(table.rows["score"].notna(), -1),
                             _score=-table.rows["score"].fillna(-np.inf), _rid=table.rows.index)
    table.rows = rows.sort_values(["_cov", "_score", "label", "_rid"]).drop(columns=["_cov", "_score", "_rid"])


def _notes(table: Table, counts: dict[str, int], n_base: int) -> None:
    notes = table.notes
    if table.synthetic:
        notes.append("Synthetic corpora (eSpeak NG voices in the real layouts): they rank encoders on synthetic "
                     "speech; the numbers are not comparable with published results on the real corpora.")
    present = [t for t in TASKS if t in set(table.cells["task"])]
    if table.baseline is None:
        notes.append(f"Baseline {table.baseline_name!r} has no run in this table: no cell is shaded "
                     "(colours need a reference).")
    else:
        base_tasks = set(table.cells.loc[table.baseline, "task"])
        missing = [t for t in present if t not in base_tasks]
        if missing:
            notes.append(f"No baseline ({table.baseline_label}) run for {task_list(missing)}: those cells are "
                         "not shaded (colours need a reference).")
        if n_base > 1:
            notes.append(f"{n_base} rows match baseline {table.baseline_name!r}; shading uses "
                         f"{table.baseline_label}.")
    if table.baseline_name == "fbank" and (table.rows["upstream"] == "fbank_no_cmvn").any():
        notes.append("The faithful fbank row is at chance on the pooled tasks (KS, IC, SID, ER): after "
                     "per-utterance CMVN every clip pools to the same vector. --baseline fbank_no_cmvn "
                     "is the sharper reference.")
    if len(table.cells) < len(table.rows) * len(COLUMNS):
        notes.append("Blank cells: no run for that upstream and task. They are never counted as zero and "
                     "never averaged over.")
    if counts["setting_dev"]:
        notes.append(f"{counts['setting_dev']} cell(s) had runs with several training settings (learning rate, "
                     "steps): the one with the best dev score, mean over its seeds, is shown (hover a cell in "
                     "the HTML for details).")
    if counts["setting_nodev"]:
        notes.append(f"{counts['setting_nodev']} cell(s) had runs with several training settings and no dev "
                     "score: the setting with the most seeds is shown, not one chosen on dev.")
    if counts["duplicate"]:
        notes.append(f"{counts['duplicate']} repeated run(s) of the same seed ignored (newest kept).")
