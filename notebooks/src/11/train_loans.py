"""Retraining step of the loans model: fit on the labelled data it is given and save an MLflow model to --model."""
import argparse

import mlflow.sklearn
import pandas as pd
from sklearn.ensemble import GradientBoostingClassifier

parser = argparse.ArgumentParser()
parser.add_argument("--data", required=True)
parser.add_argument("--model", required=True)
args = parser.parse_args()

data = pd.read_csv(args.data)
X, y = data.drop(columns=["approved"]), data["approved"]
model = GradientBoostingClassifier(n_estimators=60, max_depth=3, random_state=11).fit(X, y)
print(f"trained on {len(data)} rows, training accuracy {model.score(X, y):.3f}")
mlflow.sklearn.save_model(model, args.model, serialization_format="cloudpickle")
