"""The agent's allow-listed tools over the case: typed, bounded, read-only. Every record or
result a tool returns is put in the evidence catalogue first, so the model cites ids that
`triage verify` resolves. Outputs are redacted and datamarked before they reach the model;
placeholders in the model's arguments are mapped back locally."""

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, Field

from triage.analysts.agent.guardrails import Datamark, Redactor
from triage.analysts.base import CaseFile, TechniqueNamer
from triage.evidence import EvidenceCatalog, record_quote
from triage.knowledge import PlaybookSearch
from triage.knowledge.playbook import STEP_SECTIONS
from triage.models import Detection, EnrichmentResult, Observable, Record, RecordRef

if TYPE_CHECKING:
    from langchain_core.tools import BaseTool

    from triage.enrich.service import EnrichmentService

MAX_OUTPUT = 6000
MAX_RECORDS = 20
MAX_RAW = 400


class NoArgs(BaseModel):
    pass


class DetectionArgs(BaseModel):
    rule_id: str = Field(max_length=200, description="rule_id from list_detections")


class FindRecordsArgs(BaseModel):
    value: str | None = Field(
        default=None, max_length=300, description="Text the record must contain"
    )
    field: str | None = Field(
        default=None, max_length=100, description="Only look in this field, e.g. CommandLine"
    )
    artifact_id: str | None = Field(default=None, max_length=10, description="e.g. A1")
    since: datetime | None = Field(default=None, description="ISO time, inclusive")
    until: datetime | None = Field(default=None, description="ISO time, inclusive")
    limit: int = Field(default=10, ge=1, le=MAX_RECORDS)


class SigmaArgs(BaseModel):
    rule_yaml: str = Field(max_length=20_000, description="One Sigma rule in YAML")


class ObservableArgs(BaseModel):
    value: str = Field(max_length=2000, description="IP, domain, URL, hash, e-mail, …")
    type: str | None = Field(default=None, max_length=30, description="observable type")


class QueryArgs(BaseModel):
    query: str = Field(max_length=300, description="What to look for in the playbooks")


class TechniqueArgs(BaseModel):
    technique_id: str = Field(max_length=20, description="e.g. T1059.001")


class CommandArgs(BaseModel):
    command: str = Field(max_length=20_000, description="A command line to decode and assess")


@dataclass(frozen=True, kw_only=True)
class CaseTools:
    """The tools one agent run may call; nothing here reads outside the case or writes."""

    case: CaseFile
    catalog: EvidenceCatalog
    redactor: Redactor
    datamark: Datamark
    name_technique: TechniqueNamer
    enricher: "EnrichmentService | None" = None
    playbooks: PlaybookSearch | None = None

    def _out(self, payload: Any) -> str:
        text = json.dumps(payload, ensure_ascii=False, default=str)
        if len(text) > MAX_OUTPUT:
            text = text[: MAX_OUTPUT - 1] + "…"
        return self.datamark.wrap(self.redactor.redact(text))

    def _arg(self, value: str | None) -> str | None:
        return None if value is None else self.redactor.restore(value)

    def _record_row(self, record: Record, values: tuple[str, ...] = ()) -> dict[str, Any]:
        ref = RecordRef(artifact_id=record.artifact_id, locator=record.locator)
        evidence_id = self.catalog.cite_record(ref, values=values)
        return {
            "evidence_id": evidence_id,
            "artifact_id": record.artifact_id,
            "locator": record.locator,
            "time": record.timestamp.isoformat() if record.timestamp else None,
            "quote": record_quote(record, values)[:MAX_RAW],
            "text": record.raw[:MAX_RAW],
        }

    def _detection_row(self, detection: Detection) -> dict[str, Any]:
        return {
            "rule_id": detection.rule_id,
            "title": detection.title,
            "level": detection.level,
            "layer": detection.layer,
            "techniques": list(detection.techniques),
            "record_count": len(detection.records),
            "evidence_ids": list(self.catalog.cite_detection(detection, max_records=3)),
        }

    def list_detections(self) -> str:
        return self._out([self._detection_row(d) for d in self.case.detections[:50]])

    def inspect_detection(self, rule_id: str) -> str:
        for detection in self.case.detections:
            if detection.rule_id == rule_id:
                values = tuple(detection.matched_fields.values())
                records = [
                    self._record_row(record, values)
                    for ref in detection.records[:MAX_RECORDS]
                    if (record := self.catalog.record(ref)) is not None
                ]
                return self._out(
                    {
                        **self._detection_row(detection),
                        "description": detection.description[:MAX_RAW],
                        "falsepositives": list(detection.falsepositives[:5]),
                        "matched_fields": detection.matched_fields,
                        "records": records,
                    }
                )
        return self._out({"error": f"no detection {rule_id!r}; see list_detections"})

    def find_records(self, args: FindRecordsArgs) -> str:
        value = (self._arg(args.value) or "").lower()
        field = self._arg(args.field)
        found = []
        for record in self.case.incident.records:
            if args.artifact_id and record.artifact_id != args.artifact_id:
                continue
            if (args.since or args.until) and not _within(record, args.since, args.until):
                continue
            if field is not None:
                content = record.fields.get(field)
                if content is None or value not in str(content).lower():
                    continue
            elif value and value not in record.raw.lower():
                continue
            found.append(self._record_row(record, (value,) if value else ()))
            if len(found) >= args.limit:
                break
        return self._out({"count": len(found), "records": found})

    def run_sigma_rule(self, rule_yaml: str) -> str:
        from triage.detect.engine import SigmaDetector
        from triage.detect.matcher import UnsupportedRule
        from triage.detect.rules import RuleSet, RuleStats, compile_rule_text

        try:
            rule = compile_rule_text(self.redactor.restore(rule_yaml), source="agent")
        except UnsupportedRule as exc:
            return self._out({"error": f"rule not usable: {exc}"})
        detector = SigmaDetector(RuleSet(rules=(rule,), stats=RuleStats(loaded=1)))
        found = detector.detect(self.case.incident)
        rows = []
        for detection in found[:5]:
            values = tuple(detection.matched_fields.values())
            rows.append(
                {
                    "title": detection.title,
                    "record_count": len(detection.records),
                    "records": [
                        self._record_row(record, values)
                        for ref in detection.records[:10]
                        if (record := self.catalog.record(ref)) is not None
                    ],
                }
            )
        return self._out({"matched": bool(found), "detections": rows})

    def _cite_results(self, results: tuple[EnrichmentResult, ...]) -> list[dict[str, Any]]:
        return [
            {
                "evidence_id": self.catalog.cite_enrichment(r),
                "provider": r.provider,
                "status": r.status,
                "verdict": r.verdict,
                "score": r.score,
                "summary": r.summary[:MAX_RAW],
            }
            for r in results
        ]

    def enrich_observable(self, value: str, type: str | None = None) -> str:
        from triage.enrich.lookup import enrich_value
        from triage.errors import UsageError

        if self.enricher is None:
            return self._out({"error": "enrichment is not available in this run"})
        try:
            _, results = enrich_value(
                self.redactor.restore(value), type=type, service=self.enricher
            )
        except UsageError as exc:
            return self._out({"error": str(exc)})
        return self._out(self._cite_results(tuple(results)))

    def search_playbooks(self, query: str) -> str:
        text = self.redactor.restore(query)
        if self.playbooks is None:
            rows = self._library_search(text)
        else:
            rows = []
            for hit in self.playbooks.search(text, limit=4):
                playbook = self.case.playbooks.get(hit.playbook_id)
                steps = getattr(playbook, hit.section, ()) if playbook else ()
                rows.append(
                    {
                        "playbook_ref": hit.ref,
                        "title": hit.title,
                        "steps": list(steps)[:6] if isinstance(steps, tuple) else [],
                        "text": hit.text[:MAX_RAW],
                    }
                )
        return self._out({"hits": rows})

    def _library_search(self, query: str, limit: int = 4) -> list[dict[str, Any]]:
        """Without the index (Chroma unavailable): playbook sections ranked by shared words."""
        words = set(re.findall(r"\w{3,}", query.lower()))
        scored = []
        for playbook in self.case.playbooks.values():
            for section in STEP_SECTIONS:
                steps: tuple[str, ...] = getattr(playbook, section)
                if not steps:
                    continue
                text = f"{playbook.title} {playbook.summary} {section} {' '.join(steps)}".lower()
                score = len(words & set(re.findall(r"\w{3,}", text)))
                if score:
                    scored.append((score, playbook.id, section, playbook.title, steps))
        scored.sort(key=lambda row: (-row[0], row[1], row[2]))
        return [
            {"playbook_ref": f"{pid}#{section}", "title": title, "steps": list(steps)[:6]}
            for _, pid, section, title, steps in scored[:limit]
        ]

    def lookup_attack(self, technique_id: str) -> str:
        named = self.name_technique(technique_id.strip().upper())
        if named is None:
            return self._out({"error": f"{technique_id!r} is not an ATT&CK technique id"})
        return self._out({"id": technique_id.upper(), "name": named[0], "tactics": named[1]})

    def decode_command(self, command: str) -> str:
        from triage.enrich.commands import CommandLineProvider

        text = self.redactor.restore(command)
        observable = Observable(type="command_line", value=text[:20_000])
        result = CommandLineProvider().lookup(observable)
        decoded = result.details.get("decoded_script")
        row = self._cite_results((result,))[0]
        return self._out({**row, "decoded_script": str(decoded)[:2000] if decoded else None})

    def build(self, *, on_call: Callable[[], None] | None = None) -> list["BaseTool"]:
        from langchain_core.tools import StructuredTool

        def counted(func: Callable[..., str]) -> Callable[..., str]:
            def run(**kwargs: Any) -> str:
                if on_call is not None:
                    on_call()
                return func(**kwargs)

            return run

        def find(**kwargs: Any) -> str:
            return self.find_records(FindRecordsArgs.model_validate(kwargs))

        table: list[tuple[str, str, type[BaseModel], Callable[..., str]]] = [
            (
                "list_detections",
                "Detections found in the case, with evidence ids.",
                NoArgs,
                self.list_detections,
            ),
            (
                "inspect_detection",
                "One detection's description, false positives and cited records.",
                DetectionArgs,
                self.inspect_detection,
            ),
            (
                "find_records",
                "Records by text, field, artifact id or time range; each with an "
                "evidence id to cite.",
                FindRecordsArgs,
                find,
            ),
            (
                "run_sigma_rule",
                "Run an ad-hoc Sigma rule (YAML) over the case's records.",
                SigmaArgs,
                self.run_sigma_rule,
            ),
            (
                "enrich_observable",
                "Enrich an IP, domain, URL, hash or address (offline "
                "intelligence first); results get evidence ids.",
                ObservableArgs,
                self.enrich_observable,
            ),
            (
                "search_playbooks",
                "Search the team's playbooks; actions must cite a playbook_ref found here.",
                QueryArgs,
                self.search_playbooks,
            ),
            (
                "lookup_attack",
                "Name and tactics of an ATT&CK technique id.",
                TechniqueArgs,
                self.lookup_attack,
            ),
            (
                "decode_command",
                "Decode an encoded PowerShell command and flag download "
                "cradles, LOLBins and obfuscation.",
                CommandArgs,
                self.decode_command,
            ),
        ]
        return [
            StructuredTool.from_function(
                func=counted(func), name=name, description=description, args_schema=schema
            )
            for name, description, schema, func in table
        ]


def _within(record: Record, since: datetime | None, until: datetime | None) -> bool:
    if record.timestamp is None:
        return False
    stamp = record.timestamp

    def comparable(bound: datetime) -> datetime:
        mixed = (bound.tzinfo is None) != (stamp.tzinfo is None)
        return bound.replace(tzinfo=stamp.tzinfo) if mixed else bound

    if since is not None and stamp < comparable(since):
        return False
    return until is None or stamp <= comparable(until)
