"""Bringing your own upstream: by file path and by entry point, with the example of docs/upstream-contract.md."""

import re
import sys

import pytest

from benchmark.check import check_upstream, failed_checks
from benchmark.errors import UserError
from conftest import REPO, superb
from tiny_upstreams import single_thread  # noqa: F401 (autouse)
from upstreams import available, build_upstream


def doc_example_file(folder) -> str:
    """The complete example upstream of docs/upstream-contract.md, written to ``folder/my_upstream.py``."""
    text = (REPO / "docs" / "upstream-contract.md").read_text()
    code = re.search(r"## A complete upstream in 20 lines\n\n```python\n(.*?)```", text, re.S).group(1)
    path = folder / "my_upstream.py"
    path.write_text(code)
    return str(path)


def test_by_file_path(tmp_path):
    spec = f"{doc_example_file(tmp_path)}:FramedEnergy"
    upstream = build_upstream(spec)
    assert upstream.display_name() == "framed_energy" and not upstream.training
    assert not failed_checks(check_upstream(upstream, quick=True))
    proc = superb("check-upstream", spec)
    assert "passed: all 7 checks" in proc.stdout


def test_by_entry_point(tmp_path, monkeypatch):
    package = tmp_path / "site"
    (package / "energy_pkg").mkdir(parents=True)
    (package / "energy_pkg" / "__init__.py").write_text(open(doc_example_file(tmp_path)).read())
    dist = package / "energy_pkg-1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: energy-pkg\nVersion: 1.0\n")
    (dist / "entry_points.txt").write_text("[superb.upstreams]\nframed_energy = energy_pkg:FramedEnergy\n")
    monkeypatch.syspath_prepend(str(package))
    try:
        assert ("framed_energy", "entry point energy_pkg:FramedEnergy (superb.upstreams)") in available()
        upstream = build_upstream("framed_energy")
        assert type(upstream).__module__ == "energy_pkg" and upstream.num_layers == 2
        with pytest.raises(UserError, match="Did you mean: framed_energy"):
            build_upstream("framed_energi")
    finally:
        sys.modules.pop("energy_pkg", None)


def test_clear_errors(tmp_path):
    spec = doc_example_file(tmp_path)
    with pytest.raises(UserError, match="Did you mean: FramedEnergy"):
        build_upstream(f"{spec}:FramedEnergi")
    with pytest.raises(UserError, match="does not exist"):
        build_upstream(f"{tmp_path}/nope.py:FramedEnergy")
    (tmp_path / "plain.py").write_text("class NotAnUpstream:\n    pass\n")
    with pytest.raises(UserError, match="not an upstreams.base.Upstream"):
        build_upstream(f"{tmp_path}/plain.py:NotAnUpstream")
    with pytest.raises(UserError, match=r"does not take option size\. It takes no options"):
        build_upstream(f"{spec}:FramedEnergy", size="base")
