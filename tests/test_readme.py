"""README's module map is what the notebooks' metadata says (python -m dp100lab.labs.modulemap --write)."""
from pathlib import Path

from dp100lab.labs import modulemap


def test_readme_module_map_is_current():
    readme = (Path(modulemap.ROOT) / "README.md").read_text()
    assert modulemap.table() in readme, "README's module map is stale: run python -m dp100lab.labs.modulemap --write"
