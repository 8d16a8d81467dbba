"""The one registry of configured source systems, and the concurrent fetch from all of them.

A system is added by configuration: its ``kind`` names a module (``adapters.<kind>``, or the
``module`` given) whose ``ADAPTER`` class is built with the system's config.  A fourth system is
one new module and one more entry in settings.
"""

from __future__ import annotations

import asyncio
import importlib
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from adapters.connection import SourceSystemConfig
from adapters.errors import SourceFailure, UnknownSourceSystem
from adapters.protocol import DataCategory, FetchContext, RecordItem, SourceAdapter, releasable, requestable

# A configured adapter's class, built as ``cls(config, **resources)`` (the base class takes only a name).
AdapterClass = Callable[..., SourceAdapter]


def adapter_class(config: SourceSystemConfig) -> AdapterClass:
    module = importlib.import_module(config.module or f"adapters.{config.kind}")
    cls = getattr(module, "ADAPTER", None)
    if not (isinstance(cls, type) and issubclass(cls, SourceAdapter)):
        raise TypeError(f"{module.__name__} has no ADAPTER class extending SourceAdapter")
    return cls


class AdapterRegistry:
    """The configured source systems, by name."""

    def __init__(self, adapters: Iterable[SourceAdapter] = ()) -> None:
        self._adapters: dict[str, SourceAdapter] = {}
        for adapter in adapters:
            self.register(adapter)

    @classmethod
    def from_configs(cls, configs: Iterable[SourceSystemConfig], **resources: Any) -> AdapterRegistry:
        """Build every configured adapter; ``resources`` (for example a session factory) are
        offered to each, and used by those that need them."""
        return cls(adapter_class(config)(config, **resources) for config in configs)

    def register(self, adapter: SourceAdapter) -> None:
        if adapter.name in self._adapters:
            raise ValueError(f"a source system named {adapter.name!r} is already registered")
        self._adapters[adapter.name] = adapter

    def get(self, name: str) -> SourceAdapter:
        try:
            return self._adapters[name]
        except KeyError:
            raise UnknownSourceSystem(f"no source system named {name!r}") from None

    def __iter__(self) -> Iterator[SourceAdapter]:
        return iter(self._adapters.values())

    def __len__(self) -> int:
        return len(self._adapters)

    @property
    def names(self) -> list[str]:
        return list(self._adapters)

    def holders_of(self, category: DataCategory | str) -> list[SourceAdapter]:
        return [a for a in self if a.supports(category)]


@dataclass(frozen=True)
class SourceOutcome:
    """What one source system gave for one fetch: items, or a failure with its reason."""

    source_system: str
    status: str  # "ok" or "failed"
    items: list[RecordItem] = field(default_factory=list)
    reason: str | None = None
    detail: str | None = None
    elapsed_ms: float = 0.0


async def _refs(adapter: SourceAdapter, refs: list[str], categories: list[DataCategory],
                context: FetchContext, describe_only: bool) -> list[RecordItem]:
    items: list[RecordItem] = []
    ask = adapter.describe if describe_only else adapter.fetch
    for ref in refs:
        items.extend(await ask(ref, categories, context))
    return items


async def _one(adapter: SourceAdapter, refs: list[str], categories: list[DataCategory], context: FetchContext,
               deadline: float | None, describe_only: bool = False) -> SourceOutcome:
    started = time.perf_counter()
    try:
        work = _refs(adapter, refs, categories, context, describe_only)
        items = await (asyncio.wait_for(work, deadline) if deadline else work)
        return SourceOutcome(adapter.name, "ok", releasable(items),
                             elapsed_ms=round((time.perf_counter() - started) * 1000, 1))
    except SourceFailure as exc:
        reason, detail = exc.reason, exc.detail
    except TimeoutError:
        reason, detail = "timeout", "the fetch did not finish in time"
    except Exception as exc:  # one broken adapter must never break the others
        reason, detail = "adapter_error", f"the adapter failed ({type(exc).__name__})"
    return SourceOutcome(adapter.name, "failed", reason=reason, detail=detail,
                         elapsed_ms=round((time.perf_counter() - started) * 1000, 1))


async def fetch_from_all(
    registry: AdapterRegistry,
    person_refs: Mapping[str, str | Sequence[str]],
    categories: Iterable[DataCategory | str],
    context: FetchContext,
    *,
    deadline_seconds: float | None = None,
    describe_only: bool = False,
) -> dict[str, SourceOutcome]:
    """Fetch concurrently from every system in ``person_refs`` (system name -> its person refs),
    asking each only for the categories it holds; a failure stays with its own system.  With
    ``describe_only``, each system describes its items instead (``SourceAdapter.describe``)."""
    wanted = requestable(categories)
    tasks = {}
    for name, refs in person_refs.items():
        adapter = registry.get(name)
        mine = [c for c in wanted if adapter.supports(c)]
        ref_list = [refs] if isinstance(refs, str) else list(refs)
        if mine and ref_list:
            tasks[name] = _one(adapter, ref_list, mine, context, deadline_seconds, describe_only)
    results = await asyncio.gather(*tasks.values())
    return dict(zip(tasks, results, strict=True))
