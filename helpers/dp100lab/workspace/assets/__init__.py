"""One module per asset kind: data, models, environments, datastores, compute, workspaces (and later ones)."""
