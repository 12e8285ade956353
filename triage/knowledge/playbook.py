"""The playbook format (YAML, one playbook a file) and its sections, the unit of citation."""

from typing import Literal

from pydantic import Field

from triage.models import Frozen

SectionName = Literal[
    "overview",
    "triage_questions",
    "evidence_to_collect",
    "severity_guidance",
    "containment",
    "eradication",
    "recovery",
    "escalation",
    "benign_explanations",
]
STEP_SECTIONS: tuple[SectionName, ...] = (
    "triage_questions",
    "evidence_to_collect",
    "containment",
    "eradication",
    "recovery",
    "escalation",
    "benign_explanations",
)


class Scope(Frozen):
    alert_types: tuple[str, ...] = ()
    data_sources: tuple[str, ...] = ()
    techniques: tuple[str, ...] = ()
    observable_types: tuple[str, ...] = ()


class SeverityGuidance(Frozen):
    low: str = ""
    medium: str = ""
    high: str = ""
    critical: str = ""


class Playbook(Frozen):
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{2,63}$")
    title: str = Field(min_length=3)
    version: str
    summary: str = Field(min_length=10)
    scope: Scope
    triage_questions: tuple[str, ...] = Field(min_length=1)
    evidence_to_collect: tuple[str, ...] = Field(min_length=1)
    severity_guidance: SeverityGuidance
    containment: tuple[str, ...] = Field(min_length=1)
    eradication: tuple[str, ...] = ()
    recovery: tuple[str, ...] = ()
    escalation: tuple[str, ...] = Field(min_length=1)
    benign_explanations: tuple[str, ...] = ()
    references: tuple[str, ...] = ()

    def section_text(self, section: SectionName) -> str:
        """The text a section is indexed and cited by."""
        if section == "overview":
            scope = self.scope
            return (
                f"{self.title}. {self.summary} Alert types: {', '.join(scope.alert_types)}. "
                f"Data sources: {', '.join(scope.data_sources)}. "
                f"Techniques: {', '.join(scope.techniques)}."
            )
        if section == "severity_guidance":
            guide = self.severity_guidance
            return " ".join(
                f"{level.capitalize()}: {text}"
                for level, text in (
                    ("low", guide.low),
                    ("medium", guide.medium),
                    ("high", guide.high),
                    ("critical", guide.critical),
                )
                if text
            )
        return "\n".join(f"- {step}" for step in getattr(self, section))
