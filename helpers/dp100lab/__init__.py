"""dp100lab: a local, offline study lab for the Azure Data Scientist exam on azure-ai-ml SDK v2."""

__version__ = "0.1.0"


def connect(*args, **kwargs):
    """Return an MLClient: a real one when a workspace is configured, else the local workspace."""
    from .workspace.connect import connect as _connect

    return _connect(*args, **kwargs)


def __getattr__(name: str):
    if name == "MLClient":  # imported lazily: `import dp100lab` stays cheap
        from .workspace.connect import MLClient

        return MLClient
    # the rest of azure.ai.ml's public names, so that changing only the import of a sample's
    # `from azure.ai.ml import MLClient, Input, command` line to dp100lab keeps its other names
    import azure.ai.ml

    if name in getattr(azure.ai.ml, "__all__", ()):
        return getattr(azure.ai.ml, name)
    raise AttributeError(f"module 'dp100lab' has no attribute '{name}'")


__all__ = ["connect", "MLClient", "__version__"]
