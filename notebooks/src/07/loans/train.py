"""Train a gradient-boosted classifier on the loans data (the historical approval decision) for a sweep trial.

Every 10 trees it logs the validation AUC: each logged value is one "interval" for the sweep's early termination
policy. The short pause stands in for a real training epoch, so the policy can look between intervals.
"""
import argparse
import time

import mlflow
import pandas as pd
from sklearn.ensemble import GradientBoostingClassifier
from sklearn.metrics import accuracy_score, roc_auc_score
from sklearn.model_selection import train_test_split

parser = argparse.ArgumentParser()
parser.add_argument("--training_data", type=str)
parser.add_argument("--learning_rate", type=float, default=0.1)
parser.add_argument("--n_estimators", type=int, default=50)
parser.add_argument("--max_depth", type=int, default=3)
args = parser.parse_args()

df = pd.read_csv(args.training_data)
FEATURES = ["income", "employment_years", "credit_score", "loan_amount", "debt_to_income", "prior_defaults"]
X, y = df[FEATURES], df["approved"]
X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.3, random_state=0)
mlflow.log_params({"learning_rate": args.learning_rate, "n_estimators": args.n_estimators,
                   "max_depth": args.max_depth})

model = GradientBoostingClassifier(learning_rate=args.learning_rate, max_depth=args.max_depth, random_state=0,
                                   warm_start=True, n_estimators=0)
for trees in range(10, args.n_estimators + 1, 10):
    model.set_params(n_estimators=trees).fit(X_train, y_train)  # warm start: adds 10 trees
    auc = roc_auc_score(y_test, model.predict_proba(X_test)[:, 1])
    mlflow.log_metric("AUC", auc, step=trees)
    time.sleep(0.3)
mlflow.log_metric("accuracy", accuracy_score(y_test, model.predict(X_test)))
mlflow.sklearn.save_model(model, "outputs/model", serialization_format="cloudpickle",
                          pip_requirements=["scikit-learn", "pandas"])
print(f"AUC {auc:.3f} with learning_rate={args.learning_rate}, n_estimators={args.n_estimators}, "
      f"max_depth={args.max_depth}")
