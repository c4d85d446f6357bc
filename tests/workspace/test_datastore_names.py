"""A malformed storage account name is refused with a fix that is itself a valid name."""
import re

import pytest
from azure.ai.ml.entities import AccountKeyConfiguration, AzureBlobDatastore
from azure.ai.ml.exceptions import ValidationException


@pytest.mark.parametrize("given", ["YOUR-STORAGE-ACCOUNT-NAME", "https://My.Account.blob.core.windows.net", "x_"])
def test_the_suggested_account_name_is_valid(ml_client, given):
    store = AzureBlobDatastore(name="blob_training_data", account_name=given, container_name="training-data",
                               credentials=AccountKeyConfiguration(account_key="XXXX-XXXX"))
    with pytest.raises(ValidationException, match="is not a storage account name") as e:
        ml_client.create_or_update(store)
    suggested = re.search(r"account_name='([^']*)'\)", str(e.value)).group(1)
    assert re.fullmatch(r"[a-z0-9]{3,24}", suggested), suggested
    assert "blob_training_data" not in [d.name for d in ml_client.datastores.list()]  # nothing recorded
