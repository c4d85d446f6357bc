"""AutoML jobs' own concerns: settings under FLAML's names, featurization and guardrails, trials as child jobs,
the FLAML run (engine.py)."""
