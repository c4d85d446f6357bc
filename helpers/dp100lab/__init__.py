"""dp100lab: a local, offline study lab for the Azure Data Scientist exam on azure-ai-ml SDK v2."""

__version__ = "0.1.0"


def connect(*args, **kwargs):
    """Return an MLClient: a real one when a workspace is configured, else the local workspace."""
    from .workspace.connect import connect as _connect

    return _connect(*args, **kwargs)


__all__ = ["connect", "__version__"]
