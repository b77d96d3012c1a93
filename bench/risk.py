"""Dropout-risk model on OULAD: Stride's model against a simple baseline, fixed protocol.

At each cut-off day D (30, 60, 90 days after the presentation starts) the population is the
registrations still registered at D (no unregistration, or one after D). Labels: withdrawal
after D, and "at risk" = withdrawn after D or failed. Features use only data up to D.
Train on the 2013 presentations (2013B, 2013J), test on the 2014 ones (2014B, 2014J).

Stride's model is `stride fit risk`'s: the same feature function
(stride.analytics.risk_features) and the same estimator (stride.analytics.risk_model).
The baseline is a logistic regression on total clicks, active days and days since the last
activity, all up to D.

    .venv/bin/python bench/risk.py            # add --json for machine-readable output
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from datetime import timedelta
from pathlib import Path

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from oulad import DATA, Oulad, Registration, history_of, load_oulad
from stride.analytics.risk_features import FEATURE_NAMES, feature_matrix
from stride.analytics.risk_model import fit_risk_model, predict_risk

CUTOFFS = (30, 60, 90)
TRAIN = ("2013B", "2013J")
TEST = ("2014B", "2014J")
TARGET_MARGIN = 0.03


def _still_registered(r: Registration, cutoff: int) -> bool:
    return r.unregistered is None or r.unregistered > cutoff


def _labels(rows: list[Registration], cutoff: int) -> dict[str, np.ndarray]:
    withdrawn = np.array(
        [r.unregistered is not None and r.unregistered > cutoff for r in rows], dtype=int
    )
    failed = np.array([r.final_result == "Fail" for r in rows], dtype=int)
    return {"withdrawal": withdrawn, "at_risk": withdrawn | failed}


def _baseline_features(data: Oulad, rows: list[Registration], cutoff: int) -> np.ndarray:
    out = []
    for r in rows:
        days, clicks = data.clicks.get((r.course_id, r.student), (np.array([]), np.array([])))
        keep = days <= cutoff
        seen = days[keep]
        since = cutoff - int(seen.max()) if len(seen) else cutoff - min(r.registered or 0, 0) + 1
        out.append([float(clicks[keep].sum()), float(len(seen)), float(since)])
    return np.array(out, dtype=np.float64)


def _stride_features(data: Oulad, rows: list[Registration], cutoff: int) -> np.ndarray:
    return feature_matrix(
        [(history_of(data, r, up_to=cutoff), r.start + timedelta(days=cutoff)) for r in rows]
    )


def evaluate_cutoff(data: Oulad, cutoff: int) -> dict[str, object]:
    population = [r for r in data.registrations if _still_registered(r, cutoff)]
    train = [r for r in population if r.presentation in TRAIN]
    test = [r for r in population if r.presentation in TEST]
    features = {
        "stride": (_stride_features(data, train, cutoff), _stride_features(data, test, cutoff)),
        "baseline": (
            _baseline_features(data, train, cutoff),
            _baseline_features(data, test, cutoff),
        ),
    }
    train_y, test_y = _labels(train, cutoff), _labels(test, cutoff)
    result: dict[str, object] = {"cutoff": cutoff, "train": len(train), "test": len(test)}
    for label in ("withdrawal", "at_risk"):
        model = fit_risk_model(features["stride"][0], train_y[label], FEATURE_NAMES)
        stride_auc = roc_auc_score(test_y[label], predict_risk(model, features["stride"][1]))
        baseline = make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000))
        baseline.fit(features["baseline"][0], train_y[label])
        baseline_auc = roc_auc_score(
            test_y[label], baseline.predict_proba(features["baseline"][1])[:, 1]
        )
        result[label] = {
            "positives_test": int(test_y[label].sum()),
            "stride_auc": round(float(stride_auc), 4),
            "baseline_auc": round(float(baseline_auc), 4),
            "gain": round(float(stride_auc - baseline_auc), 4),
        }
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    if not (args.data / "studentVle.parquet").exists():
        sys.exit(f"OULAD not found under {args.data}")
    started = time.perf_counter()
    data = load_oulad(args.data)
    loaded = time.perf_counter() - started
    results = [evaluate_cutoff(data, cutoff) for cutoff in CUTOFFS]
    met = all(
        r[label]["gain"] >= TARGET_MARGIN  # type: ignore[index]
        for r in results
        for label in ("withdrawal", "at_risk")
    )
    if args.json:
        print(json.dumps({"results": results, "target_met": met, "load_s": round(loaded, 1)}))
        return
    print(f"OULAD loaded in {loaded:.1f} s; train {TRAIN}, test {TEST}")
    print(f"{'D':>4} {'label':<11} {'n test':>7} {'pos':>6} {'stride':>7} {'base':>7} {'gain':>7}")
    for r in results:
        for label in ("withdrawal", "at_risk"):
            f = r[label]
            print(
                f"{r['cutoff']:>4} {label:<11} {r['test']:>7} {f['positives_test']:>6} "  # type: ignore[index]
                f"{f['stride_auc']:>7.4f} {f['baseline_auc']:>7.4f} {f['gain']:>+7.4f}"  # type: ignore[index]
            )
    print(f"target (gain >= {TARGET_MARGIN} everywhere): {'met' if met else 'NOT met'}")
    print(f"total {time.perf_counter() - started:.1f} s")


if __name__ == "__main__":
    main()
