"""Playbooks as knowledge: the team's runbooks indexed in Chroma, retrieved with citations."""

from collections.abc import Sequence
from typing import Protocol

from triage.models import PlaybookHit


class PlaybookSearch(Protocol):
    def search(
        self,
        query: str,
        *,
        techniques: Sequence[str] = (),
        observable_types: Sequence[str] = (),
        limit: int = 5,
    ) -> Sequence[PlaybookHit]: ...
