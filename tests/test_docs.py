"""The README says what the code is: every module is in its Layout table, every command in it."""

from __future__ import annotations

import re
from pathlib import Path

from geoinf.cli import main

ROOT = Path(__file__).parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")


def _layout() -> str:
    start = README.index("- Layout")
    return README[start:]


def test_every_module_is_in_the_layout_table():
    modules = {p.name for p in (ROOT / "geoinf").glob("*.py")
               if p.name not in ("__init__.py", "__main__.py")}
    listed = set(re.findall(r"`(\w+\.py)`", _layout()))
    assert modules - listed == set(), "modules missing from the README's Layout table"
    kernels = {p.name for p in (ROOT / "geoinf" / "_kernels").glob("*.py")
               if p.name != "__init__.py"}
    assert kernels - listed == set(), "kernels missing from the README's Layout table"


def test_every_command_appears_in_the_readme():
    for name in main.commands:
        assert re.search(rf"geoinf {name}\b", README), f"geoinf {name} is not in the README"
