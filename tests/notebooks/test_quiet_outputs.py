"""Teaching notebooks 00 and 05 show a learner no library chatter (issue 9): no stderr box, none of the messages the
issue found (MLflow's table creation, the SDK's experimental-class warning, an enum where studio shows a word).

The stored outputs are checked here; the outputs of a fresh run are checked by test_teaching_notebook_runs
(test_notebooks.py), which runs every teaching notebook and applies `chatter` to these modules' outputs.
"""
import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
QUIET_MODULES = ("00", "05")
CHATTER = re.compile(r"Creating initial MLflow database tables|This is an experimental class|JobStatus\.\w+|"
                     r"INFO [a-z_.]+:|WARNING [a-z_.]+:|\bUserWarning\b|\bFutureWarning\b|\bDeprecationWarning\b")


def chatter(cells) -> list[str]:
    """'cell N: text' for every stderr output and every output line that is library chatter."""
    found = []
    for index, cell in enumerate(cells, start=1):
        for out in cell.get("outputs", []):
            text = out.get("text", "")
            text = "".join(text) if isinstance(text, list) else text
            if out.get("output_type") == "stream" and out.get("name") == "stderr":
                found.append(f"cell {index} (stderr): {text.strip()[:200]}")
                continue
            data = out.get("data", {}).get("text/plain", "")
            for line in (text + "\n" + ("".join(data) if isinstance(data, list) else data)).splitlines():
                if CHATTER.search(line):
                    found.append(f"cell {index}: {line.strip()[:200]}")
    return found


def test_chatter_finds_a_stderr_box_and_a_warning():  # the detector itself, on a made-up cell
    cells = [{"outputs": [{"output_type": "stream", "name": "stderr", "text": ["2026/12/02 INFO mlflow.store\n"]}]},
             {"outputs": [{"output_type": "stream", "name": "stdout",
                           "text": "Class ModelConfiguration: This is an experimental class, and may change\n"}]},
             {"outputs": [{"output_type": "execute_result", "data": {"text/plain": "'Completed'"}}]}]
    assert [line.split(":")[0] for line in chatter(cells)] == ["cell 1 (stderr)", "cell 2"]


@pytest.mark.parametrize("module", QUIET_MODULES)
def test_stored_outputs_of_the_teaching_notebook_are_quiet(module):
    (path,) = ROOT.glob(f"notebooks/{module}_*.ipynb")
    cells = json.loads(path.read_text())["cells"]
    assert any(cell.get("outputs") for cell in cells), f"{path.name} is stored without outputs"
    found = chatter(cells)
    assert not found, f"{path.name} shows a learner library chatter:\n" + "\n".join(found)
