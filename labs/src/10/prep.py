"""Pipeline step for module 10: keep the rows of every file that have all model columns (a tiny cleaning step)."""
import argparse
import os

import pandas as pd

parser = argparse.ArgumentParser()
parser.add_argument("--input_data")
parser.add_argument("--output_data")
args = parser.parse_args()
os.makedirs(args.output_data, exist_ok=True)
for name in sorted(os.listdir(args.input_data)):
    frame = pd.read_csv(os.path.join(args.input_data, name)).dropna()
    frame.to_csv(os.path.join(args.output_data, name), index=False)
    print(name, len(frame), "rows kept")
