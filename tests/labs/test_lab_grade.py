"""dp100lab.labs.grade on a real kernel: a blank lab fails its checks, the solution passes them."""
import nbformat
from conftest import solution_notebook
from nbformat.v4 import new_code_cell

from dp100lab.labs import build, grade


def test_blank_lab_fails_and_solution_passes(repo, capsys):
    assert build.main(["--root", str(repo)]) == 0
    capsys.readouterr()

    assert grade.main([str(repo / "labs" / "01_tiny_lab.ipynb"), "--timeout", "120"]) == 1
    out = capsys.readouterr().out
    assert ("✗ x is 4 — `x` is not done yet — fill in the blank in cell 5 (Task 1) and run it. "
            "Hint: add two and two") in out
    assert "✗ double doubles — `double(3)` is None; expected 6." in out
    assert "✗ learning rate — `params` is not done yet — fill in the blank in cell 5" in out
    assert "0/3 checks passed" in out

    assert grade.main([str(repo / "solutions" / "01_tiny_solution.ipynb"), "--timeout", "120"]) == 0
    out = capsys.readouterr().out
    assert "✓ x is 4\n" in out and "✓ learning rate\n" in out
    assert "3/3 checks passed — lab complete." in out


def test_errors_are_reported_with_the_cell_and_what_to_do(tmp_path, capsys):
    # a cell that uses a blank raises; grading keeps going so the check below still reports
    nb = solution_notebook(
        work="x = ...  # YOUR CODE HERE\ny = x + 1",
        check=("lab.check('x is 4', lambda: x, 4)\n"
               "lab.check('positive',\n          lambda: -1,\n          lambda v: v > 0, hint='flip it')\nlab.summary()"),
        extra_cells=[new_code_cell("raise ValueError('the data folder is empty')"),
                     new_code_cell("import no_such_module_dp100")],
    )
    path = tmp_path / "01_tiny.ipynb"
    nbformat.write(nb, path)
    result = grade.grade(path, timeout=120)
    assert not result.ok
    assert [(e.index, e.ename) for e in result.errors] == [
        (4, "TypeError"), (7, "ValueError"), (8, "ModuleNotFoundError")]
    assert result.errors[0].in_blank and not result.errors[1].in_blank
    # after a blank an error may be its consequence, but a missing module never is
    assert [e.explained_by_blanks for e in result.errors] == [True, True, False]
    text = grade.format_grade(result)
    assert "! cell 4 raised TypeError: unsupported operand type(s) for +: 'ellipsis' and 'int'" in text
    assert "What to do: this cell still has a blank" in text
    assert "! cell 7 raised ValueError: the data folder is empty" in text
    assert "probably a blank above is not filled in yet" in text
    # the predicate's source is found inside the kernel too (IPython keeps cell sources for inspect)
    assert "✗ positive — got -1; expected a value where v > 0. Hint: flip it" in text
    assert "0/2 checks passed (1 not done yet); 3 cell(s) raised errors" in text


def test_missing_notebook_and_no_checks(tmp_path, capsys):
    assert grade.main([str(tmp_path / "nope.ipynb")]) == 2
    assert "No notebook at" in capsys.readouterr().err
    path = tmp_path / "plain.ipynb"
    nbformat.write(nbformat.v4.new_notebook(cells=[new_code_cell("1 + 1")]), path)
    assert grade.main([str(path), "--timeout", "60"]) == 1
    assert "0/0 checks passed — no checks ran" in capsys.readouterr().out


def test_blank_errors_end_in_one_line_and_later_cells_say_which_cell_to_fill(repo, capsys):
    """In the kernel, Lab(...)'s handler turns blank errors into one line; other errors keep their traceback."""
    work = "data = dict(path='loans.csv')  # SOLUTION: a dict with the path\nsize = len(data)"
    nb = solution_notebook(work=work, check="lab.check('size', lambda: size, 1)", extra_cells=[
        new_code_cell("print(data['path'])"), new_code_cell("print(later)"), new_code_cell("1 / 0"),
        new_code_cell("later = 1")])
    nbformat.write(nb, repo / "solutions" / "01_tiny_solution.ipynb")
    assert build.main(["--root", str(repo)]) == 0
    from dp100lab.labs.execute import run_notebook

    result = run_notebook(repo / "labs" / "01_tiny_lab.ipynb", allow_errors=True, timeout=120)
    errors = {e.index: e for e in result.errors}
    tracebacks = {i: "".join(o.get("traceback", [])) for i, c in enumerate(result.notebook.cells, 1)
                  for o in c.get("outputs", []) if o.get("output_type") == "error"}
    assert "✗ This cell still has a blank: `data = ...  # YOUR CODE HERE: a dict with the path`" in tracebacks[5]
    assert "versioned.py" not in tracebacks[5] and "\n" not in tracebacks[5].strip()
    assert tracebacks[7].endswith("✗ `data` is still `...`: fill in the blank in cell 5 (Task 1) first, "
                                  "run it, then run this cell again.\x1b[0m")
    assert "`later` is not defined yet: run cell 10 (Task 1) first" in tracebacks[8]
    assert "ZeroDivisionError" in tracebacks[9] and "Traceback" in tracebacks[9] or "----" in tracebacks[9]
    assert errors[9].ename == "ZeroDivisionError"  # a real error keeps IPython's full traceback


def test_grading_runs_a_copy_and_leaves_the_learners_folder_untouched(tmp_path):
    nb = solution_notebook(work="x = 4  # SOLUTION", check="lab.check('x is 4', lambda: x, 4)", extra_cells=[
        new_code_cell("open('written-by-the-lab.txt', 'w').write('run product')")])
    path = tmp_path / "01_tiny.ipynb"
    nbformat.write(nb, path)
    before = path.read_bytes()
    result = grade.grade(path, timeout=120)
    assert result.ok and [c.line for c in result.checks] == ["✓ x is 4"]
    assert path.read_bytes() == before and not (tmp_path / "written-by-the-lab.txt").exists()
