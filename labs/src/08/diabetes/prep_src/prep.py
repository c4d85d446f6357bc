"""Step 1 of the diabetes pipeline: drop PatientID, split 70/30 (seeded), write train.csv and test.csv."""
import argparse
from pathlib import Path

import pandas as pd

p = argparse.ArgumentParser()
p.add_argument("--raw")
p.add_argument("--test-size", type=float, default=0.3)
p.add_argument("--out")
args = p.parse_args()

df = pd.read_csv(args.raw).drop(columns=["PatientID"])
test = df.sample(frac=args.test_size, random_state=0)
train = df.drop(test.index)
Path(args.out).mkdir(parents=True, exist_ok=True)
train.to_csv(Path(args.out) / "train.csv", index=False)
test.to_csv(Path(args.out) / "test.csv", index=False)
print(f"train rows: {len(train)}, test rows: {len(test)}")
