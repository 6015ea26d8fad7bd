"""``runback.io`` re-exports its readers, and loads none of them until one is asked for."""

from __future__ import annotations

import importlib
import subprocess
import sys

import pytest

import runback.io


@pytest.mark.parametrize("name", runback.io.__all__)
def test_each_reader_is_the_one_of_its_module(name):
    module = importlib.import_module(runback.io._LAZY[name])
    assert getattr(runback.io, name) is getattr(module, name)
    assert name in dir(runback.io)


def test_an_unknown_name_is_an_attribute_error():
    with pytest.raises(AttributeError, match="read_nothing"):
        runback.io.read_nothing  # noqa: B018


def test_importing_the_package_loads_no_reader():
    code = ("import sys, runback.io; "
            "print(sorted(m for m in sys.modules if m.startswith('runback.io.')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert out.strip() == "[]"
