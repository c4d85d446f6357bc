"""File names of a module's three notebooks, in one place.

One topic stem per module (`05_training_jobs`) and a suffix per role, so JupyterLab's tabs (which show only the
file name) tell the teaching notebook, the lab and the solution apart:

    notebooks/05_training_jobs.ipynb   labs/05_training_jobs_lab.ipynb   solutions/05_training_jobs_solution.ipynb
"""

from __future__ import annotations

import re

ROLES = {"notebooks": "", "labs": "_lab", "solutions": "_solution"}
MODULE = re.compile(r"^(?P<stem>\d\d_[A-Za-z0-9_]+?)(?P<suffix>_lab|_solution)?\.ipynb$")


def file_name(folder: str, stem: str) -> str:
    """The notebook of module `stem` in `folder` ("notebooks", "labs" or "solutions")."""
    return f"{stem}{ROLES[folder]}.ipynb"


def stem(name: str) -> str | None:
    """'05_training_jobs_lab.ipynb' -> '05_training_jobs'; None for a file that is no module notebook."""
    match = MODULE.match(name)
    return match["stem"] if match else None


def is_role(folder: str, name: str) -> bool:
    """True when `name` is a module notebook named as `folder`'s role names them."""
    match = MODULE.match(name)
    return match is not None and (match["suffix"] or "") == ROLES[folder]


def counterpart(name: str, folder: str) -> str:
    """The same module's notebook in another folder: counterpart('05_x_solution.ipynb', 'labs') -> '05_x_lab.ipynb'."""
    found = stem(name)
    if found is None:
        raise ValueError(f"{name!r} is not a module notebook (NN_topic[_lab|_solution].ipynb)")
    return file_name(folder, found)
