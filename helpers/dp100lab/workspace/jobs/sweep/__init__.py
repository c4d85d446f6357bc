"""Sweep jobs' own concerns: search-space rules and sampling (space.py), early termination (policies.py)."""
