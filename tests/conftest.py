"""Suite-wide guards: tests never touch a learner's real store, and plots never need a display."""
import os
import tempfile

import matplotlib

# Agg for this process only: an MPLBACKEND variable would reach notebook kernels and hide their figures.
matplotlib.use("Agg")

# A throwaway store for anything that does not make its own; set before any dp100lab import.
os.environ.setdefault("DP100LAB_HOME", tempfile.mkdtemp(prefix="dp100lab-test-home-"))
os.environ.setdefault("DP100LAB_BACKEND", "local")
