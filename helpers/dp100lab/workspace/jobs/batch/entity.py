"""The job a batch endpoint invocation submits.

On Azure a batch endpoint invocation runs as a pipeline job (studio and ml_client.jobs.get show it as one), so it is
a PipelineJob here too; this subclass only carries the resolved batch settings to the batch_scoring kind and gives
the kinds table a type to dispatch on (kept apart from the kind module so the table imports nothing heavy).
"""

from __future__ import annotations

from typing import Any, Optional

from azure.ai.ml.entities import PipelineJob


class BatchScoringJob(PipelineJob):
    def __init__(self, *, batch: Optional[dict] = None, **kwargs: Any):
        super().__init__(**kwargs)
        self.batch = dict(batch or {})   # see kinds/batch_scoring.prepare for the keys
