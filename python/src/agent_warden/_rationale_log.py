"""The model's text that came with each tool call, noted when the response arrives and read when the tool runs."""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Iterable, Optional

# How many calls' texts are kept; older ones are dropped (their calls are recorded without a rationale).
_LIMIT = 1000


class RationaleLog:
    """
    Tool-call id → the text the model wrote in the same response. Frameworks hand a tool only its call,
    not the message it came in, so each adapter notes the text where it sees the model's response.

    >>> log = RationaleLog()
    >>> log.note(["call_1", "call_2"], "Checking the weather first.")
    >>> log.take("call_1")
    'Checking the weather first.'
    """

    def __init__(self) -> None:
        self._texts: OrderedDict[str, str] = OrderedDict()
        self._lock = threading.Lock()

    def note(self, call_ids: Iterable[str], text: str) -> None:
        """Notes ``text`` for each of ``call_ids`` (one response's text belongs to all its tool calls)."""
        if not text.strip():
            return
        with self._lock:
            for call_id in call_ids:
                self._texts.pop(call_id, None)
                self._texts[call_id] = text
            while len(self._texts) > _LIMIT:
                self._texts.popitem(last=False)

    def take(self, call_id: Optional[str]) -> Optional[str]:
        """The text noted for ``call_id``, removed once read."""
        if call_id is None:
            return None
        with self._lock:
            return self._texts.pop(call_id, None)
