"""dp100lab.labs.build: labs generated from solutions/ markers, deterministic, drift detected."""
import hashlib
import json
import shutil

import nbformat
import pytest
from conftest import solution_notebook
from nbformat.v4 import new_code_cell

from dp100lab.labs import build


def lab_of(repo):
    return nbformat.read(repo / "labs" / "01_tiny_lab.ipynb", as_version=4)


def test_build_writes_lab_and_is_byte_identical(repo, tmp_path_factory, capsys):
    assert build.main(["--root", str(repo)]) == 0
    first = (repo / "labs" / "01_tiny_lab.ipynb").read_bytes()
    assert build.main(["--root", str(repo)]) == 0
    assert (repo / "labs" / "01_tiny_lab.ipynb").read_bytes() == first
    other = tmp_path_factory.mktemp("other")  # same input elsewhere -> same bytes (no paths, times, ids)
    shutil.copytree(repo / "solutions", other / "solutions")
    assert build.main(["--root", str(other)]) == 0
    assert (other / "labs" / "01_tiny_lab.ipynb").read_bytes() == first
    assert "1 labs (1 files written)" in capsys.readouterr().out


def test_markers_become_blanks_with_indentation_kept(repo):
    build.main(["--root", str(repo)])
    work = lab_of(repo).cells[4].source
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
    assert lab.cells[0].source == "# 01 · Tiny — lab\n\nA tiny lab."  # the tab's first heading says "lab"
    header = lab.cells[1].source
    assert "your lab notebook: edit it" in header and "Do not edit" not in header
    assert "dp100 check labs/01_tiny_lab.ipynb" in header and "solutions/01_tiny_solution.ipynb" in header
    sources = [c.source for c in lab.cells]
    assert not any("2 + 2 = 4" in s for s in sources)  # markdown tagged "solution" removed
    code = [c for c in lab.cells if c.cell_type == "code"]
    assert all(c.outputs == [] and c.execution_count is None for c in code)
    assert set(lab.metadata) == {"kernelspec", "language_info", "dp100lab"}
    assert lab.metadata.language_info == {"name": "python"}
    check = code[-1]
    assert check.metadata == {"tags": ["check"], "editable": False, "deletable": False}
    assert "lab.check('x is 4'" in check.source  # check cells are copied as they are


def test_cell_map_names_tasks_blanks_and_what_they_set(repo):
    work = 'from math import pi\ncluster = AmlCompute(name="lab-cluster")  # SOLUTION: an AmlCompute cluster'
    nbformat.write(solution_notebook(work=work), repo / "solutions" / "01_tiny_solution.ipynb")
    build.main(["--root", str(repo)])
    lab = lab_of(repo)
    assert lab.cells[4].source == "from math import pi\ncluster = ...  # YOUR CODE HERE: an AmlCompute cluster"
    rows = {row["cell"]: row for row in lab.metadata.dp100lab.cells}
    assert rows[5]["task"] == "Task 1 · Numbers" and rows[5]["sets"] == ["pi", "cluster"] and rows[5]["blank"]
    assert rows[5]["literals"] == ["lab-cluster"]
    assert rows[4]["sets"] == ["Lab", "lab"] and not rows[4]["blank"]


def test_block_marker_text_is_kept(repo):
    work = "# BEGIN SOLUTION: the two numbers to add\nx = 2 + 2\n# END SOLUTION"
    nbformat.write(solution_notebook(work=work), repo / "solutions" / "01_tiny_solution.ipynb")
    build.main(["--root", str(repo)])
    assert lab_of(repo).cells[4].source == "# YOUR CODE HERE: the two numbers to add\n..."


def test_check_passes_when_in_sync_and_detects_drift(repo, capsys):
    assert build.main(["--root", str(repo), "--check"]) == 1  # labs/ missing
    assert "missing:   labs/01_tiny_lab.ipynb" in capsys.readouterr().err
    build.main(["--root", str(repo)])
    assert build.main(["--root", str(repo), "--check"]) == 0
    lab_path = repo / "labs" / "01_tiny_lab.ipynb"
    lab_path.write_text(lab_path.read_text().replace("YOUR CODE HERE", "4", 1))
    assert build.main(["--root", str(repo), "--check"]) == 1
    err = capsys.readouterr().err
    assert "different: labs/01_tiny_lab.ipynb" in err and "make labs" in err
    lab_path.unlink()
    build.main(["--root", str(repo)])
    shutil.copy(lab_path, repo / "labs" / "02_orphan_lab.ipynb")
    assert build.main(["--root", str(repo), "--check"]) == 1
    assert "extra:     labs/02_orphan_lab.ipynb" in capsys.readouterr().err


def test_learner_edits_are_never_overwritten(repo, capsys):
    build.main(["--root", str(repo)])
    lab_path = repo / "labs" / "01_tiny_lab.ipynb"
    edited = lab_path.read_text().replace("x = ...", "x = 2 + 2", 1)
    lab_path.write_text(edited)
    (repo / "labs" / "src").mkdir()
    mine = repo / "labs" / "src" / "my_fix.yml"
    mine.write_text("mine: true\n")  # a file the learner added is theirs
    nbformat.write(solution_notebook(work="x = 5  # SOLUTION"), repo / "solutions" / "01_tiny_solution.ipynb")
    assert build.main(["--root", str(repo)]) == 0
    out = capsys.readouterr().out
    assert "kept labs/01_tiny_lab.ipynb: it has your edits" in out and "1 kept" in out
    assert lab_path.read_text() == edited and mine.read_text() == "mine: true\n"
    lab_path.rename(repo / "labs" / "mine.ipynb")  # what the message says to do
    assert build.main(["--root", str(repo)]) == 0
    assert "x = ...  # YOUR CODE HERE" in lab_path.read_text()


def test_stale_generated_lab_is_removed_but_an_edited_one_kept(repo, capsys):
    nb = solution_notebook()
    nbformat.write(nb, repo / "solutions" / "02_other_solution.ipynb")
    build.main(["--root", str(repo)])
    (repo / "solutions" / "02_other_solution.ipynb").unlink()
    lab1 = repo / "labs" / "01_tiny_lab.ipynb"
    lab1.write_text(lab1.read_text().replace("x = ...", "x = 4", 1))
    (repo / "solutions" / "01_tiny_solution.ipynb").unlink()
    nbformat.write(solution_notebook(), repo / "solutions" / "03_new_solution.ipynb")
    assert build.main(["--root", str(repo)]) == 0
    out = capsys.readouterr().out
    assert "removed labs/02_other_lab.ipynb" in out and not (repo / "labs" / "02_other_lab.ipynb").exists()
    assert lab1.exists() and "kept labs/01_tiny_lab.ipynb" in out


def test_check_detects_changed_solution(repo, capsys):
    build.main(["--root", str(repo)])
    nb = solution_notebook(work="x = 5  # SOLUTION")
    nbformat.write(nb, repo / "solutions" / "01_tiny_solution.ipynb")
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
        nb.cells[5].metadata = {}
    nbformat.write(nb, repo / "solutions" / "01_tiny_solution.ipynb")
    assert build.main(["--root", str(repo)]) == 1
    err = capsys.readouterr().err
    assert "solutions/01_tiny_solution.ipynb" in err and message in err
    assert build.main(["--root", str(repo), "--check"]) == 1


def test_magics_and_return_lines(repo):
    work = ("%matplotlib inline\ndef f():\n    return 3  # SOLUTION\n!echo hi\ny: int = 3  # SOLUTION\n"
            "z = max(\n    y,  # SOLUTION\n    2,\n)")
    nbformat.write(solution_notebook(work=work), repo / "solutions" / "01_tiny_solution.ipynb")
    assert build.main(["--root", str(repo)]) == 0
    assert lab_of(repo).cells[4].source == (
        "%matplotlib inline\ndef f():\n    return ...  # YOUR CODE HERE\n!echo hi\ny: int = ...  # YOUR CODE HERE\n"
        "z = max(\n    ...,  # YOUR CODE HERE\n    2,\n)")


def test_cells_without_ids_get_stable_ids(repo):
    nb = solution_notebook(extra_cells=[new_code_cell("print(1)")])
    nb.nbformat_minor = 4
    for cell in nb.cells:
        del cell["id"]
    (repo / "solutions" / "01_tiny_solution.ipynb").write_text(nbformat.writes(nb, version=4))
    build.main(["--root", str(repo)])
    first = (repo / "labs" / "01_tiny_lab.ipynb").read_bytes()
    (repo / "labs" / "01_tiny_lab.ipynb").unlink()
    build.main(["--root", str(repo)])
    assert (repo / "labs" / "01_tiny_lab.ipynb").read_bytes() == first


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
    assert (repo / "labs" / "src" / "05" / "train.py").read_text() == "print('v2')\n"  # unedited: updated
    assert (repo / "labs" / "src" / "05" / "old.py").exists()  # never generated: the learner's, kept
    (repo / "labs" / "src" / "05" / "old.py").unlink()
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
    nbformat.write(solution_notebook(work=work), repo / "solutions" / "01_tiny_solution.ipynb")
    assert build.main(["--root", str(repo)]) == 0
    assert lab_of(repo).cells[4].source == (
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


def test_force_regenerates_an_edited_lab(repo, capsys):
    build.main(["--root", str(repo)])
    lab_path = repo / "labs" / "01_tiny_lab.ipynb"
    lab_path.write_text(lab_path.read_text().replace("x = ...", "x = 2 + 2", 1))
    assert build.main(["--root", str(repo), "--force"]) == 0
    assert "x = ...  # YOUR CODE HERE" in lab_path.read_text() and "kept" not in capsys.readouterr().out


def test_lab_files_are_named_apart_from_their_solution_and_teaching_notebook(repo):
    """JupyterLab's tab shows only the file name: notebooks/01_tiny, labs/01_tiny_lab, solutions/01_tiny_solution."""
    assert build.main(["--root", str(repo)]) == 0
    assert sorted(p.name for p in (repo / "labs").glob("*.ipynb")) == ["01_tiny_lab.ipynb"]


def test_a_lab_edited_under_its_old_name_moves_to_the_new_name_with_its_edits(repo, capsys):
    build.main(["--root", str(repo)])
    old, new = repo / "labs" / "01_tiny.ipynb", repo / "labs" / "01_tiny_lab.ipynb"
    untouched = repo / "labs" / "02_gone.ipynb"  # an old-name lab the learner never touched: simply removed
    manifest = json.loads((repo / "labs" / build.MANIFEST).read_text())
    new.rename(old)  # the state of a checkout from before the rename, with the learner's edit below
    old.write_text(old.read_text().replace("x = ...", "x = 4", 1))
    untouched.write_text((repo / "solutions" / "01_tiny_solution.ipynb").read_text())
    manifest["labs/01_tiny.ipynb"] = manifest.pop("labs/01_tiny_lab.ipynb")
    manifest["labs/02_gone.ipynb"] = hashlib.sha256(untouched.read_bytes()).hexdigest()
    (repo / "labs" / build.MANIFEST).write_text(json.dumps(manifest))
    assert build.main(["--root", str(repo)]) == 0
    out = capsys.readouterr().out
    assert not old.exists() and "x = 4" in new.read_text(), "the learner's edit moved with the lab"
    assert "moved labs/01_tiny.ipynb to labs/01_tiny_lab.ipynb" in out and "kept labs/01_tiny_lab.ipynb" in out
    assert not untouched.exists()
    assert build.main(["--root", str(repo)]) == 0 and "x = 4" in new.read_text(), "a second build keeps the edit"
