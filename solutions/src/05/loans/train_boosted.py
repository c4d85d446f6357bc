"""A teammate's gradient-boosted variant of train.py. It needs CatBoost, which the job's environment lacks:
the module 05 lab submits it to practise reading a missing-package failure in the job's log."""
import argparse

from catboost import CatBoostClassifier  # not in the environment: the job fails here with ModuleNotFoundError
import pandas as pd

from train import FEATURES

if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--training_data", required=True)
    args = parser.parse_args()
    df = pd.read_csv(args.training_data)
    CatBoostClassifier(iterations=50, verbose=False).fit(df[FEATURES], df["approved"])
