"""Detection rules over parsed records → ATT&CK-tagged Detections."""

from collections.abc import Sequence
from typing import Protocol

from triage.models import Detection, Incident


class Detector(Protocol):
    def detect(self, incident: Incident) -> Sequence[Detection]: ...


from triage.detect.engine import SigmaDetector  # noqa: E402  (the Protocol above comes first)

__all__ = ["Detector", "SigmaDetector"]
