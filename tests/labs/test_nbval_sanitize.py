"""tests/nbval_sanitize.cfg masks run-to-run values (ids, times, temp paths) and nothing else."""
import re
from pathlib import Path

from nbval.plugin import get_sanitize_patterns

CFG = Path(__file__).resolve().parents[1] / "nbval_sanitize.cfg"


def sanitize(text):
    for regex, replace in get_sanitize_patterns(CFG.read_text()):
        text = re.sub(regex, replace, text)
    return text


def test_masks_values_that_change_between_runs():
    run_a = ("dp100lab: local workspace in /tmp/dp100lab-nb-3uioi97w (MLflow tracking: sqlite:////tmp/x1/mlflow.db)\n"
             "RunId: magenta_oven_jc3fyd64q4 run 2a22bd55aab94792a67b591fb358937c id 6f1c2a3e-1b2c-4d5e-8f90-123456789abc\n"
             "2026/11/23 14:27:53 INFO created 2026-11-23T14:27:53.123+00:00 <Foo object at 0x7f3759edca10>\n"
             "took 1.23s Wall time: 2.3 s elapsed 0:00:12 pid 4242 in /root/.dp100lab/jobs")
    run_b = ("dp100lab: local workspace in /tmp/tmp.qOh8IAy6kf (MLflow tracking: sqlite:////tmp/y2/mlflow.db)\n"
             "RunId: sincere_kiwi_4yxn2x8r8d run 0b9e7f3a4c5d6e7f8091a2b3c4d5e6f7 id 00000000-1111-2222-3333-444444444444\n"
             "2027/01/02 03:04:05 INFO created 2027-01-02T03:04:05Z <Foo object at 0x55aa00bb11cc>\n"
             "took 12.0s Wall time: 1 min 3 s elapsed 1:02:03 pid 17 in /home/ana/.dp100lab/jobs")
    assert sanitize(run_a) == sanitize(run_b)


def test_keeps_results_that_must_match():
    text = ("accuracy 0.815 AUC 0.77 (2000, 10) ✓ scale down after 5 minutes train_cluster max_instances=2\n"
            "params : {'reg_rate': '0.01'} azureml:diabetes-lab:1 STANDARD_DS11_V2")
    assert sanitize(text) == text
