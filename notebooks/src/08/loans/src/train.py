"""Loans pipeline, step 2: a decision tree; accuracy on the held-out rows logged with MLflow."""
import argparse
import json
from pathlib import Path

import mlflow
import pandas as pd
from sklearn.tree import DecisionTreeClassifier

p = argparse.ArgumentParser()
p.add_argument("--prepared")
p.add_argument("--max-depth", type=int, default=3)
p.add_argument("--model")
args = p.parse_args()
train = pd.read_csv(Path(args.prepared) / "train.csv")
test = pd.read_csv(Path(args.prepared) / "test.csv")
x = [c for c in train.columns if c != "approved"]
tree = DecisionTreeClassifier(max_depth=args.max_depth, random_state=0).fit(train[x], train["approved"])
acc = float((tree.predict(test[x]) == test["approved"]).mean())
mlflow.log_metric("accuracy", acc)
Path(args.model).mkdir(parents=True, exist_ok=True)
(Path(args.model) / "tree.json").write_text(json.dumps({"features": x, "depth": tree.get_depth(),
                                                          "accuracy": round(acc, 3)}))
print(f"accuracy: {acc:.3f}")
