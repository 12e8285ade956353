"""The batch driver: input order whatever order workers finish in, resume, summary, exit code.

The backend here is a test double that answers from the item itself, so the driver's own
behaviour is what is measured; tests/batch/test_worker.py triages for real.
"""

import io
import json
from pathlib import Path

import pytest

from triage.batch.items import BatchItem
from triage.batch.runner import BatchStopped, BatchSummary, done_items, run_batch
from triage.batch.worker import ItemOutcome


class ScriptedBackend:
    """Answers each item from its alert text: b"ok", b"met", b"bad", b"bug" or b"fatal"."""

    def __init__(self, in_flight: int = 3) -> None:
        self.in_flight = in_flight
        self.submitted: list[int] = []
        self.closed = False

    def submit(self, item: BatchItem) -> BatchItem:
        self.submitted.append(item.index)
        return item

    def collect(self, pending: BatchItem, item: BatchItem) -> ItemOutcome:
        kind = (pending.alert or b"").decode()
        base = {"index": item.index, "item": item.label}
        if kind == "ok":
            return ItemOutcome(**base, exit_code=0, report_json='{"verdict": {}}')
        if kind == "met":
            return ItemOutcome(**base, exit_code=1, report_json="{}", fail_on=("severity>=high",))
        if kind == "bug":
            return ItemOutcome(**base, exit_code=70, error="internal error: boom")
        if kind == "fatal":
            return ItemOutcome(**base, exit_code=4, error="bad config", fatal=True)
        return ItemOutcome(**base, exit_code=3, error=f"{item.label}: not valid JSON")

    def close(self) -> None:
        self.closed = True


def _items(*kinds: str) -> list[BatchItem]:
    return [
        BatchItem(index=i, label=f"in.jsonl:{i + 1}", alert=k.encode()) for i, k in enumerate(kinds)
    ]


def _run(kinds: tuple[str, ...], **options: object) -> tuple[BatchSummary, list[dict[str, object]]]:
    sink = io.StringIO()
    backend = ScriptedBackend()
    summary = run_batch(_items(*kinds), backend=backend, sink=sink, **options)  # type: ignore[arg-type]
    assert backend.closed
    return summary, [json.loads(line) for line in sink.getvalue().splitlines()]


def test_records_come_out_in_input_order_one_per_item() -> None:
    kinds = ("ok", "bad", "ok", "met", "ok", "ok", "bad")
    summary, records = _run(kinds)
    assert [r["index"] for r in records] == list(range(len(kinds)))
    assert [("report" in r) for r in records] == [k in {"ok", "met"} for k in kinds]
    assert records[1] == {
        "index": 1,
        "item": "in.jsonl:2",
        "exit_code": 3,
        "error": "in.jsonl:2: not valid JSON",
    }
    assert records[3]["fail_on"] == ["severity>=high"] and records[3]["exit_code"] == 1
    assert (summary.items, summary.reports, summary.fail_on_met) == (7, 5, 1)
    assert summary.failed == {3: 2}


@pytest.mark.parametrize(
    ("kinds", "code"),
    [
        (("ok", "ok"), 0),
        (("ok", "met"), 1),
        (("met", "bad", "ok"), 3),
        (("bug", "bad", "met"), 70),
    ],
)
def test_the_exit_code_is_the_most_serious_outcome(kinds: tuple[str, ...], code: int) -> None:
    assert _run(kinds)[0].exit_code == code


def test_a_worker_that_cannot_start_stops_the_batch_with_its_code() -> None:
    with pytest.raises(BatchStopped) as stopped:
        _run(("fatal", "ok"))
    assert stopped.value.exit_code == 4 and "bad config" in str(stopped.value)


def test_resume_skips_items_with_a_report_and_retries_error_records(tmp_path: Path) -> None:
    previous = tmp_path / "out.jsonl"
    _, first = _run(("ok", "bad", "met"))
    lines = [json.dumps(r) for r in first]
    previous.write_text("\n".join(lines) + '\n{"index": 3, "item": "in.jsonl:4", "rep')  # torn
    skip = done_items(previous)
    assert skip == {"in.jsonl:1", "in.jsonl:3"}
    summary, records = _run(("ok", "ok", "met", "ok"), skip=skip)
    assert [r["item"] for r in records] == ["in.jsonl:2", "in.jsonl:4"]
    assert summary.skipped == 2 and summary.reports == 2


def test_a_missing_resume_file_means_nothing_is_done(tmp_path: Path) -> None:
    assert done_items(tmp_path / "none.jsonl") == frozenset()


def test_the_summary_line_names_every_count() -> None:
    summary, _ = _run(("ok", "bad", "met", "bug"))
    line = summary.line()
    assert "4 items, 2 reports (1 met --fail-on), 2 failed (exit 3: 1, exit 70: 1)" in line
    assert "items/s" in line
