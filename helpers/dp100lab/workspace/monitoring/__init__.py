"""Model monitoring in the local workspace: signal statistics (signals.py), monitor runs (run.py), results and
plots (results.py), and data collection from online deployments (collection.py, mdc_server.py)."""
