"""A playbook cut into its sections: the unit that is embedded, searched and cited."""

from dataclasses import dataclass
from pathlib import Path
from typing import get_args

from triage.knowledge.playbook import Playbook, SectionName
from triage.models import PlaybookHit

SECTIONS: tuple[SectionName, ...] = get_args(SectionName)


@dataclass(frozen=True)
class PlaybookChunk:
    """One non-empty section of one playbook, with the metadata search filters and boosts on."""

    playbook_id: str
    section: str
    title: str
    text: str
    techniques: tuple[str, ...]
    data_sources: tuple[str, ...]
    observable_types: tuple[str, ...]
    content_hash: str
    source_path: str

    @property
    def ref(self) -> str:
        return f"{self.playbook_id}#{self.section}"

    @property
    def embedding_text(self) -> str:
        # Every section carries its playbook's title, so "containment" of phishing and of
        # ransomware do not look alike to the embedding.
        label = self.section.replace("_", " ")
        return f"{self.title} ({label}): {self.text}"

    def metadata(self) -> dict[str, str]:
        """Chroma metadata: scalars only, so lists are comma-joined."""
        return {
            "playbook_id": self.playbook_id,
            "section": self.section,
            "title": self.title,
            "techniques": ",".join(self.techniques),
            "data_sources": ",".join(self.data_sources),
            "observable_types": ",".join(self.observable_types),
            "content_hash": self.content_hash,
            "source_path": self.source_path,
        }

    @classmethod
    def from_stored(cls, text: str, metadata: dict[str, object]) -> "PlaybookChunk":
        def field(name: str) -> str:
            return str(metadata.get(name, "") or "")

        def listed(name: str) -> tuple[str, ...]:
            return tuple(part for part in field(name).split(",") if part)

        return cls(
            playbook_id=field("playbook_id"),
            section=field("section"),
            title=field("title"),
            text=text,
            techniques=listed("techniques"),
            data_sources=listed("data_sources"),
            observable_types=listed("observable_types"),
            content_hash=field("content_hash"),
            source_path=field("source_path"),
        )

    def hit(self, score: float) -> PlaybookHit:
        return PlaybookHit(
            playbook_id=self.playbook_id,
            section=self.section,
            title=self.title,
            text=self.text,
            score=score,
            techniques=self.techniques,
        )


def chunk_playbook(
    playbook: Playbook, *, content_hash: str, source: Path
) -> tuple[PlaybookChunk, ...]:
    """One chunk per non-empty section, in the playbook's section order."""
    chunks = []
    for section in SECTIONS:
        text = playbook.section_text(section).strip()
        if not text:
            continue
        chunks.append(
            PlaybookChunk(
                playbook_id=playbook.id,
                section=section,
                title=playbook.title,
                text=text,
                techniques=playbook.scope.techniques,
                data_sources=playbook.scope.data_sources,
                observable_types=playbook.scope.observable_types,
                content_hash=content_hash,
                source_path=str(source),
            )
        )
    return tuple(chunks)
