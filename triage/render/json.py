"""The JSON report is the model dumped: the stable machine contract."""

from triage.models import TriageReport


def render_json(report: TriageReport) -> str:
    return report.model_dump_json(indent=2) + "\n"
