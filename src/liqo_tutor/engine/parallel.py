"""Per-cluster parallel chains of actions, and claims asked together (check batching)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from typing import TYPE_CHECKING, TypeVar

from liqo_tutor import claims
from liqo_tutor.context import Context
from liqo_tutor.engine.act import action
from liqo_tutor.engine.resolve import applicable, targets
from liqo_tutor.errors import Interrupted
from liqo_tutor.results import CheckResult
from liqo_tutor.tools import runner
from liqo_tutor.tutorial import Action, Check, Step

if TYPE_CHECKING:
    from liqo_tutor.engine.session import Session

__all__ = ["actions", "checks"]

T = TypeVar("T")
_SLICE = 0.1  # seconds: how late the main thread may notice a Ctrl-C


def _awaited(fut: Future[T]) -> T:
    """`fut.result()` in short slices: a Ctrl-C may be delivered to any thread of the process, and
    Python raises KeyboardInterrupt only once the main thread runs bytecode again; a wait without a
    timeout would sit out the whole command (a 60 s `kind create`) before noticing it."""
    while True:
        try:
            return fut.result(timeout=_SLICE)
        except FutureTimeout:
            continue


def _queries(check: Check) -> bool:
    return claims.get(check.kind).queries_cluster


def actions(s: Session, ctx: Context, step: Step) -> int:
    """Run the step's actions; returns how many ran (guards may skip them)."""
    wanted = s.opts.options
    todo = [a for a in applicable(step.actions, ctx.line) if a.option is None or a.option in wanted]
    ran = 0
    if step.concurrent and not s.opts.sequential:
        for a in (a for a in todo if not a.each):
            ran += action(s, ctx, a, a.cluster)
        chains = [a for a in todo if a.each]
        if chains:
            ran += _parallel(s, ctx, chains, after=lambda name: _early_checks(s, ctx, step, name))
        return ran
    for a in todo:
        for cluster in targets(s.tut, a.each, a.cluster):
            ran += action(s, ctx, a, cluster)
    return ran


def _parallel(
    s: Session, ctx: Context, chain: list[Action], after: Callable[[str], None] | None = None
) -> int:
    """One thread per cluster, each running the whole chain for its cluster in order, then `after`."""
    def work(cluster: str) -> int:
        ran = sum(action(s, ctx, a, cluster) for a in chain)
        if after is not None:
            after(cluster)
        return ran

    names = [c.name for c in s.tut.clusters]
    pool = ThreadPoolExecutor(max_workers=len(names), thread_name_prefix="cluster")
    futures: list[Future[int]] = [pool.submit(work, n) for n in names]
    try:
        errors: list[BaseException] = []
        total = 0
        for fut in futures:
            try:
                total += _awaited(fut)
            except KeyboardInterrupt:
                # Ctrl-C reaches the main thread only: stop the other clusters' commands now
                # (their threads then get Interrupted) instead of waiting for their chains.
                runner.terminate_all()
                raise
            except Exception as exc:  # collected: the other clusters finish their chain
                errors.append(exc)
        for err in errors:
            if isinstance(err, Interrupted):
                raise err
        if errors:
            raise errors[0]
        return total
    finally:
        pool.shutdown(wait=False, cancel_futures=True)


def checks(s: Session, ctx: Context, step: Step, *, teardown: bool = False) -> Iterator[CheckResult]:
    """The step's checks, in their declared order. Checks that ask a cluster something run
    together (they are independent); a check computed from captured values waits for the
    ones before it, and so does one that reads a capture a check of the running batch saves.
    Nothing after the first failure is reported. Results already obtained (a concurrent step's
    per-cluster claims, see _early_checks) are not asked again.
    In a teardown, which works from any partial state, a cluster has nothing to verify when its
    kubeconfig is gone (never created, or deleted), and an `each:` claim nothing when the step's `each:`
    actions found nothing to undo on that cluster (as a whole step with nothing undone verifies nothing).
    """
    todo = [
        (check, cluster)
        for check in applicable(step.checks, ctx.line)
        for cluster in targets(s.tut, check.each, check.cluster)
        if not (teardown and _nothing_undone(s, ctx, step, check, cluster))
    ]
    batch: list[tuple[Check, str | None]] = []
    for check, cluster in todo:
        if _queries(check) and not _reads_from(check, batch):
            batch.append((check, cluster))
            continue
        if _queries(check):
            # It reads what a check of the batch saves: that batch first, then a new one.
            for res in _batch(s, ctx, batch):
                yield res
                if not res.status.ok:
                    return
            batch = [(check, cluster)]
            continue
        for res in _batch(s, ctx, batch):
            yield res
            if not res.status.ok:
                return
        batch = []
        res = claims.run_check(ctx, check, cluster)
        yield res
        if not res.status.ok:
            return
    yield from _batch(s, ctx, batch)


def _reads_from(check: Check, batch: list[tuple[Check, str | None]]) -> bool:
    return any(check.uses & other.saves for other, _ in batch)


def _nothing_undone(s: Session, ctx: Context, step: Step, check: Check, cluster: str | None) -> bool:
    if cluster is None:
        return False
    if not ctx.clusters[cluster].kubeconfig.exists():
        return True
    each_actions = any(a.each for a in applicable(step.actions, ctx.line))
    return check.each and each_actions and cluster not in s.undone_on


def _result_of(fut: Future[CheckResult]) -> CheckResult:
    """A check's result from its thread; Ctrl-C there stops every running command first."""
    try:
        return _awaited(fut)
    except KeyboardInterrupt:
        runner.terminate_all()
        raise


def _batch(s: Session, ctx: Context, batch: list[tuple[Check, str | None]]) -> Iterator[CheckResult]:
    """Independent claims asked together; their results in order, up to the first failure."""
    early = s.early
    todo = [(c, cl) for c, cl in batch if (id(c), cl) not in early]
    if len(todo) <= 1 or s.opts.sequential:
        for check, cluster in batch:
            res = early.get((id(check), cluster)) or claims.run_check(ctx, check, cluster)
            yield res
            if not res.status.ok:
                return
        return
    cancel = threading.Event()

    def one(check: Check, cluster: str | None) -> CheckResult:
        with runner.cancel_scope(cancel):
            return claims.run_check(ctx, check, cluster)

    pool = ThreadPoolExecutor(max_workers=len(todo), thread_name_prefix="check")
    try:
        futures = {(id(c), cl): pool.submit(one, c, cl) for c, cl in todo}
        for check, cluster in batch:
            key = (id(check), cluster)
            res = early[key] if key in early else _result_of(futures[key])
            yield res
            if not res.status.ok:
                return
    finally:
        # Once one claim fails (or we stop), the others' answers no longer matter: stop their
        # commands and polls now rather than letting them run to their timeouts.
        cancel.set()
        pool.shutdown(wait=True, cancel_futures=True)


def _early_checks(s: Session, ctx: Context, step: Step, cluster: str) -> None:
    """In a concurrent step, a cluster's own claims (`each:` claims that query it) are asked by its
    thread as soon as its chain is done, while the other clusters are still busy."""
    mine: list[tuple[Check, str | None]] = [
        (c, cluster) for c in applicable(step.checks, ctx.line) if c.each and _queries(c)
    ]
    for res, (check, _) in zip(_batch(s, ctx, mine), mine, strict=False):
        s.early[(id(check), cluster)] = res
