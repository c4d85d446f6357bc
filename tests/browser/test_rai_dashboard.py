"""The Responsible AI dashboard renders in JupyterLab in a real browser, served by the kernel on loopback only."""
import re
import time
import urllib.parse

import nbformat
import psutil

from test_learner_path import RUN_S, open_notebook, run_all, wait_until_ran

SOURCE = """
import warnings
warnings.filterwarnings("ignore")
import pandas as pd
from sklearn.ensemble import GradientBoostingClassifier
from responsibleai import RAIInsights
from raiwidgets import ResponsibleAIDashboard
loans = pd.read_csv("../datasets/loans.csv")
cols = ["income", "credit_score", "debt_to_income", "prior_defaults", "approved"]
train, test = loans[cols].iloc[:300], loans[cols].iloc[300:340]
model = GradientBoostingClassifier(n_estimators=20, random_state=0).fit(train.drop(columns="approved"), train.approved)
rai = RAIInsights(model, train, test, "approved", "classification")
rai.explainer.add()
rai.error_analysis.add(max_depth=2)
rai.compute()
ResponsibleAIDashboard(rai)
"""


def test_rai_dashboard_renders_in_jupyterlab(page, jupyter):
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(SOURCE.strip())]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, jupyter["root"] / "notebooks" / "rai_dashboard_check.ipynb")
    url = jupyter["url"].replace("/notebooks/00_start_here.ipynb", "/notebooks/rai_dashboard_check.ipynb")
    open_notebook(page, url, "rai_dashboard_check.ipynb")
    run_all(page)
    wait_until_ran(page, timeout=RUN_S)
    frame = page.locator(".jp-OutputArea-output iframe").first
    frame.wait_for(timeout=RUN_S * 1000)
    src = frame.get_attribute("src")
    host = urllib.parse.urlparse(src).hostname
    assert host in ("localhost", "127.0.0.1"), src
    inner = page.frame_locator(".jp-OutputArea-output iframe").first
    deadline = time.monotonic() + RUN_S
    while time.monotonic() < deadline:  # the React app loads its data from the kernel's server, then draws
        text = inner.locator("body").inner_text(timeout=RUN_S * 1000)
        if re.search(r"Error analysis|Model overview|Feature importances", text):
            break
        time.sleep(2)
    assert re.search(r"Error analysis|Model overview|Feature importances", text), text[:500]
    port = urllib.parse.urlparse(src).port
    listeners = [c for c in psutil.net_connections(kind="tcp") if c.status == "LISTEN" and c.laddr.port == port]
    assert listeners and all(c.laddr.ip in ("127.0.0.1", "::1") for c in listeners)
