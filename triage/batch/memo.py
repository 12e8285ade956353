"""Playbook search remembered per worker: a batch asks the same few questions over and over
(alerts of one kind share titles, techniques and observable types), and the index does not
change during a batch, so an answer once found is the answer."""

from collections import OrderedDict
from collections.abc import Sequence

from triage.knowledge import PlaybookSearch
from triage.models import PlaybookHit

MAX_REMEMBERED = 2048


class RememberedPlaybookSearch:
    """A PlaybookSearch that keeps the last MAX_REMEMBERED answers (least recently used out)."""

    def __init__(self, search: PlaybookSearch, *, size: int = MAX_REMEMBERED) -> None:
        self.search_index = search
        self.size = size
        self.answers: OrderedDict[tuple[object, ...], tuple[PlaybookHit, ...]] = OrderedDict()
        self.hits = 0

    def search(
        self,
        query: str,
        *,
        techniques: Sequence[str] = (),
        observable_types: Sequence[str] = (),
        limit: int = 5,
    ) -> Sequence[PlaybookHit]:
        key = (query, tuple(techniques), tuple(observable_types), limit)
        if key in self.answers:
            self.hits += 1
            self.answers.move_to_end(key)
            return self.answers[key]
        found = tuple(
            self.search_index.search(
                query, techniques=techniques, observable_types=observable_types, limit=limit
            )
        )
        self.answers[key] = found
        if len(self.answers) > self.size:
            self.answers.popitem(last=False)
        return found
