"""ml_client.jobs: the operations, the typed run plan, the runner and recovery shared by every job kind (kinds/)."""
