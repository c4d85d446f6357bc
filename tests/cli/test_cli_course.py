"""`dp100 course`: runs NN_*.ipynb headless in a temporary copy and summarises; fails when one fails."""
import nbformat
from nbformat.v4 import new_code_cell, new_notebook

from dp100lab.cli import main


def write(path, *sources):
    nbformat.write(new_notebook(cells=[new_code_cell(s) for s in sources]), path)


def test_course_runs_in_order_and_reports_failures(tmp_path, capsys):
    folder = tmp_path / "solutions"
    folder.mkdir()
    (tmp_path / "datasets").mkdir()
    (tmp_path / "datasets" / "x.csv").write_text("a\n1\n")
    write(folder / "01_ok.ipynb", "import pandas as pd\nassert len(pd.read_csv('../datasets/x.csv')) == 1",
          "open('made_here.txt', 'w').write('x')")
    write(folder / "02_broken.ipynb", "print('start')", "1 / 0", "print('never')")
    write(folder / "notes.ipynb", "1/0")  # not a module notebook: ignored
    before = sorted(p.name for p in folder.iterdir())

    assert main(["course", "--dir", str(folder), "--timeout", "120"]) == 1
    out = capsys.readouterr().out
    assert "01_ok " in out and "02_broken" in out
    assert "FAILED" in out and "cell 2: ZeroDivisionError: division by zero" in out
    assert "1 of 2 notebooks failed" in out
    assert "notes" not in out.split("\n", 1)[1]
    assert sorted(p.name for p in folder.iterdir()) == before  # ran in a copy: nothing written here

    assert main(["course", "1", "--dir", str(folder), "--timeout", "120"]) == 0
    out = capsys.readouterr().out
    assert "All 1 notebooks ran." in out and "02_broken" not in out


def test_course_unknown_module_and_empty_folder(tmp_path, capsys):
    assert main(["course", "--dir", str(tmp_path)]) == 0
    assert "nothing to run" in capsys.readouterr().out
    write(tmp_path / "01_a.ipynb", "1")
    try:
        main(["course", "7", "--dir", str(tmp_path)])
    except SystemExit as exc:
        assert "no notebook for module '7'" in str(exc)
    else:
        raise AssertionError("an unknown module must be an error")
