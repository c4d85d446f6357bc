"""The local workspace: an MLClient look-alike on real azure.ai.ml entities (see client.py, connect.py)."""
