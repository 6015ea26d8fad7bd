"""The notebooks in ``notebooks/`` run top to bottom on the committed sample data."""

from __future__ import annotations

import sys
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient
from nbformat.v4 import new_code_cell, new_notebook

REPO = Path(__file__).resolve().parents[1]
NOTEBOOK_DIR = REPO / "notebooks"
NOTEBOOKS = sorted(NOTEBOOK_DIR.glob("*.ipynb"))
#: Longest a single cell may take. [s]
CELL_TIMEOUT_S = 600
#: What each notebook writes into RUNBACK_NOTEBOOK_OUT.
WRITES = {"01_runner_quickstart.ipynb": ["runner_report.html"],
          "02_coach_team_review.ipynb": ["team_report.html"],
          "03_analyst_deep_dive.ipynb": [],
          "cohort.ipynb": ["cohort.html"]}


def execute(nb, cwd: Path):
    """Run ``nb`` in a fresh python3 kernel with ``cwd`` as its working folder."""
    client = NotebookClient(nb, timeout=CELL_TIMEOUT_S, kernel_name="python3",
                            resources={"metadata": {"path": str(cwd)}})
    return client.execute()


@pytest.fixture
def kernel_env(tmp_path, monkeypatch):
    """The kernel inherits these: headless charts, outputs in a temporary folder.

    (RUNBACK_CACHE_DIR is already a per-test folder, from conftest.py.)
    """
    out = tmp_path / "out"
    monkeypatch.setenv("MPLBACKEND", "Agg")
    monkeypatch.setenv("RUNBACK_NOTEBOOK_OUT", str(out))
    return out


def test_there_are_the_four_notebooks():
    assert [p.name for p in NOTEBOOKS] == sorted(WRITES)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_committed_without_outputs(path):
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert code
    assert all(c.outputs == [] and c.execution_count is None for c in code)
    assert nb.metadata["kernelspec"]["name"] == "python3"


def test_kernel_runs_this_python(kernel_env, tmp_path):
    nb = new_notebook(cells=[new_code_cell(
        "import os, sys\nprint(sys.executable)\nprint(os.getcwd())\n"
        "print(os.environ['RUNBACK_NOTEBOOK_OUT'])")])
    out = execute(nb, tmp_path)
    lines = out.cells[0].outputs[0]["text"].splitlines()
    assert Path(lines[0]).resolve() == Path(sys.executable).resolve()
    assert Path(lines[1]) == tmp_path
    assert Path(lines[2]) == kernel_env


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_runs_top_to_bottom(path, kernel_env):
    before = sorted(p.name for p in NOTEBOOK_DIR.iterdir())
    nb = nbformat.read(path, as_version=4)
    done = execute(nb, NOTEBOOK_DIR)  # raises CellExecutionError naming the failing cell
    code = [c for c in done.cells if c.cell_type == "code"]
    assert all(c.execution_count is not None for c in code)
    errors = [o for c in code for o in c.outputs if o.output_type == "error"]
    assert errors == []
    # a cell's stderr is where warnings land: none expected
    stderr = [o["text"] for c in code for o in c.outputs
              if o.output_type == "stream" and o.name == "stderr"]
    assert stderr == []
    # nothing written beside the notebooks; the reports went to RUNBACK_NOTEBOOK_OUT
    assert sorted(p.name for p in NOTEBOOK_DIR.iterdir()) == before
    written = sorted(p.name for p in kernel_env.iterdir()) if kernel_env.exists() else []
    assert written == WRITES[path.name]
    for name in written:
        html = (kernel_env / name).read_text()
        assert html.lstrip().lower().startswith("<!doctype html>") and "</html>" in html
