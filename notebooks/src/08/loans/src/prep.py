"""Loans pipeline, step 1: numeric features + label, seeded 75/25 split."""
import argparse
from pathlib import Path

import pandas as pd

p = argparse.ArgumentParser()
p.add_argument("--applications")
p.add_argument("--out")
args = p.parse_args()
cols = ["income", "employment_years", "credit_score", "loan_amount", "debt_to_income", "prior_defaults", "approved"]
df = pd.read_csv(args.applications)[cols]
test = df.sample(frac=0.25, random_state=1)
Path(args.out).mkdir(parents=True, exist_ok=True)
df.drop(test.index).to_csv(Path(args.out) / "train.csv", index=False)
test.to_csv(Path(args.out) / "test.csv", index=False)
print(f"train rows: {len(df) - len(test)}, test rows: {len(test)}")
