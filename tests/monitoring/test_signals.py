"""Monitoring statistics on constructed distributions whose answers are known in closed form."""
import math

import numpy as np
import pandas as pd
import pytest

from dp100lab.workspace.monitoring import signals as S


def test_identical_samples_do_not_drift():
    x = np.random.default_rng(0).normal(size=500)
    assert S.jensen_shannon_numerical(x, x) == pytest.approx(0.0, abs=1e-9)
    assert S.normalized_wasserstein(x, x) == pytest.approx(0.0, abs=1e-12)
    assert S.psi_numerical(x, x) == pytest.approx(0.0, abs=1e-12)
    assert S.ks_test(x, x) == pytest.approx(1.0)
    cats = ["a"] * 30 + ["b"] * 70
    assert S.jensen_shannon_categorical(cats, cats) == pytest.approx(0.0, abs=1e-9)
    assert S.chi_squared_test(cats, cats) == pytest.approx(1.0)


def test_categorical_jensen_shannon_known_value():
    # p = (1/2, 1/2), q = (1, 0): JSD = 1/2 [KL(p||m) + KL(q||m)], m = (3/4, 1/4), log base 2
    kl_p = 0.5 * math.log2(0.5 / 0.75) + 0.5 * math.log2(0.5 / 0.25)
    kl_q = math.log2(1 / 0.75)
    expected = math.sqrt(0.5 * (kl_p + kl_q))
    assert S.jensen_shannon_categorical(["a"] * 50 + ["b"] * 50, ["a"] * 100) == pytest.approx(expected)
    # disjoint supports: the largest possible distance, 1 in base 2
    assert S.jensen_shannon_categorical(["a"] * 10, ["b"] * 10) == pytest.approx(1.0)


def test_categorical_psi_adds_one_to_every_count():
    r, p = np.array([51, 51]) / 100, np.array([101, 1]) / 100
    expected = float(np.sum((p - r) * np.log(p / r)))
    assert S.psi_categorical(["a"] * 50 + ["b"] * 50, ["a"] * 100) == pytest.approx(expected)


def test_normalized_wasserstein_of_a_shift_is_shift_over_reference_std():
    x = np.random.default_rng(1).normal(10, 2, size=1000)
    assert S.normalized_wasserstein(x, x + 0.5) == pytest.approx(0.5 / np.std(x, ddof=1))
    const = np.full(10, 3.0)  # zero spread: the 0.001 floor keeps it finite
    assert S.normalized_wasserstein(const, const + 1) == pytest.approx(1 / 0.001)


def test_sturges_bins_from_the_smaller_sample():
    edges = S.bin_edges(np.arange(1000), np.arange(64))
    assert len(edges) - 1 == math.ceil(math.log2(64) + 1)
    assert edges[0] == 0 and edges[-1] == 999


def test_tests_report_p_values_and_alert_below_threshold():
    rng = np.random.default_rng(2)
    a, b = rng.normal(0, 1, 400), rng.normal(1.0, 1, 400)
    p = S.ks_test(a, b)
    assert p < 1e-6
    assert S.is_breached("two_sample_kolmogorov_smirnov_test", p, 0.05)
    assert not S.is_breached("jensen_shannon_distance", 0.05, 0.1)
    assert S.is_breached("jensen_shannon_distance", 0.2, 0.1)
    assert S.chi_squared_test(["a"] * 50 + ["b"] * 50, ["a"] * 90 + ["b"] * 10) < 1e-6
    assert S.chi_squared_test(["a"] * 50, ["a"] * 40 + ["new"] * 10) == 0.0  # unseen category


def test_feature_types_as_azure_assigns_them():
    n = 200
    df = pd.DataFrame({"f": np.linspace(0, 1, n), "few_ints": np.arange(n) % 3, "many_ints": np.arange(n),
                       "s": ["x"] * n, "b": [True, False] * (n // 2)})
    assert S.feature_types(df) == {"f": "numerical", "few_ints": "categorical", "many_ints": "numerical",
                                   "s": "categorical", "b": "categorical"}
    assert S.feature_types(df, {"few_ints": "numerical"})["few_ints"] == "numerical"


def test_data_drift_uses_azure_defaults_per_feature_type():
    rng = np.random.default_rng(3)
    ref = pd.DataFrame({"x": rng.normal(0, 1, 300), "g": rng.choice(["a", "b"], 300)})
    prod = pd.DataFrame({"x": rng.normal(2, 1, 300), "g": rng.choice(["a", "b"], 300)})
    res = {r.feature: r for r in S.data_drift(ref, prod)}
    assert res["x"].metric == "normalized_wasserstein_distance" and res["x"].threshold == 0.1
    assert res["g"].metric == "jensen_shannon_distance" and res["g"].threshold == 0.1
    assert res["x"].breached and res["x"].value == pytest.approx(2, rel=0.15)
    assert not res["g"].breached
    chosen = S.data_drift(ref, prod, numerical=("population_stability_index", 0.2))
    assert chosen[0].metric_name == "PopulationStabilityIndex"


def test_wrong_threshold_type_is_a_clear_error():
    ref = pd.DataFrame({"x": [1.0, 2.0, 3.0]})
    with pytest.raises(TypeError, match="jensen_shannon_distance must be a number"):
        S.data_drift(ref, ref, numerical=("jensen_shannon_distance", "0.1"))
    with pytest.raises(ValueError, match="is not a numerical drift metric"):
        S.data_drift(ref, ref, numerical=("pearsons_chi_squared_test", 0.1))


def test_data_quality_rates():
    ref = pd.DataFrame({"age": np.arange(20, 120), "city": ["a", "b"] * 50})
    prod = pd.DataFrame({"age": [30] * 80 + [None] * 10 + [500] * 5 + ["old"] * 5,
                         "city": ["a"] * 90 + ["z"] * 10})
    rows = {(r.feature, r.metric): r.value for r in S.data_quality(ref, prod)}
    assert rows[("age", "null_value_rate")] == pytest.approx(0.10)
    assert rows[("age", "data_type_error_rate")] == pytest.approx(0.05)
    assert rows[("age", "out_of_bounds_rate")] == pytest.approx(0.05)
    assert rows[("city", "out_of_bounds_rate")] == pytest.approx(0.10)
    assert rows[("city", "null_value_rate")] == 0.0


def test_empty_or_other_columns_are_quality_results_not_crashes():
    ref = pd.DataFrame({"a": [1.0, 2.0], "b": ["x", "y"]})
    empty = S.data_quality(ref, pd.DataFrame(columns=["a", "b"]))
    assert {(r.feature, r.metric, r.value) for r in empty} == {("a", "null_value_rate", 1.0),
                                                               ("b", "null_value_rate", 1.0)}
    other = S.data_quality(ref, pd.DataFrame({"c": [1, 2, 3]}))
    assert all(r.breached for r in other)
    assert S.data_drift(ref, pd.DataFrame({"c": [1.0]})) == []


def test_feature_attribution_drift_ndcg():
    rng = np.random.default_rng(4)
    X = pd.DataFrame({"strong": rng.normal(size=400), "weak": rng.normal(size=400), "noise": rng.normal(size=400)})
    ref = X.assign(y=(3 * X.strong + 0.5 * X.weak > 0).astype(int))
    same, base, _ = S.feature_attribution_drift(ref, ref, "y", threshold=0.9)
    assert same.value == pytest.approx(1.0) and not same.breached
    assert base.idxmax() == "strong"
    flipped = X.assign(y=(3 * X.noise + 0.5 * X.weak > 0).astype(int))  # a different feature now decides
    moved, _, prod = S.feature_attribution_drift(ref, flipped, "y", threshold=0.9)
    assert prod.idxmax() == "noise" and moved.value < 0.9 and moved.breached
    with pytest.raises(ValueError, match="target column 'label'"):
        S.feature_importance(ref, "label")
