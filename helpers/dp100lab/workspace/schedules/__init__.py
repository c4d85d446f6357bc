"""Schedules: ml_client.schedules (operations.py), when triggers are due (triggers.py), the scheduler process."""
