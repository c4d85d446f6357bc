"""AutoML featurization and data guardrails, with scikit-learn (how-to-configure-auto-features).

auto: drop features that are all missing, constant, or an identifier (every value distinct, non-float); impute
numeric features with the mean and categorical ones with the most frequent value; one-hot encode categoricals
(hashed one-hot when there are many categories). custom: the same, with column purposes, imputer strategies and
blocked transformers from set_featurization. off: the columns go to the algorithms as they are.
The featurizer becomes the first step of every trial's model, as on Azure.
"""

from __future__ import annotations

from typing import Any, Optional

_MANY = 50  # categories above which one-hot is hashed (local choice; Azure does not publish its threshold)
_IMBALANCE = 0.2  # a class with under 20% of the majority class's rows is flagged (local rule, see notes)


def purposes(df: Any, custom: Optional[dict]) -> dict[str, str]:
    """Numeric / Categorical / Ignore per column (Azure's column purposes, detected or given)."""
    import pandas as pd

    out = {}
    for col in df.columns:
        s = df[col]
        given = (custom or {}).get(col)
        if given:
            out[col] = str(given).capitalize()
        elif s.isna().all() or s.nunique(dropna=True) <= 1:
            out[col] = "Ignore"
        elif not pd.api.types.is_float_dtype(s) and s.nunique(dropna=True) == len(s):
            out[col] = "Ignore"  # an identifier: Azure drops high-cardinality features such as IDs
        elif pd.api.types.is_numeric_dtype(s) or pd.api.types.is_bool_dtype(s):
            out[col] = "Numeric"
        else:
            out[col] = "Categorical"
    return out


def build(df: Any, cfg: dict) -> tuple[Any, dict]:
    """A fitted-ready ColumnTransformer for featurization `cfg` (mode, params) and the column purposes."""
    from sklearn.compose import ColumnTransformer
    from sklearn.impute import SimpleImputer
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import FunctionTransformer, OneHotEncoder, OrdinalEncoder

    mode = (cfg.get("mode") or "auto").lower()
    if mode == "off":
        return FunctionTransformer(feature_names_out="one-to-one").set_output(transform="pandas"), \
            {c: "As is" for c in df.columns}
    kinds = purposes(df, cfg.get("column_name_and_types"))
    blocked = {str(b).lower().replace("_", "") for b in cfg.get("blocked_transformers") or []}
    strategies = {}
    for spec in (cfg.get("transformer_params") or {}).get("imputer", []):
        for field in spec.get("fields", []):
            strategies[field] = (spec.get("parameters") or {}).get("strategy", "mean")
    steps = []
    for col, purpose in kinds.items():
        if purpose == "Numeric":
            steps.append((col, SimpleImputer(strategy=strategies.get(col, "mean")), [col]))
        elif purpose == "Categorical":
            many = df[col].nunique() > _MANY
            encoder = OrdinalEncoder(handle_unknown="use_encoded_value", unknown_value=-1) \
                if "onehotencoder" in blocked or (many and "hashonehotencoder" in blocked) else \
                OneHotEncoder(handle_unknown="ignore", sparse_output=False, max_categories=_MANY if many else None)
            imp = SimpleImputer(strategy=strategies.get(col, "most_frequent"))
            steps.append((col, Pipeline([("impute", imp), ("encode", encoder)]), [col]))
    ct = ColumnTransformer(steps, remainder="drop", verbose_feature_names_out=False)
    return ct.set_output(transform="pandas"), kinds


def guardrails(df: Any, target: str, task: str, kinds: dict, validation_how: str, mode: str) -> list[dict]:
    """Azure's data guardrails table: name, status (Passed / Done / Alerted), description."""
    rows = [{"guardrail": "Validation split handling", "status": "Done",
             "description": f"The validation configuration was set: {validation_how}."}]
    if task == "classification":
        counts = df[target].value_counts()
        small = counts[counts < _IMBALANCE * counts.max()]
        rows.append({"guardrail": "Class balancing detection", "status": "Alerted" if len(small) else "Passed",
                     "description": (f"Imbalanced classes were detected: {', '.join(f'{k} ({v} rows)' for k, v in small.items())} "
                                     f"against {counts.idxmax()} ({counts.max()} rows). Consider AUC_weighted or "
                                     f"more data for the small class." if len(small) else
                                     "All classes are balanced in the training data.")})
    if mode != "off":
        features = df.drop(columns=[target])
        missing = {c: int(n) for c, n in features.isna().sum().items() if n}
        rows.append({"guardrail": "Missing feature values imputation", "status": "Done" if missing else "Passed",
                     "description": ("Missing values were imputed: " + ", ".join(
                         f"{c} ({n} missing, {'mean' if kinds.get(c) == 'Numeric' else 'most frequent'})"
                         for c, n in missing.items()) if missing else "No missing feature values were detected.")})
        dropped = [c for c, k in kinds.items() if k == "Ignore" and c != target]
        rows.append({"guardrail": "High cardinality feature detection", "status": "Done" if dropped else "Passed",
                     "description": (f"Dropped as identifier-like, constant or empty: {', '.join(dropped)}."
                                     if dropped else "No high-cardinality features were detected.")})
    return rows
