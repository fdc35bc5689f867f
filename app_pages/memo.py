"""One place for what pages keep between runs: bounded LRUs keyed by plain tuples, shared by
every session of the server.

Streamlit's own caches hash each argument through their generic hasher and read the function's
signature on every call — about a third of a millisecond a look-up, and a page run made a dozen
of them; a tuple of the data version, strings and frozen dataclasses hashes in microseconds.
Each name has its own bound (a catalog or a map of 100,000 sites is large; a message is small).
The LRUs are held by Streamlit's resource cache, so ``st.cache_resource.clear()`` empties them."""
from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any

import streamlit as st

_MISSING = object()


class Kept:
    """A bounded LRU safe across sessions' threads.  A value is built once: a second caller of the
    same key waits for the first one's build instead of building it again (as Streamlit's caches do)."""

    def __init__(self, size: int) -> None:
        self.size, self.lock, self.data = size, threading.Lock(), OrderedDict()
        self.building: dict[Hashable, threading.Lock] = {}

    def peek(self, key: Hashable) -> Any:
        """The kept value of ``key``, or :data:`_MISSING`."""
        with self.lock:
            if key in self.data:
                self.data.move_to_end(key)
                return self.data[key]
        return _MISSING

    def get(self, key: Hashable, build: Callable[[], Any]) -> Any:
        hit = self.peek(key)
        if hit is not _MISSING:
            return hit
        with self.lock:
            building = self.building.setdefault(key, threading.Lock())
        try:
            with building:
                hit = self.peek(key)
                if hit is not _MISSING:
                    return hit
                value = build()
                with self.lock:
                    self.data[key] = value
                    while len(self.data) > self.size:
                        self.data.popitem(last=False)
                return value
        finally:
            with self.lock:
                self.building.pop(key, None)


@st.cache_resource(show_spinner=False)
def _all() -> tuple[threading.Lock, dict[str, Kept]]:
    return threading.Lock(), {}


def kept(name: str, size: int) -> Kept:
    """The LRU of ``name`` (made with ``size`` entries the first time it is asked for)."""
    lock, named = _all()
    found = named.get(name)
    if found is None:
        with lock:
            found = named.setdefault(name, Kept(size))
    return found


def once(name: str, key: tuple[Hashable, ...], build: Callable[[], Any], size: int = 16) -> Any:
    """``build()`` once per ``name`` and ``key`` — which must hold the data version and every
    parameter the result depends on, all hashable — shared by every session; at most ``size``
    results of ``name`` are kept.  Callers must not modify what they get."""
    return kept(name, size).get(key, build)


def peek(name: str, key: tuple[Hashable, ...]) -> Any:
    """What :func:`once` keeps for ``name`` and ``key``, or None."""
    found = _all()[1].get(name)
    hit = _MISSING if found is None else found.peek(key)
    return None if hit is _MISSING else hit


DERIVED_KEPT = 128


def derived(source: Any, name: str, build: Callable[[], Any], *params: Any) -> Any:
    """``build()`` once per ``source`` — a result itself computed once per data version and
    parameters (the catalog, the report, a scorecard, the figures) — ``name`` and ``params`` (the
    language, the filters): a page's tables are not built again on every run.  Shared by every
    session: callers must not modify what they get."""
    # keyed by the source's identity; the entry holds its source, so that id is not reused while
    # the entry lives
    hit = kept("derived", DERIVED_KEPT).get((id(source), name, *params), lambda: (source, build()))
    return hit[1] if hit[0] is source else build()
