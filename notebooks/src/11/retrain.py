"""Retraining step of module 11: fit the model on the labelled data it is given and save an MLflow model to --model."""
import argparse

import mlflow.sklearn
import pandas as pd
from sklearn.ensemble import GradientBoostingClassifier
from sklearn.linear_model import LogisticRegression

ESTIMATORS = {"gradient_boosting": lambda: GradientBoostingClassifier(n_estimators=60, max_depth=3, random_state=11),
              "logistic_regression": lambda: LogisticRegression(max_iter=1000)}

parser = argparse.ArgumentParser()
parser.add_argument("--data", required=True)
parser.add_argument("--target", required=True)
parser.add_argument("--estimator", choices=sorted(ESTIMATORS), default="gradient_boosting")
parser.add_argument("--model", required=True)
args = parser.parse_args()

data = pd.read_csv(args.data)
X, y = data.drop(columns=[args.target]), data[args.target]
model = ESTIMATORS[args.estimator]().fit(X, y)
print(f"trained {args.estimator} on {len(data)} rows, training accuracy {model.score(X, y):.3f}")
mlflow.sklearn.save_model(model, args.model, serialization_format="cloudpickle")
