"""Pipeline jobs: the step graph (graph.py), step reuse (reuse.py) and building each step's child job (steps.py)."""
