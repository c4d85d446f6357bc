"""The Responsible AI dashboard a notebook starts opens in a real browser, served by the kernel on loopback only."""
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


def test_rai_dashboard_opens_from_its_printed_link(page, jupyter):
    """raiwidgets 0.36 serves the dashboard on its own loopback port and prints the link (it never draws inline):
    the learner's path is to run the cell, then open that link."""
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(SOURCE.strip())]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, jupyter["root"] / "notebooks" / "rai_dashboard_check.ipynb")
    url = jupyter["url"].replace("/notebooks/00_start_here.ipynb", "/notebooks/rai_dashboard_check.ipynb")
    open_notebook(page, url, "rai_dashboard_check.ipynb")
    run_all(page)
    wait_until_ran(page, timeout=RUN_S)
    text = page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-OutputArea").first.inner_text()
    link = re.search(r"ResponsibleAI started at (http://\S+)", text)
    assert link, f"the cell did not print the dashboard's link:\n{text[-1500:]}"
    address = urllib.parse.urlparse(link.group(1))
    assert address.hostname in ("localhost", "127.0.0.1"), link.group(1)
    listeners = [c for c in psutil.net_connections(kind="tcp") if c.status == "LISTEN" and c.laddr.port == address.port]
    assert listeners and all(c.laddr.ip in ("127.0.0.1", "::1") for c in listeners), listeners  # loopback only
    dashboard = page.context.new_page()
    dashboard.goto(link.group(1))
    drawn = re.compile(r"Error analysis|Model overview|Feature importances")
    deadline = time.monotonic() + RUN_S
    while time.monotonic() < deadline:  # the React app loads its data from the kernel's server, then draws
        shown = dashboard.locator("body").inner_text()
        if drawn.search(shown):
            break
        time.sleep(2)
    assert drawn.search(shown), shown[:500]
