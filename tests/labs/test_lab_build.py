"""dp100lab.labs.build: labs generated from solutions/ markers, deterministic, drift detected."""
import shutil

import nbformat
import pytest
from conftest import solution_notebook
from nbformat.v4 import new_code_cell

from dp100lab.labs import build


def lab_of(repo):
    return nbformat.read(repo / "labs" / "01_tiny.ipynb", as_version=4)


def test_build_writes_lab_and_is_byte_identical(repo, tmp_path_factory, capsys):
    assert build.main(["--root", str(repo)]) == 0
    first = (repo / "labs" / "01_tiny.ipynb").read_bytes()
    assert build.main(["--root", str(repo)]) == 0
    assert (repo / "labs" / "01_tiny.ipynb").read_bytes() == first
    other = tmp_path_factory.mktemp("other")  # same input elsewhere -> same bytes (no paths, times, ids)
    shutil.copytree(repo / "solutions", other / "solutions")
    assert build.main(["--root", str(other)]) == 0
    assert (other / "labs" / "01_tiny.ipynb").read_bytes() == first
    assert "1 labs (1 files written)" in capsys.readouterr().out


def test_markers_become_blanks_with_indentation_kept(repo):
    build.main(["--root", str(repo)])
    work = lab_of(repo).cells[3].source
    assert work == (
        "x = ...  # YOUR CODE HERE\n"
        "def double(a):\n"
        "    # YOUR CODE HERE\n"
        "    ...\n"
        "params = dict(\n"
        "    lr=...,  # YOUR CODE HERE\n"
        "    epochs=3,\n"
        ")\n"
        "sizes = {\n"
        "    'train': ...,  # YOUR CODE HERE\n"
        "}"
    )


def test_lab_is_clean(repo):
    build.main(["--root", str(repo)])
    lab = lab_of(repo)
    assert "lab generated" in lab.cells[0].source.lower() or "Lab notebook" in lab.cells[0].source
    assert "dp100 check labs/01_tiny.ipynb" in lab.cells[0].source
    sources = [c.source for c in lab.cells]
    assert not any("2 + 2 = 4" in s for s in sources)  # markdown tagged "solution" removed
    code = [c for c in lab.cells if c.cell_type == "code"]
    assert all(c.outputs == [] and c.execution_count is None for c in code)
    assert set(lab.metadata) == {"kernelspec", "language_info", "dp100lab"}
    assert lab.metadata.language_info == {"name": "python"}
    check = code[-1]
    assert check.metadata == {"tags": ["check"], "editable": False, "deletable": False}
    assert "lab.check('x is 4'" in check.source  # check cells are copied as they are


def test_check_passes_when_in_sync_and_detects_drift(repo, capsys):
    assert build.main(["--root", str(repo), "--check"]) == 1  # labs/ missing
    assert "missing:   labs/01_tiny.ipynb" in capsys.readouterr().err
    build.main(["--root", str(repo)])
    assert build.main(["--root", str(repo), "--check"]) == 0
    lab_path = repo / "labs" / "01_tiny.ipynb"
    lab_path.write_text(lab_path.read_text().replace("YOUR CODE HERE", "4", 1))
    assert build.main(["--root", str(repo), "--check"]) == 1
    err = capsys.readouterr().err
    assert "different: labs/01_tiny.ipynb" in err and "make labs" in err
    build.main(["--root", str(repo)])
    shutil.copy(lab_path, repo / "labs" / "02_orphan.ipynb")
    assert build.main(["--root", str(repo), "--check"]) == 1
    assert "extra:     labs/02_orphan.ipynb" in capsys.readouterr().err
    assert build.main(["--root", str(repo)]) == 0  # a build removes the stale lab
    assert not (repo / "labs" / "02_orphan.ipynb").exists()


def test_check_detects_changed_solution(repo, capsys):
    build.main(["--root", str(repo)])
    nb = solution_notebook(work="x = 5  # SOLUTION")
    nbformat.write(nb, repo / "solutions" / "01_tiny.ipynb")
    assert build.main(["--root", str(repo), "--check"]) == 1


def test_no_solutions_is_zero_labs(tmp_path, capsys):
    assert build.main(["--root", str(tmp_path), "--check"]) == 0
    assert "0 labs" in capsys.readouterr().out
    assert build.main(["--root", str(tmp_path)]) == 0


@pytest.mark.parametrize("work, check, message", [
    ("x = 4", None, "no `# SOLUTION` line or `# BEGIN SOLUTION` block"),
    (None, "print('no checks tagged')", "no cell tagged \"check\""),
    ("# BEGIN SOLUTION\nx = 4", None, "never closed"),
    ("x = 4\n# END SOLUTION", None, "without a `# BEGIN SOLUTION`"),
    ("job = command(  # SOLUTION\n    code='.')", None, "not valid Python"),
    ("while True:  # SOLUTION\n    pass", None, "not a whole statement"),
    ("# SOLUTION\nx = 4", None, "alone on a line"),
])
def test_invalid_solutions_fail_with_clear_message(repo, capsys, work, check, message):
    nb = solution_notebook(work=work or "x = 4  # SOLUTION", check=check or "lab.check('x', lambda: x, 4)")
    if check:
        nb.cells[4].metadata = {}
    nbformat.write(nb, repo / "solutions" / "01_tiny.ipynb")
    assert build.main(["--root", str(repo)]) == 1
    err = capsys.readouterr().err
    assert "solutions/01_tiny.ipynb" in err and message in err
    assert build.main(["--root", str(repo), "--check"]) == 1


def test_magics_and_return_lines(repo):
    work = ("%matplotlib inline\ndef f():\n    return 3  # SOLUTION\n!echo hi\ny: int = 3  # SOLUTION\n"
            "z = max(\n    y,  # SOLUTION\n    2,\n)")
    nbformat.write(solution_notebook(work=work), repo / "solutions" / "01_tiny.ipynb")
    assert build.main(["--root", str(repo)]) == 0
    assert lab_of(repo).cells[3].source == (
        "%matplotlib inline\ndef f():\n    return ...  # YOUR CODE HERE\n!echo hi\ny: int = ...  # YOUR CODE HERE\n"
        "z = max(\n    ...,  # YOUR CODE HERE\n    2,\n)")


def test_cells_without_ids_get_stable_ids(repo):
    nb = solution_notebook(extra_cells=[new_code_cell("print(1)")])
    nb.nbformat_minor = 4
    for cell in nb.cells:
        del cell["id"]
    (repo / "solutions" / "01_tiny.ipynb").write_text(nbformat.writes(nb, version=4))
    build.main(["--root", str(repo)])
    first = (repo / "labs" / "01_tiny.ipynb").read_bytes()
    (repo / "labs" / "01_tiny.ipynb").unlink()
    build.main(["--root", str(repo)])
    assert (repo / "labs" / "01_tiny.ipynb").read_bytes() == first


def test_support_files_are_mirrored(repo, capsys):
    (repo / "solutions" / "src" / "05").mkdir(parents=True)
    (repo / "solutions" / "src" / "05" / "train.py").write_text("print('train')\n")
    (repo / "solutions" / "predictions.csv").write_text("a\n")  # a run product, not a lab source
    assert build.main(["--root", str(repo)]) == 0
    assert (repo / "labs" / "src" / "05" / "train.py").read_text() == "print('train')\n"
    assert (repo / "notebooks" / "src" / "05" / "train.py").read_text() == "print('train')\n"
    assert not (repo / "labs" / "predictions.csv").exists()
    (repo / "solutions" / "src" / "05" / "train.py").write_text("print('v2')\n")
    (repo / "labs" / "src" / "05" / "old.py").write_text("")
    assert build.main(["--root", str(repo), "--check"]) == 1
    err = capsys.readouterr().err
    assert "different: labs/src/05/train.py" in err
    assert "different: notebooks/src/05/train.py" in err
    assert "extra:     labs/src/05/old.py (no solutions/src/05/old.py)" in err
    assert build.main(["--root", str(repo)]) == 0
    assert build.main(["--root", str(repo), "--check"]) == 0


def test_block_headers_keep_their_body(repo):
    work = ("for rate in [1, 2]:\n"
            "    with open('x') as fh:  # SOLUTION\n"
            "        pass\n"
            "    with mlflow.start_run(nested=True):  # SOLUTION\n"
            "        pass\n"
            "for i in range(3):  # SOLUTION\n"
            "    if i > 1:  # SOLUTION\n"
            "        pass\n"
            "    elif i == 0:  # SOLUTION\n"
            "        pass")
    nbformat.write(solution_notebook(work=work), repo / "solutions" / "01_tiny.ipynb")
    assert build.main(["--root", str(repo)]) == 0
    assert lab_of(repo).cells[3].source == (
        "for rate in [1, 2]:\n"
        "    with ... as fh:  # YOUR CODE HERE\n"
        "        pass\n"
        "    with ...:  # YOUR CODE HERE\n"
        "        pass\n"
        "for i in ...:  # YOUR CODE HERE\n"
        "    if ...:  # YOUR CODE HERE\n"
        "        pass\n"
        "    elif ...:  # YOUR CODE HERE\n"
        "        pass")
