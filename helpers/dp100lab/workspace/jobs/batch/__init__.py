"""Batch scoring (batch endpoints' jobs): the entity, the worker pool with Azure's retry and error semantics, the
worker process that runs a scoring script's init()/run(mini_batch), and the MLflow driver used without a script.
The job kind itself is jobs/kinds/batch_scoring.py."""
