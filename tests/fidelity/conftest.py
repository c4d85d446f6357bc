# The Microsoft-style notebooks are run by test_ms_style_notebooks.py, each in a copy on a fresh store. nbval
# (make test passes --nbval over tests/) would otherwise run them a second time in place, leaving their outputs
# in this folder for the copies to trip over.
collect_ignore = ["notebooks"]
