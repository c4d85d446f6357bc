"""Model-monitoring statistics as pure functions, with Azure ML's metric names, defaults and thresholds.

Each function follows the definition Azure's own monitoring components use (azureml-assets,
assets/model_monitoring/components/src: data_drift_compute_metrics, data_quality_compute_metrics,
feature_importance_metrics, model_monitor_evaluate_metrics_threshold) on pandas instead of Spark:
- feature types: float -> numerical; string/bool/datetime -> categorical; an integer column is categorical when
  its distinct-value ratio in the reference data is below 0.05, else numerical (shared_utilities/df_utils.py);
- numerical histograms share equal-width bins over the combined range, Sturges' count from the smaller sample;
- Jensen-Shannon distance uses log base 2 (so it lies in [0, 1]); PSI adds 1 to every bin count (no log(0));
- normalized Wasserstein = scipy's Wasserstein distance / max(reference sample std, 0.001);
- the two tests report their p-value: an alert fires when it falls BELOW the threshold (as for NDCG);
  every other metric alerts when it rises ABOVE its threshold.
Defaults are azure-ai-ml's (entities/_monitoring/thresholds.py): numerical drift normalized Wasserstein 0.1,
categorical drift Jensen-Shannon 0.1, data-quality rates 0.0.
scipy computes the statistics; no drift library is used because none here matches these exact definitions.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Iterable, Optional

import numpy as np
import pandas as pd

NUMERICAL, CATEGORICAL = "numerical", "categorical"

# SDK name (MonitorMetricName) -> the name Azure's signal output and studio show
METRIC_NAMES = {
    "jensen_shannon_distance": "JensenShannonDistance",
    "normalized_wasserstein_distance": "NormalizedWassersteinDistance",
    "population_stability_index": "PopulationStabilityIndex",
    "two_sample_kolmogorov_smirnov_test": "TwoSampleKolmogorovSmirnovTest",
    "pearsons_chi_squared_test": "PearsonsChiSquaredTest",
    "null_value_rate": "NullValueRate",
    "data_type_error_rate": "DataTypeErrorRate",
    "out_of_bounds_rate": "OutOfBoundsRate",
    "normalized_discounted_cumulative_gain": "NormalizedDiscountedCumulativeGain",
}
DRIFT_METRICS = {NUMERICAL: ("jensen_shannon_distance", "normalized_wasserstein_distance",
                             "population_stability_index", "two_sample_kolmogorov_smirnov_test"),
                 CATEGORICAL: ("jensen_shannon_distance", "population_stability_index", "pearsons_chi_squared_test")}
QUALITY_METRICS = ("null_value_rate", "data_type_error_rate", "out_of_bounds_rate")
DEFAULT_DRIFT = {NUMERICAL: ("normalized_wasserstein_distance", 0.1), CATEGORICAL: ("jensen_shannon_distance", 0.1)}
DEFAULT_QUALITY = 0.0
# metrics whose value must stay ABOVE the threshold (model_monitor_evaluate_metrics_threshold)
HIGHER_IS_BETTER = {"two_sample_kolmogorov_smirnov_test", "pearsons_chi_squared_test",
                    "normalized_discounted_cumulative_gain", "accuracy", "precision", "recall"}


@dataclass
class MetricResult:
    """One row of a signal's output, as Azure's signal_metrics table: group (feature), metric, value, threshold."""
    feature: str
    feature_type: str
    metric: str
    value: Optional[float]
    threshold: Optional[float]

    @property
    def metric_name(self) -> str:
        return METRIC_NAMES.get(self.metric, self.metric)

    @property
    def breached(self) -> bool:
        if self.value is None or self.threshold is None or (isinstance(self.value, float) and math.isnan(self.value)):
            return False
        return is_breached(self.metric, self.value, self.threshold)

    def as_row(self) -> dict:
        row = asdict(self)
        row.update(metric_name=self.metric_name, status="Fail" if self.breached else "Pass")
        return row


def check_threshold(metric: str, threshold: object) -> float:
    """A threshold as a float, or a clear error naming the metric and the expected type."""
    if isinstance(threshold, bool) or not isinstance(threshold, (int, float, np.integer, np.floating)):
        raise TypeError(f"The threshold for {metric} must be a number (for example 0.1), not "
                        f"{type(threshold).__name__} {threshold!r}. Pass it as a float in the metric thresholds.")
    value = float(threshold)
    if math.isnan(value) or value < 0:
        raise ValueError(f"The threshold for {metric} must be a non-negative number, not {threshold!r}.")
    return value


def is_breached(metric: str, value: float, threshold: float) -> bool:
    return value < threshold if metric in HIGHER_IS_BETTER else value > threshold


# ---- feature types --------------------------------------------------------------------------------------------
def feature_type(series: pd.Series) -> str:
    if pd.api.types.is_bool_dtype(series) or not pd.api.types.is_numeric_dtype(series):
        return CATEGORICAL
    if pd.api.types.is_float_dtype(series):
        return NUMERICAL
    values = series.dropna()
    ratio = values.nunique() / len(values) if len(values) else 0.0
    return CATEGORICAL if ratio < 0.05 else NUMERICAL


def feature_types(reference: pd.DataFrame, override: Optional[dict] = None) -> dict:
    """Column -> 'numerical' / 'categorical' as Azure assigns them, with feature_type_override applied."""
    types = {c: feature_type(reference[c]) for c in reference.columns}
    for col, kind in (override or {}).items():
        if col in types:
            types[col] = str(getattr(kind, "value", kind)).lower()
    return types


# ---- numerical drift ------------------------------------------------------------------------------------------
def _numbers(x: Iterable) -> np.ndarray:
    arr = pd.to_numeric(pd.Series(x), errors="coerce").to_numpy(dtype=float)
    return arr[~np.isnan(arr)]


def bin_edges(reference: Iterable, production: Iterable) -> np.ndarray:
    """Equal-width edges over both samples' range; Sturges' count ceil(log2(n) + 1) from the smaller sample."""
    ref, prod = _numbers(reference), _numbers(production)
    n = min(len(ref), len(prod))
    bins = math.ceil(math.log2(n) + 1) if n > 0 else 1
    lo, hi = min(ref.min(), prod.min()), max(ref.max(), prod.max())
    if lo == hi:  # one value: a single bucket, as Azure does
        return np.array([lo, lo * 1.01 if lo else 1.0])
    return np.linspace(lo, hi, bins + 1)


def histograms(reference: Iterable, production: Iterable) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(edges, reference counts, production counts) on shared bins (the last bin includes its right edge)."""
    ref, prod = _numbers(reference), _numbers(production)
    edges = bin_edges(ref, prod)
    return edges, np.histogram(ref, edges)[0], np.histogram(prod, edges)[0]


def jensen_shannon_numerical(reference: Iterable, production: Iterable) -> float:
    from scipy.spatial import distance

    _, r, p = histograms(reference, production)
    # Azure's Spark code means the per-bin proportions here (its loop keeps only the last bin: a known slip we
    # do not copy); scipy normalises the two vectors and uses base 2 as Azure asks.
    return float(distance.jensenshannon(r / r.sum(), p / p.sum(), base=2))


def normalized_wasserstein(reference: Iterable, production: Iterable) -> float:
    from scipy.stats import wasserstein_distance

    ref, prod = _numbers(reference), _numbers(production)
    std = float(np.std(ref, ddof=1)) if len(ref) > 1 else 0.0  # Spark's stddev is the sample std
    return float(wasserstein_distance(ref, prod) / max(std, 0.001))


def _psi(ref_counts: np.ndarray, prod_counts: np.ndarray, n_ref: int, n_prod: int) -> float:
    r = (np.asarray(ref_counts, dtype=float) + 1) / n_ref
    p = (np.asarray(prod_counts, dtype=float) + 1) / n_prod
    return float(np.sum((p - r) * np.log(p / r)))


def psi_numerical(reference: Iterable, production: Iterable) -> float:
    ref, prod = _numbers(reference), _numbers(production)
    _, r, p = histograms(ref, prod)
    return _psi(r, p, len(ref), len(prod))


def ks_test(reference: Iterable, production: Iterable) -> float:
    """Two-sample Kolmogorov-Smirnov test: its p-value (alert when below the threshold)."""
    from scipy.stats import ks_2samp

    return float(ks_2samp(_numbers(reference), _numbers(production)).pvalue)


# ---- categorical drift ----------------------------------------------------------------------------------------
def category_counts(reference: Iterable, production: Iterable) -> tuple[list, np.ndarray, np.ndarray]:
    """(categories of either sample, reference counts, production counts); nulls count as a category 'None'."""
    ref, prod = pd.Series(list(reference)).astype(str), pd.Series(list(production)).astype(str)
    cats = sorted(set(ref) | set(prod))
    rc, pc = ref.value_counts(), prod.value_counts()
    return cats, np.array([rc.get(c, 0) for c in cats], float), np.array([pc.get(c, 0) for c in cats], float)


def jensen_shannon_categorical(reference: Iterable, production: Iterable) -> float:
    from scipy.spatial import distance

    _, r, p = category_counts(reference, production)
    return float(distance.jensenshannon(r / r.sum(), p / p.sum(), base=2))


def psi_categorical(reference: Iterable, production: Iterable) -> float:
    _, r, p = category_counts(reference, production)
    return _psi(r, p, int(r.sum()), int(p.sum()))


def chi_squared_test(reference: Iterable, production: Iterable) -> float:
    """Pearson's chi-squared test of production counts against reference proportions: its p-value."""
    from scipy.stats import chisquare

    _, r, p = category_counts(reference, production)
    expected = r / r.sum() * p.sum()
    if np.any((expected == 0) & (p > 0)):
        return 0.0  # a category the reference never saw: the statistic is infinite, the p-value 0
    keep = expected > 0
    return float(chisquare(p[keep], expected[keep]).pvalue)


DRIFT_FUNCTIONS = {
    (NUMERICAL, "jensen_shannon_distance"): jensen_shannon_numerical,
    (NUMERICAL, "normalized_wasserstein_distance"): normalized_wasserstein,
    (NUMERICAL, "population_stability_index"): psi_numerical,
    (NUMERICAL, "two_sample_kolmogorov_smirnov_test"): ks_test,
    (CATEGORICAL, "jensen_shannon_distance"): jensen_shannon_categorical,
    (CATEGORICAL, "population_stability_index"): psi_categorical,
    (CATEGORICAL, "pearsons_chi_squared_test"): chi_squared_test,
}


def drift_metric(kind: str, metric: str, reference: Iterable, production: Iterable) -> float:
    fn = DRIFT_FUNCTIONS.get((kind, metric))
    if fn is None:
        raise ValueError(f"{metric} is not a {kind} drift metric; {kind} features take one of "
                         f"{', '.join(DRIFT_METRICS[kind])}.")
    return fn(reference, production)


def data_drift(reference: pd.DataFrame, production: pd.DataFrame, *, numerical: Optional[tuple] = None,
               categorical: Optional[tuple] = None, features: Optional[list] = None,
               override: Optional[dict] = None) -> list[MetricResult]:
    """One metric per common feature: (metric, threshold) per feature type, Azure's defaults when None."""
    choice = {NUMERICAL: numerical or DEFAULT_DRIFT[NUMERICAL], CATEGORICAL: categorical or DEFAULT_DRIFT[CATEGORICAL]}
    types = feature_types(reference, override)
    results = []
    for col in features or list(reference.columns):
        if col not in production.columns or col not in types:
            continue
        kind = types[col]
        metric, threshold = choice[kind]
        threshold = check_threshold(metric, threshold)
        prod, ref = production[col].dropna(), reference[col].dropna()
        value = drift_metric(kind, metric, ref, prod) if len(prod) and len(ref) else None
        results.append(MetricResult(col, kind, metric, value, threshold))
    return results


# ---- data quality ---------------------------------------------------------------------------------------------
def _type_errors(reference: pd.Series, production: pd.Series) -> pd.Series:
    """True where a production value cannot be read as the reference column's type (nulls are not errors)."""
    values = production.dropna()
    if pd.api.types.is_bool_dtype(reference):
        return ~values.map(lambda v: isinstance(v, (bool, np.bool_)) or str(v).lower() in ("true", "false"))
    if pd.api.types.is_numeric_dtype(reference):  # Spark's cast of 3.7 to integer succeeds (truncates)
        return pd.to_numeric(values, errors="coerce").isna()
    return pd.Series(False, index=values.index)  # anything can be read as a string


def data_quality(reference: pd.DataFrame, production: pd.DataFrame, *, numerical: Optional[dict] = None,
                 categorical: Optional[dict] = None, features: Optional[list] = None,
                 override: Optional[dict] = None) -> list[MetricResult]:
    """Null value rate, data type error rate and out-of-bounds rate per feature (thresholds by feature type).

    A reference feature missing from production, or an empty production window, is itself a data-quality result
    (null value rate 1.0 with no rows to read), never an error."""
    thresholds = {NUMERICAL: numerical or {}, CATEGORICAL: categorical or {}}
    types = feature_types(reference, override)
    n = len(production)
    results = []
    for col in features or list(reference.columns):
        if col not in types:
            continue
        kind = types[col]
        limits = {m: check_threshold(m, thresholds[kind].get(m, DEFAULT_QUALITY)) for m in QUALITY_METRICS}
        if col not in production.columns or n == 0:
            results.append(MetricResult(col, kind, "null_value_rate", 1.0, limits["null_value_rate"]))
            continue
        prod, ref = production[col], reference[col].dropna()
        values = prod.dropna()
        errors = _type_errors(reference[col], prod)
        if kind == NUMERICAL or pd.api.types.is_numeric_dtype(reference[col]) and not \
                pd.api.types.is_bool_dtype(reference[col]):
            num = pd.to_numeric(values, errors="coerce").dropna()
            out = int(((num < ref.min()) | (num > ref.max())).sum())
        else:
            out = int((~values.astype(str).isin(set(ref.astype(str)))).sum())
        rates = {"null_value_rate": prod.isna().sum() / n, "data_type_error_rate": int(errors.sum()) / n,
                 "out_of_bounds_rate": out / n}
        results += [MetricResult(col, kind, m, round(float(rates[m]), 5), limits[m]) for m in QUALITY_METRICS]
    return results


# ---- feature attribution drift --------------------------------------------------------------------------------
def feature_importance(data: pd.DataFrame, target: str, task: str = "classification", seed: int = 777) -> pd.Series:
    """Global importance per feature: mean |SHAP value| of a LightGBM surrogate fitted on (features -> target).

    Azure fits the same LightGBM surrogate (max_depth 5, 200 trees, random_state 777) and explains it with
    responsibleai's explainer; LightGBM's own TreeSHAP (pred_contrib) gives the same kind of global importance
    in a fraction of the time, so the local workspace uses it."""
    from lightgbm import LGBMClassifier, LGBMRegressor

    if target not in data.columns:
        raise ValueError(f"Feature attribution drift needs the target column '{target}' in the data; it has "
                         f"{list(data.columns)}. Set reference_data.data_column_names target_column.")
    X = data.drop(columns=[target]).copy()
    for c in X.columns:
        if not pd.api.types.is_numeric_dtype(X[c]) or pd.api.types.is_bool_dtype(X[c]):
            X[c] = X[c].astype("category")
    cls = LGBMClassifier if task == "classification" else LGBMRegressor
    model = cls(max_depth=5, n_estimators=200, learning_rate=0.1, n_jobs=1, random_state=seed, verbose=-1)
    model.fit(X, data[target])
    contrib = np.asarray(model.predict(X, pred_contrib=True))[:, : X.shape[1]]
    return pd.Series(np.abs(contrib).mean(axis=0), index=X.columns)


def ndcg(baseline_importance: pd.Series, production_importance: pd.Series) -> float:
    """NDCG of production importances against baseline importances as relevance (1 = same ranking)."""
    from sklearn.metrics import ndcg_score

    common = [f for f in baseline_importance.index if f in production_importance.index]
    if len(common) < 2:
        return float("nan")
    return float(ndcg_score([baseline_importance[common].to_numpy()], [production_importance[common].to_numpy()]))


def feature_attribution_drift(reference: pd.DataFrame, production: pd.DataFrame, target: str, *,
                              threshold: Optional[float] = None, task: str = "classification") -> tuple:
    """(MetricResult for NDCG, baseline importance, production importance)."""
    limit = check_threshold("normalized_discounted_cumulative_gain", threshold) if threshold is not None else None
    base = feature_importance(reference, target, task)
    prod = feature_importance(production, target, task)
    value = ndcg(base, prod)
    return MetricResult("", "", "normalized_discounted_cumulative_gain", value, limit), base, prod


def breaches(results: Iterable[MetricResult]) -> list[MetricResult]:
    return [r for r in results if r.breached]


def to_frame(results: Iterable[MetricResult]) -> pd.DataFrame:
    rows = [r.as_row() for r in results]
    return pd.DataFrame(rows, columns=["feature", "feature_type", "metric", "metric_name", "value", "threshold",
                                       "status"])
