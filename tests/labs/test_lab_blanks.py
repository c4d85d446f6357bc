"""dp100lab.labs.blanks: one line for errors a blank or the cell order explains, nothing for other errors."""
from dp100lab.labs.blanks import CellInfo, LabMap, describe_cells, explain

MAP = LabMap([
    CellInfo(cell=3, task="", sets=["ml_client"]),
    CellInfo(cell=7, task="Task 1 · Register the data", sets=["data_asset"], blank=True, literals=["loans-lab"]),
])


class ResourceNotFoundError(Exception):
    """Stands in for azure.core's: explain() matches the type by name, so the lab needs no Azure import here."""


def test_a_cell_with_its_blank_left_says_so_and_keeps_pythons_reason():
    line = explain("data_asset = ...  # YOUR CODE HERE: a Data entity\nprint(data_asset.name)",
                   AttributeError("'ellipsis' object has no attribute 'name'"), {}, MAP)
    assert line.startswith("✗ This cell still has a blank: `data_asset = ...  # YOUR CODE HERE: a Data entity`")
    assert "AttributeError" in line and "\n" not in line


def test_later_cells_name_the_cell_to_fill_or_run_first():
    assert explain("print(data_asset.version)", NameError("name 'data_asset' is not defined", name="data_asset"),
                   {}, MAP) == ("✗ `data_asset` is not set yet: fill in the blank in cell 7 (Task 1) first, run it, "
                                "then this cell.")
    assert explain("data_asset.version", AttributeError("'ellipsis' object has no attribute 'version'"),
                   {"data_asset": ...}, MAP).startswith("✗ `data_asset` is still `...`: fill in the blank in cell 7")
    assert explain("ml_client.data.list()", NameError("name 'ml_client' is not defined", name="ml_client"), {}, MAP) \
        == "✗ `ml_client` is not defined yet: run cell 3 first (run the cells from the top, in order)."


def test_an_asset_deleted_or_not_created_yet_points_at_the_cell_that_creates_it():
    err = ResourceNotFoundError("Data asset 'loans-lab' version '1' was not found in the local workspace.")
    line = explain("ml_client.data.get('loans-lab', version='1')", err, {}, MAP)
    assert "it is created in cell 7 (Task 1): run that cell first" in line


def test_errors_no_blank_explains_keep_their_traceback():
    assert explain("1 / 0", ZeroDivisionError("division by zero"), {}, MAP) is None
    assert explain("print(typo)", NameError("name 'typo' is not defined", name="typo"), {}, MAP) is None


def test_cell_map_records_tasks_names_and_asset_literals():
    rows = describe_cells([("markdown", "# 02 · Data — solution", False), ("markdown", "## Task 1 · Data\ntext", False),
                           ("code", "from x import y\nasset = make('loans-lab')  # SOLUTION", True),
                           ("code", "print(1)", False)])
    assert rows == [{"cell": 3, "task": "Task 1 · Data", "sets": ["y", "asset"], "blank": True, "literals": ["loans-lab"]}]
