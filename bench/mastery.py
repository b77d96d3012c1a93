"""Mastery benchmark: Stride's BKT fit and the heuristic against pyBKT on ASSISTments 2009.

Fits on the train file (our BKT without and with forgetting; pyBKT's standard BKT), then
predicts every test answer from the same learner's earlier answers on that skill and reports
AUC, RMSE, accuracy and fit seconds per model.

pyBKT 1.4.3 needs numpy<2 and scikit-learn==1.3.2, so it gets a virtual environment of its
own (bench/.venv-pybkt, created on first use; a `.gitignore` inside keeps it out of git) and
runs in a subprocess. Its fit takes over ten minutes on a 2-core machine: record it once and
reuse it.

    .venv/bin/python bench/mastery.py                     # everything, pyBKT included
    .venv/bin/python bench/mastery.py --pybkt-json bench/results/pybkt.json
    .venv/bin/python bench/mastery.py --skip-pybkt

Always exits 0; prints MET / NOT MET for each target.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from machine import machine_line
from stride.evaluation.answers import read_answers
from stride.progress.bkt_fit import fit_skills
from stride.progress.evaluation import Evaluation, evaluate

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data" / "kt" / "assistments2009"
PYBKT_VENV = ROOT / "bench" / ".venv-pybkt"
RESULTS = ROOT / "bench" / "results"
PYBKT_REQUIREMENTS = ["pybkt==1.4.3", "numpy<2", "scikit-learn==1.3.2", "pandas"]

# Run with the pyBKT environment's Python: argv = train, test. Prints one JSON line.
PYBKT_SCRIPT = """
import json, sys, time, warnings
warnings.simplefilter("ignore")  # pyBKT's EM divides 0/0 on some skills and says so each time
import numpy as np, pandas as pd
from sklearn.metrics import roc_auc_score
from pyBKT.models import Model

train, test = pd.read_csv(sys.argv[1]), pd.read_csv(sys.argv[2])
forgets = sys.argv[3] == "1"
model = Model(seed=0, num_fits=1)
started = time.perf_counter()
model.fit(data=train, forgets=forgets)
fit_seconds = time.perf_counter() - started
predicted = model.predict(data=test)
truth = predicted["correct"].to_numpy()
p = predicted["correct_predictions"].to_numpy()
print(json.dumps({
    "model": "pybkt", "forgets": forgets, "fit_seconds": fit_seconds,
    "auc": float(roc_auc_score(truth, p)),
    "rmse": float(np.sqrt(np.mean((p - truth) ** 2))),
    "accuracy": float(np.mean((p >= 0.5) == truth)),
    "answers": int(truth.size),
}))
"""


def pybkt_python() -> Path:
    """The pyBKT environment's interpreter, creating and filling the environment if needed."""
    python = PYBKT_VENV / "bin" / "python"
    if not python.exists():
        print(f"creating {PYBKT_VENV.relative_to(ROOT)} for pyBKT ...", file=sys.stderr)
        subprocess.run([sys.executable, "-m", "venv", str(PYBKT_VENV)], check=True)
        (PYBKT_VENV / ".gitignore").write_text("*\n")
    probe = subprocess.run([str(python), "-c", "import pyBKT.models"], capture_output=True)
    if probe.returncode != 0:
        print("installing " + " ".join(PYBKT_REQUIREMENTS) + " ...", file=sys.stderr)
        subprocess.run([str(python), "-m", "pip", "install", "-q", *PYBKT_REQUIREMENTS], check=True)
    return python


def run_pybkt(train: Path, test: Path, forgets: bool) -> dict[str, Any]:
    python = pybkt_python()
    print("fitting pyBKT (this takes over ten minutes) ...", file=sys.stderr)
    out = subprocess.run(
        [str(python), "-W", "ignore", "-c", PYBKT_SCRIPT, str(train), str(test), str(int(forgets))],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONWARNINGS": "ignore"},
    )
    if out.returncode != 0:
        raise SystemExit(f"pyBKT failed:\n{out.stderr[-3000:]}")
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    RESULTS.mkdir(parents=True, exist_ok=True)
    recorded = RESULTS / ("pybkt-forgets.json" if forgets else "pybkt.json")
    recorded.write_text(json.dumps(result, indent=2) + "\n")
    print(f"pyBKT result recorded in {recorded.relative_to(ROOT)}", file=sys.stderr)
    return result


def run_stride(train: Path, test: Path, restarts: int) -> list[dict[str, Any]]:
    """Our BKT without and with forgetting, and the heuristic (which needs no fit)."""
    train_log, test_log = read_answers(train), read_answers(test)
    sequences = train_log.sequences_by_skill()
    rows = []
    for forgets in (False, True):
        started = time.perf_counter()
        fitted = fit_skills(sequences, restarts=restarts, forgets=forgets)
        fit_seconds = time.perf_counter() - started
        params = {skill: result.params for skill, result in fitted.items()}
        bkt = evaluate(
            test_log.user_ids,
            test_log.skills,
            test_log.correct,
            model="bkt",
            params_by_skill=params,
        )
        rows.append(row(bkt, "stride-bkt+forgets" if forgets else "stride-bkt", fit_seconds))
    heuristic = evaluate(test_log.user_ids, test_log.skills, test_log.correct, model="heuristic")
    return [*rows, row(heuristic, "heuristic", None)]


def row(result: Evaluation, name: str, seconds: float | None) -> dict[str, Any]:
    return {
        "model": name,
        "auc": result.auc,
        "rmse": result.rmse,
        "accuracy": result.accuracy,
        "answers": result.answers,
        "fit_seconds": seconds,
    }


def fmt(value: float | None, digits: int) -> str:
    return "-" if value is None or math.isnan(value) else f"{value:.{digits}f}"


def print_table(rows: list[dict[str, Any]]) -> None:
    print(f"{'model':<20} {'AUC':>7} {'RMSE':>7} {'accuracy':>9} {'fit s':>8} {'answers':>9}")
    for r in rows:
        print(
            f"{r['model']:<20} {fmt(r['auc'], 4):>7} {fmt(r['rmse'], 4):>7} "
            f"{fmt(r['accuracy'], 4):>9} {fmt(r['fit_seconds'], 1):>8} {r['answers']:>9,}"
        )


def check(name: str, met: bool | None, detail: str) -> str:
    verdict = "SKIPPED" if met is None else ("MET" if met else "NOT MET")
    line = f"{verdict:<8} {name}: {detail}"
    print(line)
    return line


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--train", type=Path, default=DATA / "train.csv")
    parser.add_argument("--test", type=Path, default=DATA / "test.csv")
    parser.add_argument("--restarts", type=int, default=5)
    parser.add_argument(
        "--pybkt-forgets", action="store_true", help="fit pyBKT with forgets (about 40 min)"
    )
    parser.add_argument("--skip-pybkt", action="store_true", help="do not run pyBKT")
    parser.add_argument("--pybkt-json", type=Path, help="reuse a recorded pyBKT result")
    args = parser.parse_args()
    if not args.train.exists() or not args.test.exists():
        raise SystemExit(f"data not found: {args.train} / {args.test} (see shared/data/README.md)")

    print(machine_line())
    rows = run_stride(args.train, args.test, args.restarts)
    pybkt: dict[str, Any] | None = None
    if args.pybkt_json:
        pybkt = json.loads(args.pybkt_json.read_text())
        pybkt["model"] = "pybkt (recorded)"
    elif not args.skip_pybkt:
        pybkt = run_pybkt(args.train, args.test, args.pybkt_forgets)
    print_table(rows + ([pybkt] if pybkt else []))
    standard, with_forgets, heuristic = rows
    # Like for like: pyBKT is compared with our BKT fitted the same way (with or without forgets).
    ours = with_forgets if pybkt is not None and pybkt.get("forgets") else standard
    print()
    check(
        f"AUC vs pyBKT ({ours['model']} >= pyBKT - 0.002)",
        None if pybkt is None else ours["auc"] >= pybkt["auc"] - 0.002,
        "no pyBKT result"
        if pybkt is None
        else f"{ours['auc']:.4f} vs {pybkt['auc']:.4f} ({ours['auc'] - pybkt['auc']:+.4f})",
    )
    check(
        f"fit time ({ours['model']} <= pyBKT / 5)",
        None if pybkt is None else ours["fit_seconds"] <= pybkt["fit_seconds"] / 5,
        "no pyBKT result"
        if pybkt is None
        else f"{ours['fit_seconds']:.1f} s vs {pybkt['fit_seconds']:.1f} s "
        f"({pybkt['fit_seconds'] / ours['fit_seconds']:.1f}x faster)",
    )
    for bkt in (standard, with_forgets):
        check(
            f"AUC vs heuristic ({bkt['model']} >= heuristic + 0.05)",
            bkt["auc"] >= heuristic["auc"] + 0.05,
            f"{bkt['auc']:.4f} vs {heuristic['auc']:.4f} ({bkt['auc'] - heuristic['auc']:+.4f})",
        )
    RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    record = {"args": {k: str(v) for k, v in vars(args).items()}, "rows": rows, "pybkt": pybkt}
    (RESULTS / f"mastery-{stamp}.json").write_text(json.dumps(record, indent=2) + "\n")


if __name__ == "__main__":
    main()
