"""Upstreams that users bring: a class in a Python file, or a package's entry point.

* ``--upstream path/to/file.py:ClassName`` imports the file (its folder is put on
  ``sys.path`` first, so it may import its neighbours) and takes the class.
* A package that declares an entry point in the group ``superb.upstreams`` is found
  by the entry point's name, once the package is installed::

      [project.entry-points."superb.upstreams"]
      my_encoder = "my_package.upstream:MyEncoder"

Nothing is imported until the upstream is chosen.
"""

from __future__ import annotations

import hashlib
import importlib.util
import inspect
import sys
from importlib import metadata
from pathlib import Path
from typing import Any

from benchmark.errors import UserError
from benchmark.registry import suggest

ENTRY_POINT_GROUP = "superb.upstreams"


def is_file_spec(name: str) -> bool:
    """True for ``"path/to/file.py:ClassName"``."""
    path, sep, attribute = name.rpartition(":")
    return bool(sep and attribute and path.endswith(".py"))


def entry_points() -> dict[str, metadata.EntryPoint]:
    """Installed upstreams declared in the ``superb.upstreams`` entry point group, by name."""
    return {ep.name: ep for ep in metadata.entry_points(group=ENTRY_POINT_GROUP)}


def load_entry_point(ep: metadata.EntryPoint) -> Any:
    try:
        return ep.load()
    except (ImportError, AttributeError) as err:
        raise UserError(f"upstream {ep.name}: entry point {ep.value!r} of group {ENTRY_POINT_GROUP} does not load "
                        f"({err}); reinstall the package that declares it") from None


def load_from_file(spec: str) -> Any:
    """The attribute ``ClassName`` of the Python file in ``"path/to/file.py:ClassName"``."""
    path_text, _, attribute = spec.rpartition(":")
    path = Path(path_text).expanduser().resolve()
    if not path.is_file():
        raise UserError(f"upstream {spec}: {path} does not exist; give the path of a .py file and a class name")
    module_name = f"superb_user_{path.stem}_{hashlib.blake2b(str(path).encode(), digest_size=4).hexdigest()}"
    if module_name not in sys.modules:
        if str(path.parent) not in sys.path:
            sys.path.insert(0, str(path.parent))
        module_spec = importlib.util.spec_from_file_location(module_name, path)
        module = importlib.util.module_from_spec(module_spec)
        sys.modules[module_name] = module
        try:
            module_spec.loader.exec_module(module)
        except BaseException:
            del sys.modules[module_name]
            raise
    module = sys.modules[module_name]
    if not hasattr(module, attribute):
        from upstreams.base import Upstream

        classes = [name for name, value in vars(module).items()
                   if inspect.isclass(value) and issubclass(value, Upstream) and value is not Upstream]
        raise UserError(f"upstream {spec}: {path.name} has no {attribute!r}.{suggest(attribute, classes)} "
                        f"Upstream classes in it: {', '.join(classes) or 'none'}")
    return getattr(module, attribute)
