"""Regenerate the synthetic datasets in this folder, byte for byte.

    python datasets/generate.py            # writes next to this file
    python datasets/generate.py OUT_DIR    # writes into OUT_DIR (used by the reproducibility test)

Only numpy and pandas are used, every generator is seeded, every float is rounded before it is
written, and line endings are fixed, so the same library versions always give the same bytes.
product_faq.jsonl is hand-written (not generated); see DATASHEET.md.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent

DIABETES_SEED = 100
DIABETES_BATCH2_SEED = 200
LOANS_SEED = 300

DIABETES_COLUMNS = [
    "PatientID", "Pregnancies", "PlasmaGlucose", "DiastolicBloodPressure", "TricepsThickness",
    "SerumInsulin", "BMI", "DiabetesPedigree", "Age", "Diabetic",
]

# MLTable file for the two-file table in diabetes-mltable/ (keys as in mltable.from_delimited_files).
MLTABLE_TEXT = """\
$schema: https://azuremlschemas.azureedge.net/latest/MLTable.schema.json
type: mltable

paths:
  - pattern: ./*.csv

transformations:
  - read_delimited:
      delimiter: ','
      encoding: utf8
      header: all_files_same_headers
      empty_as_string: false
      infer_column_types:
        column_type_overrides:
          - columns: Diabetic
            column_type: int
"""


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-z))


def diabetes(n: int, seed: int, first_id: int, age_shift: float = 0.0, glucose_shift: float = 0.0) -> pd.DataFrame:
    """Synthetic patients; the label depends on glucose, BMI, age, pregnancies and pedigree (plus noise)."""
    rng = np.random.default_rng(seed)
    age = np.clip(np.round(21 + rng.gamma(2.0, 8.0, n) + age_shift), 21, 80).astype(int)
    pregnancies = np.clip(rng.poisson(np.clip((age - 19) / 9.0, 0.2, 5.0)), 0, 14).astype(int)
    bmi = np.round(np.clip(rng.normal(31.0, 7.0, n), 18.0, 57.0), 2)
    triceps = np.clip(np.round(0.9 * bmi + rng.normal(0.0, 7.0, n)), 7, 60).astype(int)
    glucose = np.clip(np.round(rng.normal(107.0, 24.0, n) + 0.25 * (age - 35) + glucose_shift), 44, 199).astype(int)
    pressure = np.clip(np.round(rng.normal(71.0, 12.0, n) + 0.2 * (age - 35)), 24, 117).astype(int)
    insulin = np.clip(np.round(np.exp(rng.normal(4.3, 0.55, n)) + 0.6 * (glucose - 100)), 14, 799).astype(int)
    pedigree = np.round(np.clip(rng.gamma(2.0, 0.23, n), 0.078, 2.42), 3)
    logit = (
        -0.75
        + 0.040 * (glucose - 110)
        + 0.085 * (bmi - 31)
        + 0.035 * (age - 35)
        + 0.14 * (pregnancies - 2)
        + 1.0 * (pedigree - 0.45)
        + 0.002 * (insulin - 90)
        + rng.normal(0.0, 0.6, n)  # unobserved factors: keeps the problem from being too easy
    )
    diabetic = (rng.random(n) < _sigmoid(logit)).astype(int)
    ids = first_id + np.sort(rng.choice(np.arange(0, 900_000), size=n, replace=False))
    df = pd.DataFrame({
        "PatientID": ids, "Pregnancies": pregnancies, "PlasmaGlucose": glucose,
        "DiastolicBloodPressure": pressure, "TricepsThickness": triceps, "SerumInsulin": insulin,
        "BMI": bmi, "DiabetesPedigree": pedigree, "Age": age, "Diabetic": diabetic,
    })
    # Shuffle so the file is not sorted by id (rows arrive in visit order, not id order).
    return df.sample(frac=1.0, random_state=seed).reset_index(drop=True)[DIABETES_COLUMNS]


AGE_GROUPS = ["18-25", "26-40", "41-60", "61+"]
GROUPS = ["A", "B", "C"]


def loans(n: int, seed: int) -> pd.DataFrame:
    """Historical credit decisions with a deliberate, documented disparity against group B, women and 18-25s."""
    rng = np.random.default_rng(seed)
    sex = rng.choice(["Female", "Male"], size=n, p=[0.48, 0.52])
    age_group = rng.choice(AGE_GROUPS, size=n, p=[0.18, 0.38, 0.32, 0.12])
    group = rng.choice(GROUPS, size=n, p=[0.60, 0.25, 0.15])
    age_idx = pd.Series(age_group).map({g: i for i, g in enumerate(AGE_GROUPS)}).to_numpy()
    # Structural gap: group B has somewhat lower incomes on average (a proxy path for bias).
    income = np.round(np.exp(rng.normal(10.8 - 0.18 * (group == "B") + 0.08 * np.minimum(age_idx, 2), 0.45, n)), -2)
    employment_years = np.clip(np.round(rng.gamma(1.5 + age_idx, 2.5, n), 1), 0.0, 45.0)
    credit_score = np.clip(np.round(rng.normal(640 + 25 * np.minimum(age_idx, 2), 70, n)), 300, 850).astype(int)
    loan_amount = np.round(np.clip(income * rng.uniform(0.1, 0.9, n), 1000, None), -2)
    debt_to_income = np.round(np.clip(rng.beta(2.0, 5.0, n) + 0.15 * loan_amount / income, 0.0, 1.2), 3)
    prior_defaults = rng.poisson(np.clip((700 - credit_score) / 150.0, 0.05, 3.0)).astype(int)
    merit = (
        0.012 * (credit_score - 650)
        + 0.9 * (np.log(income) - 10.8)
        - 3.0 * (debt_to_income - 0.35)
        - 0.6 * prior_defaults
        + 0.04 * employment_years
    )
    # The deliberate disparity: historical decision-makers penalised these groups beyond merit.
    bias = -0.9 * (group == "B") - 0.7 * (sex == "Female") - 0.5 * (age_group == "18-25")
    approved = (rng.random(n) < _sigmoid(0.6 + merit + bias)).astype(int)
    return pd.DataFrame({
        "applicant_id": [f"L{100000 + i}" for i in range(n)],
        "sex": sex, "age_group": age_group, "group": group,
        "income": income.astype(int), "employment_years": employment_years, "credit_score": credit_score,
        "loan_amount": loan_amount.astype(int), "debt_to_income": debt_to_income,
        "prior_defaults": prior_defaults, "approved": approved,
    })


def _write_csv(df: pd.DataFrame, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    df.to_csv(path, index=False, lineterminator="\n")


def generate(out_dir: Path) -> list[Path]:
    """Write every generated file under out_dir and return their paths."""
    out_dir = Path(out_dir)
    batch1 = diabetes(2000, DIABETES_SEED, first_id=1_000_000)
    batch2 = diabetes(500, DIABETES_BATCH2_SEED, first_id=2_000_000, age_shift=4.0, glucose_shift=6.0)
    written = {
        "diabetes.csv": batch1,
        "diabetes-2.csv": batch2,
        "diabetes-mltable/diabetes-part-1.csv": batch1.iloc[:1000],
        "diabetes-mltable/diabetes-part-2.csv": batch1.iloc[1000:],
        "loans.csv": loans(1500, LOANS_SEED),
    }
    paths = []
    for rel, df in written.items():
        _write_csv(df, out_dir / rel)
        paths.append(out_dir / rel)
    mltable_file = out_dir / "diabetes-mltable" / "MLTable"
    mltable_file.write_bytes(MLTABLE_TEXT.encode("utf-8"))
    paths.append(mltable_file)
    return paths


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else HERE
    for p in generate(target):
        print(p.relative_to(target), p.stat().st_size, "bytes")
