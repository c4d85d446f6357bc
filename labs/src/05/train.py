"""Train a diabetes classifier: the script that a command job runs (module 05).

Run it by hand with  python train.py --training_data ../../../datasets/diabetes.csv
Inside a job, Azure ML (and the local workspace) sets MLFLOW_TRACKING_URI and MLFLOW_RUN_ID,
so every mlflow.log_* call below lands in the job's own run: no mlflow.start_run() needed.
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
from sklearn.metrics import RocCurveDisplay, accuracy_score, roc_auc_score
from sklearn.model_selection import train_test_split


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description="Train a logistic regression on diabetes data")
    parser.add_argument("--training_data", type=str, required=True, help="path to a CSV file")
    parser.add_argument("--target", type=str, default="Diabetic", help="label column")
    parser.add_argument("--reg_rate", type=float, default=0.01, help="regularization rate (C = 1/reg_rate)")
    parser.add_argument("--test_size", type=float, default=0.3)
    parser.add_argument("--model_output", type=str, default=None, help="folder for the MLflow model")
    return parser.parse_args(argv)


def main(args):
    print(f"Reading {os.path.basename(args.training_data)}")
    df = pd.read_csv(args.training_data)
    print(f"Rows: {len(df)}, columns: {len(df.columns)}")

    # A wrong --target raises KeyError here: the failing-job example in the notebook.
    y = df[args.target]
    X = df.drop(columns=[c for c in (args.target, "PatientID") if c in df.columns]).astype("float64")

    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=args.test_size, random_state=0, stratify=y
    )

    mlflow.log_param("reg_rate", args.reg_rate)
    mlflow.log_param("test_size", args.test_size)

    print(f"Training a logistic regression model with regularization rate {args.reg_rate}")
    # liblinear shuffles the data: seeded, so a rerun logs the same metrics
    model = LogisticRegression(C=1 / args.reg_rate, solver="liblinear", random_state=0).fit(X_train, y_train)

    y_hat = model.predict(X_test)
    y_scores = model.predict_proba(X_test)[:, 1]
    acc = accuracy_score(y_test, y_hat)
    auc = roc_auc_score(y_test, y_scores)
    print(f"Accuracy: {acc:.3f}")
    print(f"AUC: {auc:.3f}")
    mlflow.log_metric("accuracy", acc)
    mlflow.log_metric("AUC", auc)

    fig, ax = plt.subplots(figsize=(5, 4))
    RocCurveDisplay.from_predictions(y_test, y_scores, ax=ax)
    ax.set_title("ROC curve")
    mlflow.log_figure(fig, "roc_curve.png")
    plt.close(fig)

    # The signature records the input columns/types and the output the model expects.
    signature = infer_signature(X_test, y_hat)
    model_dir = args.model_output or "model"
    mlflow.sklearn.save_model(model, model_dir, signature=signature, input_example=X_test.head(3))
    # Also keep the model folder as the run artifact "model": that is the path
    # azureml://jobs/<job-name>/outputs/artifacts/paths/model/ points at.
    mlflow.log_artifacts(model_dir, artifact_path="model")
    print("Model saved")


if __name__ == "__main__":
    main(parse_args())
