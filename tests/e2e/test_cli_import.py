"""`stride import FILE --tenant T`: summary, exit codes, error file, CSV options, resuming."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
import pytest

from stride.importing import service as import_service
from tests.factories import make_event

Cli = Callable[..., Any]
WHEN = (datetime.now(UTC) - timedelta(hours=3)).replace(microsecond=0)


def _tenant(stride_cli: Cli) -> str:
    tenant_id: str = stride_cli("tenants", "create", "acme", "--json")["tenant_id"]
    return tenant_id


def _events(n: int) -> list[dict[str, Any]]:
    return [make_event(learner=f"l{i % 3}", timestamp=WHEN.isoformat()) for i in range(n)]


def test_a_clean_import_exits_0_with_one_json_summary(stride_cli: Cli, tmp_path: Path) -> None:
    tenant = _tenant(stride_cli)
    path = tmp_path / "events.json"
    path.write_bytes(orjson.dumps(_events(30)))
    summary = stride_cli(
        "import", str(path), "--tenant", tenant, "--batch", "7", "--helpers", "1", "--json"
    )
    assert summary["format"] == "json" and summary["helper_processes"] == 1
    assert (summary["records"], summary["accepted"], summary["rejected"]) == (30, 30, 0)
    assert summary["errors_file"] is None and summary["events_per_second"] > 0
    assert not (tmp_path / "events.json.errors.jsonl").exists()
    assert (tmp_path / "events.json.stride-import.json").exists()

    again = stride_cli("import", str(path), "--tenant", tenant, "--json")
    assert again["already_complete"] and again["records_this_run"] == 0
    restarted = stride_cli("import", str(path), "--tenant", tenant, "--restart", "--json")
    assert restarted["duplicate"] == 30 and restarted["accepted"] == 0
    assert restarted["helper_processes"] == 0  # a small file is prepared in this process


def test_refused_records_exit_1_and_are_listed(stride_cli: Cli, tmp_path: Path) -> None:
    tenant = _tenant(stride_cli)
    events = _events(3)
    lines = [orjson.dumps(e) for e in events]
    lines.insert(1, b'{"id": "nope", "type": "exercise.attempted"}')
    lines.insert(3, b"{broken")
    path = tmp_path / "events.jsonl"
    path.write_bytes(b"\n".join(lines) + b"\n")
    errors = tmp_path / "refused.jsonl"
    summary = stride_cli(
        "import", str(path), "--tenant", tenant, "--errors", str(errors), "--json", expect_exit=1
    )
    assert (summary["accepted"], summary["rejected"]) == (3, 2)
    assert summary["errors_file"] == str(errors)
    found = [orjson.loads(line) for line in errors.read_bytes().splitlines()]
    assert [(e["line"], e["reason"]) for e in found] == [(2, "invalid"), (4, "unreadable")]
    assert found[0]["event_id"] == "nope"
    assert {"path": "learner", "reason": "field required"} in found[0]["errors"]

    text = stride_cli("import", str(path), "--tenant", tenant, "--restart", expect_exit=1)
    assert "accepted 0, duplicate 3, conflict 0, rejected 2" in text.output
    assert "refused.jsonl" not in text.output  # the default error file this time
    assert "events.jsonl.errors.jsonl" in text.output


def test_csv_with_map_defaults_and_a_mapping_file(stride_cli: Cli, tmp_path: Path) -> None:
    tenant = _tenant(stride_cli)
    path = tmp_path / "grades.csv"
    when = WHEN.strftime("%Y-%m-%d %H:%M:%S")
    path.write_text(
        "student,item,grade,seconds,group\n"
        "ana,c1/ex-1,0.5,30,g1\n"
        'ben,c1/ex-1,"0.25",45,g2\n'
        "cleo,c1/ex-1,,10,g1\n"
    )
    mapping = tmp_path / "mapping.yaml"
    mapping.write_text(
        "columns:\n  student: learner\n  item: activity.id\n"
        "defaults:\n  type: exercise.attempted\n  activity.type: exercise\n"
        "unmapped: properties\n"
    )
    summary = stride_cli(
        "import",
        str(path),
        "--tenant",
        tenant,
        "--mapping",
        str(mapping),
        *("--map", "grade=result.score", "--map", "seconds=result.duration_s"),
        *("--default", f"timestamp={when}", "--timezone", "UTC"),
        "--json",
    )
    assert summary["format"] == "csv" and summary["accepted"] == 3, summary

    bad = stride_cli(
        "import", str(path), "--tenant", tenant, "--map", "mark=result.score", expect_exit=1
    )
    assert "The CSV column mapping is not valid." in bad.output
    assert "column 'mark': not in the file's header" in bad.output
    assert "no column or default gives this required field" in bad.output


def test_unknown_tenant_or_file_is_one_clear_error(stride_cli: Cli, tmp_path: Path) -> None:
    path = tmp_path / "e.jsonl"
    path.write_bytes(orjson.dumps(_events(1)[0]))
    missing = stride_cli("import", str(path), "--tenant", "nope", "--json", expect_exit=1)
    assert missing["error"] == "not_found"
    tenant = _tenant(stride_cli)
    gone = stride_cli("import", str(tmp_path / "gone.jsonl"), "--tenant", tenant, expect_exit=1)
    assert "No file" in gone.output


def test_ctrl_c_keeps_the_position_and_the_rerun_continues(
    stride_cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    tenant = _tenant(stride_cli)
    path = tmp_path / "events.jsonl"
    path.write_bytes(b"".join(orjson.dumps(e) + b"\n" for e in _events(25)))
    real_save = import_service.save_state
    calls: list[int] = []

    def interrupt_after_two(target: Path, state: Any) -> None:
        real_save(target, state)
        calls.append(1)
        if len(calls) == 2:
            raise KeyboardInterrupt

    monkeypatch.setattr(import_service, "save_state", interrupt_after_two)
    stopped = stride_cli(
        "import", str(path), "--tenant", tenant, "--batch", "10", "--helpers", "1", expect_exit=130
    )
    assert "Run the same command again" in stopped.output
    monkeypatch.setattr(import_service, "save_state", real_save)
    summary = stride_cli("import", str(path), "--tenant", tenant, "--batch", "10", "--json")
    assert summary["resumed_from"] == 20 and summary["records_this_run"] == 5
    assert (summary["accepted"], summary["duplicate"]) == (25, 0)
