"""jobs.validate as JobOperations.validate: a ValidationResult, raised only with raise_on_failure=True."""
import pytest
from azure.ai.ml import command, dsl
from azure.ai.ml.entities import AmlCompute
from azure.ai.ml.exceptions import ValidationException


def _step():
    return command(command="echo hi", environment="AzureML-sklearn-1.5@latest")


def test_a_valid_job_gives_a_passed_result(ml_client):
    result = ml_client.jobs.validate(_step())
    assert result.passed and result.error_messages == {}


def test_a_pipeline_on_a_missing_compute_fails_validation_without_raising_unless_asked(ml_client):
    ml_client.compute.begin_create_or_update(AmlCompute(name="cpu-cluster", size="STANDARD_DS3_V2")).result()

    @dsl.pipeline(compute="no-such-cluster")
    def two_steps():
        _step()
        second = _step()
        second.compute = "cpu-cluster"  # this one exists

    result = ml_client.jobs.validate(two_steps())
    assert not result.passed
    assert list(result.error_messages) == ["compute"]
    assert "Not found compute with name no-such-cluster (existing computes: cpu-cluster)" in \
        result.error_messages["compute"]
    with pytest.raises(ValidationException, match="no-such-cluster"):
        ml_client.jobs.validate(two_steps(), raise_on_failure=True)
