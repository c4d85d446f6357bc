"""Train a loan-approval classifier: the script the module 05 lab runs as a command job.

Run it by hand with  python train.py --training_data ../../../../datasets/loans.csv
Inside a job, Azure ML (and the local workspace) sets MLFLOW_TRACKING_URI and MLFLOW_RUN_ID, so the mlflow.log_*
calls below land in the job's own run. The sensitive columns (sex, age_group, group) are left out of the features on
purpose: module 11 measures what that does and does not fix.
"""
import argparse
import os

import matplotlib

matplotlib.use("Agg")  # no display on a compute node
import matplotlib.pyplot as plt
import mlflow
import mlflow.sklearn
import pandas as pd
from mlflow.models import infer_signature
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import ConfusionMatrixDisplay, accuracy_score, roc_auc_score
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

FEATURES = ["income", "employment_years", "credit_score", "loan_amount", "debt_to_income", "prior_defaults"]


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description="Train a scaled logistic regression on loan applications")
    parser.add_argument("--training_data", type=str, required=True, help="path to the loans CSV file")
    parser.add_argument("--target", type=str, default="approved", help="label column")
    parser.add_argument("--reg_rate", type=float, default=0.1, help="regularization rate (C = 1/reg_rate)")
    parser.add_argument("--model_output", type=str, default=None, help="folder for the MLflow model")
    return parser.parse_args(argv)


def main(args):
    print(f"Reading {os.path.basename(args.training_data)}")
    df = pd.read_csv(args.training_data)
    print(f"Rows: {len(df)}, columns: {len(df.columns)}")
    X, y = df[FEATURES].astype("float64"), df[args.target]
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.3, random_state=0, stratify=y)

    mlflow.log_param("reg_rate", args.reg_rate)
    model = make_pipeline(StandardScaler(), LogisticRegression(C=1 / args.reg_rate)).fit(X_train, y_train)
    y_hat = model.predict(X_test)
    acc = accuracy_score(y_test, y_hat)
    auc = roc_auc_score(y_test, model.predict_proba(X_test)[:, 1])
    print(f"Accuracy: {acc:.3f}  AUC: {auc:.3f}")
    mlflow.log_metrics({"accuracy": acc, "AUC": auc})

    fig, ax = plt.subplots(figsize=(4, 4))
    ConfusionMatrixDisplay.from_predictions(y_test, y_hat, ax=ax, display_labels=["declined", "approved"])
    mlflow.log_figure(fig, "confusion_matrix.png")
    plt.close(fig)

    model_dir = args.model_output or "model"
    mlflow.sklearn.save_model(model, model_dir, signature=infer_signature(X_test, y_hat), input_example=X_test.head(3))
    mlflow.log_artifacts(model_dir, artifact_path="model")  # azureml://jobs/<job>/outputs/artifacts/paths/model/
    print("Model saved")


if __name__ == "__main__":
    main(parse_args())
