"""Step 2 of the diabetes pipeline, as an mldesigner component: a Python function with typed inputs/outputs."""
from pathlib import Path

from mldesigner import Input, Output, command_component


@command_component(
    name="diabetes_train",
    version="1",
    display_name="Train diabetes classifier",
    environment="azureml://registries/azureml/environments/sklearn-1.5/labels/latest",
)
def train_model(
    prepared: Input(type="uri_folder"),
    model_output: Output(type="uri_folder"),
    reg_rate: float = 0.1,
):
    """Fit a logistic regression on train.csv, log AUC on test.csv with MLflow, save the coefficients."""
    import json

    import mlflow
    import pandas as pd
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import roc_auc_score

    train = pd.read_csv(Path(prepared) / "train.csv")
    test = pd.read_csv(Path(prepared) / "test.csv")
    x_cols = [c for c in train.columns if c != "Diabetic"]
    model = LogisticRegression(C=1 / reg_rate, max_iter=1000).fit(train[x_cols], train["Diabetic"])
    auc = roc_auc_score(test["Diabetic"], model.predict_proba(test[x_cols])[:, 1])
    mlflow.log_metric("AUC", auc)
    Path(model_output).mkdir(parents=True, exist_ok=True)
    (Path(model_output) / "model.json").write_text(json.dumps(
        {"features": x_cols, "coef": model.coef_[0].round(4).tolist(), "auc": round(auc, 3)}))
    print(f"AUC: {auc:.3f}")
