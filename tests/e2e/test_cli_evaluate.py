from __future__ import annotations

from pathlib import Path

import numpy as np
import orjson
import pytest
from typer.testing import CliRunner

from stride.cli.evaluate import app

runner = CliRunner()


def write_answers(path: Path, learners: range, seed: int, order_ids: bool = True) -> Path:
    """BKT-like answers on two skills: learners start unsure and get better."""
    rng = np.random.default_rng(seed)
    rows = ["user_id,skill_name,correct" + (",order_id" if order_ids else "")]
    order = 0
    for learner in learners:
        for skill in ("fractions", "decimals"):
            known = rng.random() < 0.3
            for _ in range(12):
                correct = rng.random() < (0.9 if known else 0.2)
                known = known or rng.random() < 0.2
                rows.append(
                    f"u{learner},{skill},{int(correct)}" + (f",{order}" if order_ids else "")
                )
                order += 1
    path.write_text("\n".join(rows) + "\n")
    return path


@pytest.fixture
def files(tmp_path: Path) -> tuple[Path, Path]:
    train = write_answers(tmp_path / "train.csv", range(40), seed=1)
    test = write_answers(tmp_path / "test.csv", range(100, 120), seed=2, order_ids=False)
    return train, test


def test_json_reports_both_models(files: tuple[Path, Path]) -> None:
    train, test = files
    args = ["mastery", "--train", str(train), "--test", str(test), "--restarts", "2", "--json"]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    report = orjson.loads(result.stdout)
    assert report["train_answers"] == 40 * 2 * 12
    assert report["test_answers"] == 20 * 2 * 12
    assert report["skills_fitted"] == 2
    assert report["fit_seconds"] >= 0
    for model in ("bkt", "heuristic"):
        metrics = report["models"][model]
        assert 0.5 < metrics["auc"] <= 1.0
        assert 0.0 < metrics["rmse"] < 1.0
        assert metrics["answers"] == 20 * 2 * 12


def test_table_names_both_models(files: tuple[Path, Path]) -> None:
    train, test = files
    result = runner.invoke(app, ["mastery", "--train", str(train), "--test", str(test)])
    assert result.exit_code == 0, result.output
    assert "bkt" in result.stdout and "heuristic" in result.stdout and "AUC" in result.stdout


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("user_id,skill_name,correct\nu1,a,1\nu1,a,yes\n", "line 3, column correct"),
        ("user_id,correct\nu1,1\n", "missing column(s) skill_name"),
    ],
)
def test_a_bad_file_is_one_clear_line_and_exit_1(
    files: tuple[Path, Path], tmp_path: Path, content: str, message: str
) -> None:
    train, _ = files
    bad = tmp_path / "bad.csv"
    bad.write_text(content)
    result = runner.invoke(app, ["mastery", "--train", str(train), "--test", str(bad)])
    assert result.exit_code == 1
    assert message in result.output
    assert len(result.output.strip().splitlines()) == 1, result.output

    as_json = runner.invoke(app, ["mastery", "--train", str(bad), "--test", str(train), "--json"])
    assert as_json.exit_code == 1
    assert orjson.loads(as_json.stdout)["error"] == "invalid_input"


def test_a_missing_file_is_a_usage_error(files: tuple[Path, Path], tmp_path: Path) -> None:
    _, test = files
    result = runner.invoke(
        app, ["mastery", "--train", str(tmp_path / "nope.csv"), "--test", str(test)]
    )
    assert result.exit_code == 2


def test_answers_follow_order_id_when_present(tmp_path: Path) -> None:
    from stride.evaluation.answers import read_answers

    path = tmp_path / "answers.csv"
    path.write_text("order_id,user_id,skill_name,correct\n3,u1,a,0\n1,u1,a,1\n2,u2,b,1\n")
    log = read_answers(path)
    assert list(log.user_ids) == ["u1", "u2", "u1"]
    assert list(log.correct) == [True, True, False]
    assert {k: [list(s) for s in v] for k, v in log.sequences_by_skill().items()} == {
        "a": [[True, False]],
        "b": [[True]],
    }
    unordered = tmp_path / "unordered.csv"
    unordered.write_text("user_id,skill_name,correct\nu1,a,0\nu1,a,1\n")
    assert list(read_answers(unordered).correct) == [False, True]
