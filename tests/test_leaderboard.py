"""Tests of the leaderboard (issue 7): tables, statistics, shading, score, outputs.

The fixture writes result JSONs the way the runner does: fbank (faithful,
at chance on pooled tasks), fbank_no_cmvn, an upstream whose name is a
``<script>`` tag, one whose name holds every special character of every
output format, several seeds, a learning-rate sweep, missing cells, and a
second (real) corpus version that must become its own table.
"""

from __future__ import annotations

import csv
import io
import json
import logging
import math
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from benchmark.errors import UserError
from leaderboard import build_tables, load_results, load_runs, write_leaderboard
from leaderboard.assets import table_assets
from leaderboard.render_csv import render_csv
from leaderboard.render_html import render_html
from leaderboard.columns import COLUMN_BY_KEY
from leaderboard.published import published_frame
from leaderboard.render_latex import tex_escape
from leaderboard.render_markdown import md_escape, render_markdown, render_published
from leaderboard.score import display, published_reference
from leaderboard.shading import background
from leaderboard.table import cell_info
from leaderboard.task_notes import task_notes

SCRIPT = "<script>alert(1)</script>"
WEIRD = "a|b & 50% $x_1$ {c}~^\\ #1"

_counter = [0]


def write_result(root: Path, upstream: str, task: str, test: dict, *, dev: dict | None = None, seed=0,
                 lr: float = 1e-4, synthetic: bool = True, corpus_hash: str | None = None,
                 featurizer: str = "weighted_sum", layer_weights=(0.2, 0.3, 0.5), upstream_id: str | None = None,
                 created: str = "2026-11-25T05:00:00Z", converged: bool | None = None) -> Path:
    """Write one result.json like the runner does and return its path."""
    _counter[0] += 1
    run_id = f"r{_counter[0]:04d}"
    slug = re.sub(r"[^A-Za-z0-9_-]+", "-", upstream) or "x"
    data = {
        "schema_version": 1,
        "run_id": run_id,
        "upstream": upstream,
        "upstream_id": upstream_id or f"{upstream}-1a2b3c4d",
        "task": task,
        "metrics": {"dev": dev if dev is not None else dict(test), "test": test},
        "main_metric": {"name": next(iter(test)), "higher_is_better": True},
        "layer_weights": list(layer_weights) if layer_weights else None,
        "config": {"lr": lr, "steps": 20, "seed": seed, "featurizer": featurizer, "batch_size": 4},
        "corpus": {"name": f"{task}-corpus", "synthetic": synthetic,
                   "content_hash": corpus_hash or (f"syn-{task}" if synthetic else f"real-{task}"), "root": "/x"},
        "timing": {"extraction_s": 0.1, "training_s": 0.2, "evaluation_s": 0.01},
        "provenance": {"superb": "0.1.0", "torch": "2.9.1", "git_commit": "abc", "python": "3.11.7",
                       "created": created},
        "departures": [],
        **({"converged": converged} if converged is not None else {}),
    }
    if task == "qbe" and layer_weights:  # QbE searches every layer; its picture is the dev curve
        data["qbe"] = {"best_layer": max(range(len(layer_weights)), key=lambda i: layer_weights[i]),
                       "dev_mtwv_per_layer": {str(i): w / 10 for i, w in enumerate(layer_weights)}}
    path = root / slug / task / run_id / "result.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data))
    return path


def build_runs(root: Path) -> Path:
    """The shared results folder (see module docstring). Returns ``root``."""
    def w(root, upstream, *args, **kw):
        if upstream.startswith("fbank"):  # one-layer upstreams: the runner writes [1.0]; no picture
            kw.setdefault("layer_weights", (1.0,) if upstream == "fbank" else None)
        return write_result(root, upstream, *args, **kw)

    # fbank, faithful: chance on pooled tasks.
    w(root, "fbank", "ks", {"accuracy": 0.0863})
    w(root, "fbank", "ic", {"accuracy": 0.0910})
    w(root, "fbank", "asr", {"wer": 0.2318})
    w(root, "fbank", "sf", {"slot_f1": 0.6964, "slot_cer": 0.5294})
    w(root, "fbank", "er", {"accuracy": 0.3539})
    # fbank_no_cmvn: three seeds on KS; worse than fbank on ASR; no ER.
    for seed, acc in enumerate((0.58, 0.60, 0.62)):
        w(root, "fbank_no_cmvn", "ks", {"accuracy": acc}, seed=seed)
    w(root, "fbank_no_cmvn", "ic", {"accuracy": 0.40})
    w(root, "fbank_no_cmvn", "asr", {"wer": 0.25})
    # <script> upstream: worse on IC and SF-CER, tie on ASR, QbE where fbank has none.
    for seed, acc in enumerate((0.48, 0.52)):
        w(root, SCRIPT, "ks", {"accuracy": acc}, seed=seed)
    w(root, SCRIPT, "ic", {"accuracy": 0.05})
    w(root, SCRIPT, "asr", {"wer": 0.2318})
    w(root, SCRIPT, "sf", {"slot_f1": 0.75, "slot_cer": 0.60})
    w(root, SCRIPT, "qbe", {"mtwv": 0.0123}, layer_weights=(0.1, 0.1, 0.8))
    # Weird name, KS only, learning-rate sweep: lr 1e-3 wins on dev although 1e-2 has the better test.
    for seed, acc in enumerate((0.94, 0.96)):
        w(root, WEIRD, "ks", {"accuracy": acc}, dev={"accuracy": 0.90}, seed=seed, lr=1e-3)
    w(root, WEIRD, "ks", {"accuracy": 0.99}, dev={"accuracy": 0.50}, seed=0, lr=1e-2)
    # A repeated seed: the newest run replaces the older one.
    w(root, WEIRD, "ks", {"accuracy": 0.10}, dev={"accuracy": 0.90}, seed=1, lr=1e-3,
      created="2026-11-24T00:00:00Z")
    # Real corpus: KS only -> its own table.
    w(root, "fbank", "ks", {"accuracy": 0.0863}, synthetic=False)
    w(root, "hubert_base", "ks", {"accuracy": 0.963}, synthetic=False, layer_weights=tuple([1 / 13] * 13))
    # Things that must be skipped with a warning or ignored.
    (root / "broken" / "ks" / "x").mkdir(parents=True)
    (root / "broken" / "ks" / "x" / "result.json").write_text("{not json")
    (root / "broken" / "ks" / "y").mkdir(parents=True)
    (root / "broken" / "ks" / "y" / "result.json").write_text("[1, 2]")
    (root / "broken" / "ks" / "z").mkdir(parents=True)
    (root / "broken" / "ks" / "z" / "result.json").write_text(json.dumps({"upstream": "u", "task": "nope",
                                                                           "metrics": {}}))
    (root / "broken" / "ks" / "x" / "other.json").write_text(json.dumps({"upstream": "ignored"}))
    return root


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> Path:
    return build_runs(tmp_path_factory.mktemp("lb") / "runs")


@pytest.fixture(scope="module")
def outputs(runs) -> dict[str, tuple[Path, list[Path]]]:
    """Written once per module (drawing the PNGs is the slow part): without and with --published."""
    plain, full = runs.parent / "out-plain", runs.parent / "out-published"
    return {"plain": (plain, write_leaderboard(runs, plain)),
            "published": (full, write_leaderboard(runs, full, published=True))}


def _tables(runs: Path, **kw):
    return {t.slug: t for t in build_tables(load_runs(runs), **kw)}


def _cell(table, upstream, key):
    return table.cell(table.rid(upstream), key)


def _black(table):
    worse = table.cells.index[table.cells["worse"]]
    return {(table.rows.at[rid, "upstream"], key) for rid, key in worse}


# --- loading -------------------------------------------------------------------------------------------


def test_bad_files_are_skipped_with_one_line_warnings(runs, caplog):
    caplog.set_level(logging.WARNING, logger="superb.leaderboard")
    loaded = load_runs(runs)
    assert len(loaded) == 22
    assert set(loaded["upstream"]) == {"fbank", "fbank_no_cmvn", SCRIPT, WEIRD, "hubert_base"}
    skipped = [m for m in caplog.messages if m.startswith("skipping")]
    assert len(skipped) == 3
    assert all("\n" not in m for m in skipped)


def test_nan_metric_is_missing_not_zero(tmp_path, caplog):
    p = write_result(tmp_path, "u", "sf", {"slot_f1": 0.5, "slot_cer": 0.4})
    data = json.loads(p.read_text())
    data["metrics"]["test"]["slot_cer"] = float("nan")
    p.write_text(json.dumps(data))
    p = write_result(tmp_path, "u", "ks", {"accuracy": 0.5})
    data = json.loads(p.read_text())
    data["metrics"]["test"]["accuracy"] = float("inf")
    p.write_text(json.dumps(data))
    (t,) = build_tables(load_runs(tmp_path))
    assert set(t.cells.index.get_level_values("key")) == {"sf_f1"}
    assert len(caplog.messages) == 2  # one line per file


def test_user_errors(tmp_path):
    with pytest.raises(UserError, match="does not exist"):
        write_leaderboard(tmp_path / "nope", tmp_path / "out")
    (tmp_path / "empty").mkdir()
    with pytest.raises(UserError, match="no result.json"):
        write_leaderboard(tmp_path / "empty", tmp_path / "out")
    (tmp_path / "bad" / "a").mkdir(parents=True)
    (tmp_path / "bad" / "a" / "result.json").write_text("oops")
    with pytest.raises(UserError, match="no readable"):
        write_leaderboard(tmp_path / "bad", tmp_path / "out")
    write_result(tmp_path / "ok", "u", "ks", {"accuracy": 0.5})
    with pytest.raises(UserError, match="score-reference"):
        write_leaderboard(tmp_path / "ok", tmp_path / "out", score_reference="best")
    for err in (UserError("x"),):
        assert "\n" not in str(err)


# --- table model ---------------------------------------------------------------------------------------


def test_corpus_versions_make_separate_tables(runs):
    tables = _tables(runs)
    assert list(tables) == ["real", "synthetic"]
    real = tables["real"]
    assert set(real.rows["upstream"]) == {"fbank", "hubert_base"}
    assert set(real.corpora) == {"ks"} and "synthetic" not in real.corpora["ks"]
    syn = tables["synthetic"]
    assert _cell(syn, "fbank", "ks_acc")["mean"] == pytest.approx(0.0863)
    assert "hubert_base" not in set(syn.rows["upstream"])


def test_two_versions_of_one_task_never_share_a_column(tmp_path):
    write_result(tmp_path, "a", "ks", {"accuracy": 0.5}, corpus_hash="v1")
    write_result(tmp_path, "b", "ks", {"accuracy": 0.6}, corpus_hash="v1")
    write_result(tmp_path, "a", "ks", {"accuracy": 0.9}, corpus_hash="v2")
    write_result(tmp_path, "a", "ic", {"accuracy": 0.7}, corpus_hash="w1")
    tables = build_tables(load_runs(tmp_path))
    assert [t.slug for t in tables] == ["synthetic", "synthetic-2"]
    first, second = tables
    assert first.corpora["ks"].endswith(" v1") and first.corpora["ic"].endswith(" w1")
    assert list(second.corpora) == ["ks"] and second.corpora["ks"].endswith(" v2")
    assert list(second.cells["mean"]) == [0.9]


def test_rows_per_featurizer_mode_and_distinct_ids(tmp_path):
    write_result(tmp_path, "w2v", "ks", {"accuracy": 0.7}, featurizer="weighted_sum")
    write_result(tmp_path, "w2v", "ks", {"accuracy": 0.6}, featurizer="last_hidden", layer_weights=None)
    write_result(tmp_path, "fbank", "ks", {"accuracy": 0.1}, upstream_id="fbank-aaaa")
    write_result(tmp_path, "fbank", "ks", {"accuracy": 0.2}, upstream_id="fbank-bbbb")
    (t,) = build_tables(load_runs(tmp_path))
    assert sorted(t.rows["label"]) == ["fbank-aaaa", "fbank-bbbb", "w2v \u00b7 last_hidden",
                                               "w2v \u00b7 weighted_sum"]
    assert t.rows.at[t.baseline, "upstream_id"] == "fbank-aaaa"  # two matches: most cells first, then by label
    assert any("2 rows match" in n for n in t.notes)


def test_seeds_mean_and_spread(runs):
    syn = _tables(runs)["synthetic"]
    cell = _cell(syn, "fbank_no_cmvn", "ks_acc")
    assert cell["n"] == 3 and cell["mean"] == pytest.approx(0.60) and cell["std"] == pytest.approx(0.02)
    assert syn.text(syn.rid("fbank_no_cmvn"), "ks_acc") == "60.00 \u00b1 2.00"
    assert syn.text(syn.rid("fbank"), "ks_acc") == "8.63"


def test_learning_rate_chosen_on_dev_and_duplicate_seed_dropped(runs):
    syn = _tables(runs)["synthetic"]
    cell = _cell(syn, WEIRD, "ks_acc")
    assert cell["lr"] == pytest.approx(1e-3) and cell["settings"] == 2 and cell["steps"] == 20
    # seeds 0 and 1 of lr 1e-3: not 0.99 (the test-best lr), not 0.10 (an older duplicate of seed 1)
    assert cell["n"] == 2 and cell["mean"] == pytest.approx(0.95) and cell["seeds"] == [0, 1]
    assert any("several training settings" in n for n in syn.notes)
    assert "lr=0.001, steps=20 (chosen on dev among 2 settings)" in cell_info(cell)
    assert any("repeated run" in n for n in syn.notes)


def test_missing_cells_are_absent_not_zero(runs):
    syn = _tables(runs)["synthetic"]
    assert _cell(syn, "fbank_no_cmvn", "er_acc") is None
    assert any("Blank cells" in n for n in syn.notes)


def test_display_units():
    assert COLUMN_BY_KEY["ks_acc"].display(0.91234) == "91.23"
    assert COLUMN_BY_KEY["qbe_mtwv"].display(0.0233) == "0.0233"
    assert COLUMN_BY_KEY["sid_acc"].display(8.5e-6) == "8.5e-4"
    assert COLUMN_BY_KEY["sid_acc"].display(8.5e-4) == "0.085"
    assert COLUMN_BY_KEY["pr_per"].display(None) == ""


# --- shading -------------------------------------------------------------------------------------------


def test_black_exactly_where_worse_than_fbank(runs):
    syn = _tables(runs)["synthetic"]
    assert _black(syn) == {("fbank_no_cmvn", "asr_wer"), (SCRIPT, "ic_acc"), (SCRIPT, "sf_cer")}
    # tie with the baseline is not worse
    assert not _cell(syn, SCRIPT, "asr_wer")["worse"]
    # baseline itself and the best cell: weakest and strongest shade
    assert _cell(syn, "fbank", "ks_acc")["strength"] == 0
    assert _cell(syn, WEIRD, "ks_acc")["strength"] == 1
    assert _black(_tables(runs)["real"]) == set()


def test_no_black_where_baseline_missing(runs):
    syn = _tables(runs)["synthetic"]
    # fbank has no QbE run: the <script> QbE cell is neither black nor green (no reference, no colour)
    cell = _cell(syn, SCRIPT, "qbe_mtwv")
    assert not cell["worse"] and math.isnan(cell["strength"])
    assert background(cell["worse"], cell["strength"]) == "#ffffff"
    assert any("No baseline" in n and "QbE" in n and "not shaded" in n for n in syn.notes)
    # without any baseline nothing is coloured at all
    nobody = _tables(runs, baseline="nobody")["synthetic"]
    assert nobody.cells["strength"].isna().all() and not nobody.cells["worse"].any()


def test_other_baseline(runs):
    syn = _tables(runs, baseline="fbank_no_cmvn")["synthetic"]
    assert syn.rows.at[syn.baseline, "upstream"] == "fbank_no_cmvn"
    assert _black(syn) == {("fbank", "ks_acc"), ("fbank", "ic_acc"), (SCRIPT, "ks_acc"), (SCRIPT, "ic_acc")}
    missing = _tables(runs, baseline="nobody")["synthetic"]
    assert missing.baseline is None and _black(missing) == set()


# --- SUPERB score --------------------------------------------------------------------------------------


def test_measured_score_covers_only_present_tasks(runs):
    syn = _tables(runs)["synthetic"]
    # measured reference per column: best measured; zero: fbank.
    # no_cmvn: KS (0.60-0.0863)/(0.95-0.0863), IC (0.40-0.091)/(0.40-0.091)=1, ASR (0.25-0.2318)/(0.2318-0.2318)
    # -> ASR left out (nobody beats fbank there); ER: no_cmvn has no run.
    row = syn.rows.loc[syn.rid("fbank_no_cmvn")]
    ks = (0.60 - 0.0863) / (0.95 - 0.0863)
    assert row["covered"] == ("ks", "ic")
    assert row["score"] == pytest.approx(1000 * (ks + 1.0) / 2)
    assert display(row["score"], row["covered"]).endswith("(2/10 tasks)")
    assert "ASR" in syn.score_note and "Left out" in syn.score_note
    # SF: F1 counts (CER: nobody beats fbank); fbank itself scores 0 over its covered tasks
    script = syn.rid(SCRIPT)
    assert syn.scaled.at[script, "sf"] == pytest.approx(1.0) and "qbe" not in syn.rows.at[script, "covered"]
    assert syn.rows.at[syn.rid("fbank"), "score"] == pytest.approx(0.0)


def test_published_score_reference(runs, tmp_path):
    tables = _tables(runs, score_reference="published")
    assert tables["synthetic"].rows["score"].isna().all()  # not against published numbers on synthetic data
    # KS: tasks.yaml says published_comparable: false (our test items): marked, never scaled
    real = tables["real"]
    assert real.rows["score"].isna().all() and real.cells["incomparable"].all()
    assert "Not scaled against published rows" in real.score_note and "test items" in real.score_note
    # a comparable column (ASR) is scaled: published FBANK = 0, best published = 1
    write_result(tmp_path, "fbank", "asr", {"wer": 0.2318}, synthetic=False)
    write_result(tmp_path, "hubert_base", "asr", {"wer": 0.0642}, synthetic=False)
    (t,) = build_tables(load_runs(tmp_path), score_reference="published")
    ref, left_out = published_reference(task_notes())
    assert {"ks", "pr"} <= set(left_out) and "asr_wer" in ref.index and "ks_acc" not in ref.index
    assert "qbe" not in left_out and "qbe_mtwv" in ref.index  # SUPERB's MTWV over the whole trial set
    fb, best = ref.loc["asr_wer", "zero"], ref.loc["asr_wer", "one"]
    assert t.rows.at[t.rid("hubert_base"), "covered"] == ("asr",)
    assert t.rows.at[t.rid("hubert_base"), "score"] == pytest.approx(1000 * (0.0642 - fb) / (best - fb))
    assert t.rows.at[t.rid("fbank"), "score"] == pytest.approx(0.0)
    assert not t.cells["incomparable"].any()


def test_published_fbank_sid_is_a_fraction():
    # the paper prints 8.5e-4 as a fraction: 0.085 %, chance for 1,251 speakers
    assert published_frame().at["FBANK", "sid_acc"] == pytest.approx(8.5e-4)
    assert COLUMN_BY_KEY["sid_acc"].display(8.5e-4) == "0.085"
    assert "| FBANK | 82.01\u2020 | 8.63\u2020 | 9.10 | 0.085 |" in render_published("measured")


# --- outputs -------------------------------------------------------------------------------------------


def test_write_all_outputs(outputs):
    out, files = outputs["published"]
    names = {p.relative_to(out).as_posix() for p in files}
    for n in ("leaderboard.md", "leaderboard.html", "leaderboard.tex", "leaderboard-real.csv",
              "leaderboard-synthetic.csv", "heatmap-real.png", "heatmap-synthetic.png", "published.csv"):
        assert n in names
    assert len(names) == len(files)
    assert all(p.exists() and p.stat().st_size > 0 for p in files)
    pngs = [p for p in files if p.suffix == ".png"]
    assert all(p.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" for p in pngs)
    layer_maps = [n for n in names if n.startswith("layers/") and n.count("/") == 2]
    run_bars = [n for n in names if n.startswith("layers/") and n.count("/") == 3]
    assert len(layer_maps) == 3  # <script>, weird (synthetic), hubert_base (real); fbank rows have no weights
    assert len(run_bars) == 9  # one per run shown in a table: 6 + 2 (lr sweep: chosen lr only) + 1
    html = (out / "leaderboard.html").read_text()
    for n in layer_maps + run_bars + ["heatmap-real.png", "leaderboard-synthetic.csv"]:
        assert f'href="{n}"' in html
    assert html.count('class="layers"') == 3 + 2  # row links + one <details> per table


def test_text_outputs_are_a_pure_function_of_the_folder(runs, outputs):
    from leaderboard.assets import table_assets
    from leaderboard.layers import plan_layer_pictures
    from leaderboard.render_csv import render_csv
    from leaderboard.render_html import render_html
    from leaderboard.render_latex import render_latex
    from leaderboard.render_markdown import render_markdown

    out, _ = outputs["published"]
    tables = build_tables(load_runs(runs))
    assets = {}
    for t in tables:
        assets[t.slug] = table_assets(t.slug)
        assets[t.slug].layers = plan_layer_pictures(t)
        assert render_csv(t) == (out / assets[t.slug].csv).read_text()
    opts = dict(published=True, score_reference="measured")
    assert render_markdown(tables, assets, **opts) == (out / "leaderboard.md").read_text()
    assert render_html(tables, assets, **opts) == (out / "leaderboard.html").read_text()
    assert render_latex(tables, **opts) == (out / "leaderboard.tex").read_text()


def test_published_block_only_on_request(outputs):
    a, _ = outputs["plain"]
    b, _ = outputs["published"]
    md = (a / "leaderboard.md").read_text()
    assert "Published reference" not in md and "WavLM" not in md
    assert "WavLM" not in (a / "leaderboard.html").read_text() + (a / "leaderboard.tex").read_text()
    assert not (a / "published.csv").exists()
    md = (b / "leaderboard.md").read_text()
    assert md.index("Published reference") > md.index("## Synthetic corpora")
    assert "| WavLM Large | 3.06\u2020 | 97.86\u2020 | 99.31 |" in md  # \u2020: protocol differs (tasks.yaml)
    assert 'id="published"' in (b / "leaderboard.html").read_text()
    assert "Published reference rows" in (b / "leaderboard.tex").read_text()
    # published numbers never enter the measured tables' statistics
    for name in ("leaderboard-real.csv", "leaderboard-synthetic.csv"):
        assert (a / name).read_text() == (b / name).read_text()


def test_html_escapes_names(outputs):
    out, _ = outputs["plain"]
    html = (out / "leaderboard.html").read_text()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<script>alert" not in html
    assert html.count("<script") == 1  # only the page's own sorting script
    assert "a|b &amp; 50% $x_1$ {c}~^\\ #1" in html
    black = re.findall(r'<td data-col="(\w+)"[^>]*class="[^"]*\bworse\b', html)
    assert sorted(black) == ["asr_wer", "ic_acc", "sf_cer"]


def test_markdown_escapes_and_marks(outputs):
    out, _ = outputs["plain"]
    md = (out / "leaderboard.md").read_text()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in md and "<script>" not in md
    assert md_escape(WEIRD) == "a\\|b &amp; 50% \\$x\\_1\\$ {c}\\~^\\\\ \\#1"
    table_lines = [ln for ln in md.splitlines() if ln.startswith("| ")]
    widths = {ln.replace("\\|", "").count("|") for ln in table_lines}
    assert len(widths) == 1  # no name breaks a table row
    assert md.count("\u2b1b ") >= 3 + 1  # three black cells + legend
    assert "(n=3)" in md and "(2/10 tasks)" in md


def test_latex_escapes_and_colours(outputs):
    out, _ = outputs["plain"]
    tex = (out / "leaderboard.tex").read_text()
    assert tex_escape(WEIRD) == (r"a\textbar{}b \& 50\% \$x\_1\$ \{c\}\textasciitilde{}\textasciicircum{}"
                                 r"\textbackslash{} \#1")
    assert tex_escape(SCRIPT) in tex and SCRIPT not in tex
    assert r"\toprule" in tex and r"\midrule" in tex and r"\bottomrule" in tex
    assert tex.count(r"\cellcolor{black}") == 3
    assert r"\cellcolor[HTML]{" in tex


def test_latex_compiles_if_pdflatex_available(outputs, tmp_path):
    import shutil

    if not shutil.which("pdflatex"):
        pytest.skip("pdflatex not installed")
    shutil.copy(outputs["published"][0] / "leaderboard.tex", tmp_path)
    proc = subprocess.run(["pdflatex", "-interaction=nonstopmode", "-halt-on-error", "leaderboard.tex"],
                          cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout[-2000:]


def test_csv_roundtrips_names_and_blanks(outputs):
    out, _ = outputs["plain"]
    rows = list(csv.DictReader(io.StringIO((out / "leaderboard-synthetic.csv").read_text())))
    by_name = {r["upstream"]: r for r in rows}
    assert set(by_name) == {"fbank", "fbank_no_cmvn", SCRIPT, WEIRD}
    no_cmvn = by_name["fbank_no_cmvn"]
    assert float(no_cmvn["ks_acc_pct_mean"]) == pytest.approx(60.0)
    assert float(no_cmvn["ks_acc_pct_std"]) == pytest.approx(2.0)
    assert no_cmvn["ks_acc_pct_n"] == "3"
    assert no_cmvn["er_acc_pct_mean"] == ""  # missing, not 0
    assert no_cmvn["asr_wer_pct_worse_than_baseline"] == "1"
    assert by_name[SCRIPT]["qbe_mtwv_mean"] and math.isclose(float(by_name[SCRIPT]["qbe_mtwv_mean"]), 0.0123)
    assert no_cmvn["superb_score_tasks"] == "2"


def test_png_heatmap_escapes_mathtext(tmp_path):
    write_result(tmp_path / "r", "$\\frac{1}{0}$ 50%", "ks", {"accuracy": 0.5})
    files = write_leaderboard(tmp_path / "r", tmp_path / "o")
    assert (tmp_path / "o" / "heatmap-synthetic.png") in files


def test_no_torch_import():
    code = "import sys, leaderboard; assert 'torch' not in sys.modules; assert 'matplotlib' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True, cwd=Path(__file__).resolve().parents[1])


# --- issue 20: stable score, one row per encoder setting, layer pictures; issue 19: sweep cells -----------


def test_score_leaves_out_a_task_within_its_noise(tmp_path):
    # QbE on the synthetic set: best 0.0486 barely beats fbank's 0.0453; a weak row at 0 MTWV would score
    # (0 - 0.0453) / 0.0033 = -13.7 on QbE alone and -6674 with its KS; the gap is within QbE's noise floor.
    write_result(tmp_path, "fbank", "qbe", {"mtwv": 0.0453})
    write_result(tmp_path, "good", "qbe", {"mtwv": 0.0486})
    write_result(tmp_path, "weak", "qbe", {"mtwv": 0.0})
    write_result(tmp_path, "fbank", "ks", {"accuracy": 0.1})
    write_result(tmp_path, "good", "ks", {"accuracy": 0.9})
    write_result(tmp_path, "weak", "ks", {"accuracy": 0.4032})
    unstable = 1000 * ((0.0 - 0.0453) / (0.0486 - 0.0453) + (0.4032 - 0.1) / 0.8) / 2
    assert round(unstable) == -6674
    floor = task_notes()["qbe"].noise_floor
    assert 0.0486 - 0.0453 <= floor
    (t,) = build_tables(load_runs(tmp_path))
    weak = t.rid("weak")
    assert t.rows.at[weak, "covered"] == ("ks",)
    assert t.rows.at[weak, "score"] == pytest.approx(1000 * (0.4032 - 0.1) / 0.8)
    assert "QbE MTWV: gap 0.0033" in t.score_note and "noise" in t.score_note
    rows = {r["upstream"]: r for r in csv.DictReader(io.StringIO(render_csv(t)))}
    assert rows["weak"]["qbe_scaled"] == "" and float(rows["weak"]["ks_scaled"]) == pytest.approx(0.379)
    assert float(rows["good"]["ks_scaled"]) == pytest.approx(1.0)
    # a seed spread larger than the floor is the noise: KS best-minus-baseline 0.04, baseline sd 0.05
    for seed, acc in enumerate((0.05, 0.10, 0.15)):
        write_result(tmp_path / "sd", "fbank", "ks", {"accuracy": acc}, seed=seed)
    write_result(tmp_path / "sd", "good", "ks", {"accuracy": 0.14})
    (t,) = build_tables(load_runs(tmp_path / "sd"))
    assert t.rows["score"].isna().all() and "KS Acc: gap 4.00 \u2264 noise 5.00" in t.score_note


def _with_layers(path: Path, num_layers: int) -> None:
    data = json.loads(path.read_text())
    data["upstream_info"] = {"num_layers": num_layers}
    path.write_text(json.dumps(data))


def test_single_layer_upstream_has_one_row_whatever_the_featurizer(tmp_path):
    for seed, feat in enumerate(("weighted_sum", "last", "layer:0")):
        _with_layers(write_result(tmp_path, "fbank", "ks", {"accuracy": 0.1 + seed / 100}, featurizer=feat,
                                  seed=seed, layer_weights=(1.0,)), 1)
    for feat in ("weighted_sum", "last"):
        _with_layers(write_result(tmp_path, "w2v", "ks", {"accuracy": 0.7}, featurizer=feat), 3)
    (t,) = build_tables(load_runs(tmp_path))
    assert sorted(t.rows["label"]) == ["fbank", "w2v \u00b7 last", "w2v \u00b7 weighted_sum"]
    assert t.cell(t.rid("fbank"), "ks_acc")["n"] == 3


def test_sweep_cells_pick_lr_on_dev_mean_and_show_test_mean_sd(tmp_path):
    # lr 1e-2 has the single best dev seed (0.95) but the lower dev mean; lr 1e-3 wins on the mean over seeds.
    sweep = {1e-2: ((0.95, 0.91), (0.40, 0.50), (0.60, 0.99)), 1e-3: ((0.80, 0.82), (0.81, 0.84), (0.82, 0.86))}
    for lr, seeds in sweep.items():
        for seed, (dev, test) in enumerate(seeds):
            write_result(tmp_path, "up", "ks", {"accuracy": test}, dev={"accuracy": dev}, lr=lr, seed=seed)
    write_result(tmp_path, "single", "ks", {"accuracy": 0.5})
    (t,) = build_tables(load_runs(tmp_path), baseline="single")
    cell = t.cell(t.rid("up"), "ks_acc")
    assert cell["lr"] == pytest.approx(1e-3) and cell["n"] == 3 and cell["settings"] == 2
    assert cell["mean"] == pytest.approx(0.84) and cell["std"] == pytest.approx(0.02)
    assert t.text(t.rid("up"), "ks_acc") == "84.00 \u00b1 2.00"
    assert t.text(t.rid("single"), "ks_acc") == "50.00"
    assets = {t.slug: table_assets(t.slug)}
    md = render_markdown([t], assets, published=False, score_reference="measured")
    assert "84.00 \u00b1 2.00 (n=3)" in md and "50.00 (n=" not in md
    html = render_html([t], assets, published=False, score_reference="measured")
    assert "84.00 \u00b1 2.00<span class=\"n\"> (n=3)</span>" in html
    assert "lr=0.001, steps=20 (chosen on dev among 2 settings)" in html


def test_load_results_long_form(runs):
    df = load_results(runs)
    assert list(df.columns[:9]) == ["upstream", "task", "metric", "split", "seed", "lr", "value", "corpus", "run_id"]
    assert len(df) == 2 * sum(1 for _ in runs.rglob("result.json")) - 2 * 3 + 2 * 2  # 3 bad files; SF has 2 metrics
    ks = df[(df.upstream == "fbank_no_cmvn") & (df.task == "ks") & (df.split == "test")]
    assert sorted(ks["value"]) == [0.58, 0.60, 0.62] and sorted(ks["seed"]) == [0, 1, 2]
    table = df[df.split == "test"].pivot_table(index="upstream", columns=["task", "metric"], values="value")
    assert table.loc["fbank_no_cmvn", ("ks", "accuracy")] == pytest.approx(0.60)


def test_layer_colours_are_centred_on_uniform(tmp_path):
    from matplotlib.image import imread

    from leaderboard.layers import draw_row_heatmap

    near_uniform = np.array([0.24, 0.26, 0.25, 0.25])  # 1/L = 0.25: below, above, at
    path = draw_row_heatmap("u", {"ks": near_uniform}, {0: 0.01, 1: 0.03, 2: 0.02, 3: 0.0}, tmp_path / "h.png")
    img = imread(path)[..., :3]
    # the three distinct weights get three clearly distinct colours: purple below, orange above, white-ish at
    h, w = img.shape[:2]
    row = img[int(h * 0.22)]  # through the heat map
    colours = {tuple(np.round(px, 1)) for px in row}
    assert any(r < b for r, g, b in colours) and any(r > b + 0.2 for r, g, b in colours)


def test_run_chart_titles_are_never_clipped(tmp_path, monkeypatch):
    import pandas as pd

    import leaderboard.layers as layers

    figures = []
    monkeypatch.setattr(layers, "save", lambda fig, path, tight=True: figures.append(fig) or path)
    wide = "W" * 60
    layers.draw_run_chart(wide, pd.Series({"task": "qbe", "run_id": "r" * 20, "layer_weights": None,
                                           "qbe_dev_per_layer": {0: 0.01, 1: 0.02, 2: 0.015}}), tmp_path / "q.png")
    layers.draw_run_chart(wide, pd.Series({"task": "ks", "run_id": "r" * 20, "layer_weights": (0.2, 0.3, 0.5),
                                           "qbe_dev_per_layer": None}), tmp_path / "k.png")
    for fig in figures:
        (title,) = fig.texts
        box = title.get_window_extent(fig.canvas.get_renderer())
        assert 0 <= box.x0 and box.x1 <= fig.bbox.width and box.y1 <= fig.bbox.height
        assert fig.axes[0].get_window_extent().y1 < box.y0  # the axes stay below the title
    assert "QbE" in figures[0].texts[0].get_text() and "chosen layer (dev MTWV per layer)" in \
        figures[0].texts[0].get_text().replace("\n", " ")


@pytest.mark.parametrize("old,new,expected", [
    ("    noise_floor: 0.005", "    noise_floor: small", "qbe.leaderboard.noise_floor must be a number, got 'small'"),
    ("    published_comparable: false", "    published_comparable: nope",
     "ks.leaderboard.published_comparable must be true or false"),
    ("    noise_floor: 0.005", "    noise_flor: 0.005", "qbe.leaderboard.noise_flor is not a known key. Did you mean: "
                                                          "noise_floor?"),
])
def test_leaderboard_keys_in_tasks_yaml_are_checked(tmp_path, old, new, expected):
    from benchmark.tasks import load_tasks, tasks_file

    good = tasks_file().read_text()
    assert old in good
    path = tmp_path / "tasks.yaml"
    path.write_text(good.replace(old, new, 1))
    with pytest.raises(UserError) as err:
        load_tasks(path)
    assert str(path) in str(err.value) and expected in str(err.value)


def test_a_cell_with_an_undertrained_run_is_marked_in_every_format(tmp_path):
    from leaderboard.render_html import render_table as html_table
    from leaderboard.render_latex import render_table as latex_table
    from leaderboard.render_markdown import render_table as markdown_table

    runs = tmp_path / "runs"
    write_result(runs, "fbank", "asr", {"wer": 0.6}, converged=False)
    write_result(runs, "fbank", "pr", {"per": 0.5}, converged=True)
    write_result(runs, "other", "asr", {"wer": 0.4}, converged=True, seed=0)
    write_result(runs, "other", "asr", {"wer": 0.5}, converged=False, seed=1)
    write_result(runs, "other", "pr", {"per": 0.4})  # an older result without the flag: not marked
    [table] = build_tables(load_runs(runs))
    marked = {(table.rows.at[rid, "upstream"], key) for (rid, key), flag in table.cells["undertrained"].items() if flag}
    assert marked == {("fbank", "asr_wer"), ("other", "asr_wer")}  # one unconverged seed marks the cell
    assert "60.00\u2021" in markdown_table(table, table_assets(table.slug))
    assert "60.00\u2021" in html_table(table, table_assets(table.slug))
    assert "\\textdaggerdbl" in latex_table(table)
