"""Tiny synthetic solution notebooks for the lab builder and grader tests."""
import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

SETUP = "from dp100lab.checks import Lab\nlab = Lab('01_tiny')"
WORK = (
    "x = 2 + 2  # SOLUTION\n"
    "def double(a):\n"
    "    # BEGIN SOLUTION\n"
    "    b = a * 2\n"
    "    return b\n"
    "    # END SOLUTION\n"
    "params = dict(\n"
    "    lr=0.1,  # SOLUTION\n"
    "    epochs=3,\n"
    ")\n"
    "sizes = {\n"
    "    'train': 0.8,  # SOLUTION\n"
    "}"
)
CHECK = (
    "lab.check('x is 4', lambda: x, 4, hint='add two and two')\n"
    "lab.check('double doubles', lambda: double(3), 6)\n"
    "lab.check('learning rate', lambda: params['lr'], lambda v: 0 < v < 1, hint='a small positive number')\n"
    "lab.summary()"
)


def solution_notebook(work=WORK, check=CHECK, extra_cells=()):
    cells = [
        new_markdown_cell("# 01 · Tiny — solution\n\nA tiny lab."),
        new_markdown_cell("## Task 1 · Numbers"),
        new_code_cell(SETUP),
        new_code_cell(work, execution_count=2, outputs=[new_output("stream", name="stdout", text="hi\n")]),
        new_markdown_cell("The answer is 4 because 2 + 2 = 4.", metadata={"tags": ["solution"]}),
        new_code_cell(check, metadata={"tags": ["check"]}),
        *extra_cells,
    ]
    for i, cell in enumerate(cells):
        cell.id = f"cell-{i}"
    return new_notebook(cells=cells, metadata={
        "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
        "language_info": {"name": "python", "version": "3.11.7", "mimetype": "text/x-python"},
        "dp100lab": {"module": "01", "skills": ["dp100-1.1.1"]},
        "widgets": {"application/vnd.jupyter.widget-state+json": {}},
        "toc": {"x": 1},
    })


@pytest.fixture
def repo(tmp_path):
    """A repository with solutions/01_tiny_solution.ipynb; returns its root."""
    (tmp_path / "solutions").mkdir()
    nbformat.write(solution_notebook(), tmp_path / "solutions" / "01_tiny_solution.ipynb")
    return tmp_path
