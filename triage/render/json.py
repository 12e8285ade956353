"""The JSON report is the model dumped: the stable machine contract.

Control and bidi characters travel as \\uXXXX escapes: the same value for a parser, inert for a
terminal or viewer that shows the file.
"""

from triage.models import TriageReport
from triage.render.safety import escape_json


def render_json(report: TriageReport) -> str:
    return escape_json(report.model_dump_json(indent=2)) + "\n"
