"""A YAML kind name -> its handler (a verb or a claim), in registration order."""

from __future__ import annotations

from typing import Generic, Protocol, TypeVar

__all__ = ["KindRegistry"]


class _Named(Protocol):
    @property
    def name(self) -> str: ...


T = TypeVar("T", bound=_Named)


class KindRegistry(Generic[T]):
    """`what` names the kind in the error for a second, different handler of the same name."""

    def __init__(self, what: str) -> None:
        self._what = what
        self._items: dict[str, T] = {}

    def register(self, item: T) -> T:
        """Add a handler (its `name` is its YAML key); a second one of that name is a programming error."""
        if item.name in self._items and type(self._items[item.name]) is not type(item):
            raise ValueError(f"{self._what} {item.name!r} is already registered")
        self._items[item.name] = item
        return item

    def unregister(self, name: str) -> None:
        self._items.pop(name, None)

    def get(self, name: str) -> T:
        return self._items[name]

    def names(self) -> tuple[str, ...]:
        """Registered kinds, in registration order (the order messages list them in)."""
        return tuple(self._items)
