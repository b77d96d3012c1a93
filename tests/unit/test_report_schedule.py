"""Custom reports, pure parts: cron due times, definition and delivery checks, file names."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest

from stride.errors import InvalidInput
from stride.reports.definitions import (
    ReportSpec,
    allowed_directory,
    apply_filters,
    check_delivery,
    check_format,
    check_spec,
)
from stride.reports.highlights import Metric
from stride.reports.periods import ReportPeriod
from stride.reports.report_delivery import output_name
from stride.reports.report_output import render_metrics_csv
from stride.reports.scheduler import check_cron, due_times, latest_due, next_due
from stride.reports.tenant_report import GroupFigure, TenantReport


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


@pytest.mark.parametrize(
    ("cron", "after", "until", "expected"),
    [
        ("0 6 * * *", "2026-11-23 05:00", "2026-11-23 06:00", "23T06:00"),
        ("0 6 * * *", "2026-11-23 06:00", "2026-11-23 07:00", ""),  # `after` is excluded
        ("0 6 * * *", "2026-11-23 06:00", "2026-11-25 06:00", "24T06:00 25T06:00"),
        ("*/20 * * * *", "2026-11-23 05:00", "2026-11-23 06:00", "23T05:20 23T05:40 23T06:00"),
        ("0 6 * * 1", "2026-11-17 00:00", "2026-11-30 00:00", "23T06:00"),  # Mondays
        ("0 0 1 * *", "2026-11-15 00:00", "2026-12-15 00:00", "01T00:00"),
        ("0 6 * * *", "2026-11-23 07:00", "2026-11-23 06:00", ""),
    ],
)
def test_due_times(cron: str, after: str, until: str, expected: str) -> None:
    """`expected`: days and times of the month `until` falls in."""
    month = until[:8]
    wanted = [at(month + e.replace("T", " ")) for e in expected.split()]
    assert due_times(cron, at(after), at(until)) == wanted


def test_due_times_cross_a_year() -> None:
    found = due_times("0 0 1 * *", at("2026-11-15 00:00"), at("2027-01-15 00:00"))
    assert found == [at("2026-12-01 00:00"), at("2027-01-01 00:00")]


def test_latest_due_coalesces_missed_firings() -> None:
    # A server down for three days runs the last missed firing only.
    assert latest_due("0 6 * * *", at("2026-11-20 06:00"), at("2026-11-23 09:30")) == at(
        "2026-11-23 06:00"
    )
    assert latest_due("0 6 * * *", at("2026-11-23 06:00"), at("2026-11-23 09:30")) is None
    assert latest_due("0 6 * * *", at("2026-11-23 05:00"), at("2026-11-23 06:00")) == at(
        "2026-11-23 06:00"
    )
    assert next_due("0 6 * * *", at("2026-11-23 06:00")) == at("2026-11-24 06:00")


@pytest.mark.parametrize(
    "cron", ["61 * * * *", "* * *", "* * * * * *", "a b c d e", "0 0 30 2 *", "", "0 6 * * 8"]
)
def test_bad_cron_names_the_field(cron: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        check_cron(cron)
    assert [e.path for e in caught.value.errors] == ["cron"]


def test_cron_is_normalised() -> None:
    assert check_cron("  0  6 * *   1 ") == "0 6 * * 1"


def test_spec_defaults_and_document_round_trip() -> None:
    spec = check_spec({"period": "month", "metrics": ["sessions", "at_risk", "sessions"]})
    assert spec.period == "month" and spec.metrics == ("sessions", "at_risk")
    assert check_spec(spec.document()) == spec
    assert spec.summary().kind == "month"
    assert check_spec({}).metrics == ReportSpec().metrics


@pytest.mark.parametrize(
    ("document", "path"),
    [
        ({"period": "day"}, "definition.period"),
        ({"metrics": ["sessions", "nope"]}, "definition.metrics.1"),
        ({"metrics": "sessions"}, "definition.metrics"),
        ({"breakdown": "country"}, "definition.breakdown"),
        ({"trend_periods": 1}, "definition.trend_periods"),
        ({"trend_periods": True}, "definition.trend_periods"),
        ({"filters": {"groups": ["p1"]}}, "definition.filters.groups"),  # needs a breakdown
        ({"filters": {"learners": ["x"]}}, "definition.filters"),
        ({"breakdown": "program", "filters": {"groups": [3]}}, "definition.filters.groups"),
    ],
)
def test_bad_definition_names_the_field(document: dict[str, Any], path: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        check_spec(document)
    assert path in [e.path for e in caught.value.errors]


def test_format() -> None:
    assert check_format("csv") == "csv"
    with pytest.raises(InvalidInput) as caught:
        check_format("xlsx")
    assert caught.value.errors[0].path == "format"


def test_webhook_delivery_uses_the_webhook_url_rules() -> None:
    with pytest.raises(InvalidInput) as caught:
        check_delivery({"kind": "webhook", "url": "http://127.0.0.1/hook"}, False, [])
    assert caught.value.errors[0].path == "delivery.url"
    ok = check_delivery({"kind": "webhook", "url": "https://hooks.example.com/r"}, False, [])
    assert ok is not None and ok.document() == {
        "kind": "webhook",
        "url": "https://hooks.example.com/r",
    }
    with pytest.raises(InvalidInput) as caught:
        check_delivery({"kind": "email"}, False, [])
    assert caught.value.errors[0].path == "delivery.kind"


def test_directories_must_lie_under_the_operators_roots(tmp_path: Path) -> None:
    root = tmp_path / "reports"
    root.mkdir()
    assert allowed_directory(str(root / "weekly"), [str(root)]) == str(root / "weekly")
    refused = [
        (str(root / "weekly"), []),  # no roots: directory delivery is off
        (str(tmp_path / "elsewhere"), [str(root)]),
        (str(root / ".." / "escape"), [str(root)]),
        (str(tmp_path / "reports-evil"), [str(root)]),  # a prefix, not a parent
        ("relative/path", [str(root)]),
    ]
    for path, roots in refused:
        with pytest.raises(InvalidInput) as caught:
            allowed_directory(path, roots)
        assert caught.value.errors[0].path == "delivery.path", path


def test_a_symlink_out_of_the_root_is_refused(tmp_path: Path) -> None:
    root = tmp_path / "reports"
    root.mkdir()
    (root / "link").symlink_to(tmp_path)
    with pytest.raises(InvalidInput):
        allowed_directory(str(root / "link" / "x"), [str(root)])


def test_output_name_is_a_safe_file_name() -> None:
    moment = at("2026-11-23 06:00")
    assert output_name("Weekly summary", moment, "pdf") == "Weekly-summary-20261123T060000Z.pdf"
    assert output_name("../../etc/passwd", moment, "csv") == "etc-passwd-20261123T060000Z.csv"
    assert output_name("///", moment, "json") == "report-20261123T060000Z.json"


def _report() -> TenantReport:
    period = ReportPeriod("week", date(2026, 11, 16), date(2026, 11, 22), True)
    previous = ReportPeriod("week", date(2026, 11, 9), date(2026, 11, 15), True)
    return TenantReport(
        "t",
        "Acme",
        period,
        previous,
        at("2026-11-23 06:00"),
        [Metric("sessions", "Sessions", "count", 12, 8)],
        [],
        [],
        [GroupFigure("p1", 7, 5), GroupFigure("=cmd", 6, None)],
        [],
        [],
    )


def test_group_filter_and_csv() -> None:
    report = _report()
    spec = check_spec({"breakdown": "program", "filters": {"groups": ["=cmd"]}})
    kept = apply_filters(report, spec)
    assert [g.value for g in kept.groups] == ["=cmd"]
    lines = render_metrics_csv(kept).decode().splitlines()
    assert lines[0] == "section,key,label,unit,value,previous,change"
    assert lines[1] == "metric,sessions,Sessions,count,12,8,0.5"
    assert lines[2] == "group,'=cmd,Active learners,count,6,,"
    assert apply_filters(report, check_spec({})).groups == report.groups
