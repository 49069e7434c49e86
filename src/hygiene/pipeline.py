"""run_audit(): which checks run, their status, concurrency, and recording the run.

collect (checks/<name>/collect.py) → evaluate (rules.py) → exceptions → tally (stats that need
the rules, from the same evaluation) → joins (``joins/``: after the checks, over what they kept
for it) → record (store).
One failing check never hides the others' findings: it becomes ``error`` and the run
``incomplete``. Independent checks run concurrently in threads (their heavy work — git, cloud
calls, DuckDB, the process pool of the secret scanner — releases the GIL).
"""

from __future__ import annotations

import logging
import signal
import threading
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from contextvars import Context, copy_context
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from hygiene import interrupts
from hygiene.context import CheckResult, Collection, RunContext, Tally
from hygiene.errors import CheckSkipped, HygieneError
from hygiene.exceptions import ExceptionScreen
from hygiene.findings import SCHEMA, Finding, Severity, iso_z
from hygiene.joins.stage import JoinStage
from hygiene.log import check_var, run_id_var
from hygiene.policy import Policy
from hygiene.registry import CHECKS, CheckSpec
from hygiene.shard import Shard, partitioning, policy_fingerprint
from hygiene.spool import FindingSpool
from hygiene.store import RECORD_RESULT, StateWriteError, Store, is_url

log = logging.getLogger(__name__)

POLICY_CHECK = "policy"
MERGE_CHECK = "shards"  # the merge's own result: which shards arrived
PSEUDO_CHECKS = frozenset({POLICY_CHECK, MERGE_CHECK})  # results that audit nothing themselves


@dataclass
class AuditRun:
    """One finished run: the contract's ``run`` object plus its findings."""

    id: str
    started_at: datetime
    finished_at: datetime
    as_of: datetime
    results: list[CheckResult]
    findings: Sequence[Finding]  # a FindingSpool for audited runs: read it, don't hold it
    resolved: list[str] = field(default_factory=list)
    shard: Shard | None = None  # audit --shard I/N: a partial result for ``hygiene merge``
    suppressed: int = 0
    policy_fp: str = ""
    allow_empty: bool = False  # --allow-empty: a run in which every check was skipped may pass
    joins: dict[str, Any] | None = None  # a shard's part of the joins, for ``hygiene merge``

    @property
    def audited(self) -> bool:
        """Whether a check actually ran: False when checks were selected and every one of them
        was skipped (``--only policy`` selects none, and then the policy check is the audit)."""
        checks = [r for r in self.results if r.name not in PSEUDO_CHECKS]
        return not checks or any(r.status == "ok" for r in checks)

    @property
    def reason(self) -> str:
        """Why the run is incomplete ("" when it is complete)."""
        errored = [r.name for r in self.results if r.status == "error"]
        if errored:
            return f"check(s) failed: {', '.join(errored)}"
        if not self.audited and not self.allow_empty and self.shard is None:
            return "nothing was audited: every check was skipped"
        return ""

    @property
    def status(self) -> str:
        """``complete`` unless a check errored or (without ``allow_empty``) nothing was audited:
        a misconfigured cron job whose every check is skipped must not pass."""
        return "incomplete" if self.reason else "complete"

    def to_contract(self, lazy: bool = False) -> dict[str, Any]:
        """The findings contract document (DESIGN.md); a shard's names it in ``run.shard``.

        ``lazy=True`` leaves ``findings`` as a lazy sequence read from the run's spool (render it
        with ``publish.formats``; ``json.dumps`` needs the default, a list).
        """
        findings: Sequence[dict[str, Any]]
        if lazy and isinstance(self.findings, FindingSpool):
            findings = self.findings.contracts()
        else:
            findings = [f.to_contract() for f in self.findings]
        document = self.contract_head()
        document["findings"] = findings
        return document

    def contract_head(self) -> dict[str, Any]:
        """The contract document without its ``findings`` (what the store keeps per run)."""
        document: dict[str, Any] = {
            "schema": SCHEMA,
            "run": {
                "id": self.id,
                "started_at": iso_z(self.started_at),
                "finished_at": iso_z(self.finished_at),
                "as_of": iso_z(self.as_of),
                "status": self.status,
                "checks": {r.name: r.to_contract() for r in self.results},
                "resolved": list(self.resolved),
            },
        }
        if self.reason:
            document["run"]["reason"] = self.reason
        if self.shard is not None:
            document["run"]["shard"] = {
                **self.shard.to_contract(),
                "scopes": {r.name: r.scopes for r in self.results},
                "suppressed": self.suppressed,
                "policy": self.policy_fp,
            }
            if self.joins:
                document["run"]["shard"]["joins"] = self.joins
        return document

    def count_at_least(self, severity: Severity) -> int:
        """How many findings are ``severity`` or more serious (a SQL count on the spool)."""
        if isinstance(self.findings, FindingSpool):
            return self.findings.count_at_least(severity)
        return sum(1 for f in self.findings if f.severity.at_least(severity))


def select_checks(only: Sequence[str] = (), skip: Sequence[str] = ()) -> list[CheckSpec]:
    """The registered checks to run, in registry order; unknown names are usage errors.

    ``policy`` (expired exceptions) always runs; naming it selects no registered check.
    """
    for name in [*only, *skip]:
        if name not in CHECKS and name != POLICY_CHECK:
            known = ", ".join([*CHECKS, POLICY_CHECK])
            raise HygieneError(f"unknown check {name!r}; registered checks: {known}")
    chosen = [spec for name, spec in CHECKS.items() if (not only or name in only)]
    return [spec for spec in chosen if spec.name not in skip]


#: Receives a check's findings as they are evaluated; returns the ones it kept (the policy's
#: live exceptions removed).
FindingSink = Callable[[list[Finding]], list[Finding]]


#: Sees each batch of a check's records before it is evaluated (the joins stage keeps from it).
Observer = Callable[[Any], None]


def run_check(
    spec: CheckSpec,
    ctx: RunContext,
    sink: FindingSink | None = None,
    observe: Observer | None = None,
) -> CheckResult:
    """Collect, then evaluate, one check; never raises for the check's own failures.

    Findings go to ``sink`` batch by batch as a streaming collector yields records; without a
    sink they are kept in ``CheckResult.findings``. ``observe`` sees each batch first.
    """
    check_var.set(spec.name)
    shard = ctx.options.get("shard")
    if isinstance(shard, Shard) and spec.partition == "aws":
        with partitioning(shard):
            return _run_check(spec, ctx, sink, observe)
    return _run_check(spec, ctx, sink, observe)


class _EvaluationFailed(Exception):
    """The evaluator (not the collector) raised while judging a batch."""


def _run_check(
    spec: CheckSpec, ctx: RunContext, sink: FindingSink | None, observe: Observer | None
) -> CheckResult:
    started = time.perf_counter()
    result = CheckResult(name=spec.name, status="ok")

    def keep(findings: list[Finding]) -> list[Finding]:
        if sink is not None:
            return sink(findings)
        result.findings += findings
        return findings

    collection: Collection | None = None
    tally: Tally | None = None
    try:
        collection = spec.load_collector()(ctx)
        evaluate = spec.load_evaluator()
        make_tally = spec.load_tally()
        tally = make_tally(ctx.policy, ctx.as_of) if make_tally else None
        for batch in collection.record_batches():  # a streaming collector works in here too
            interrupts.raise_if_cancelled()
            if observe is not None:
                observe(batch)
            try:
                kept = keep(evaluate(batch, ctx.policy, ctx.as_of))
                if tally is not None:  # stats that need the rules: read off this evaluation
                    tally.add(batch, kept)
            except Exception as exc:
                raise _EvaluationFailed(f"{type(exc).__name__}: {exc}") from exc
            result.finding_count += len(kept)
    except CheckSkipped as skipped:
        result.status, result.reason = "skipped", skipped.reason
        log.info("skipped: %s", skipped.reason)
        collection = None
    except _EvaluationFailed as exc:
        result.status, result.reason = "error", f"evaluation failed: {exc}"
        log.error("evaluation failed", exc_info=exc.__cause__)
        tally = None  # its figures would cover part of the records
    except HygieneError as exc:
        interrupts.raise_if_cancelled()  # a failure the interrupt caused is not the check's
        result.status, result.reason = "error", str(exc)
        log.error("check failed: %s", exc)
        collection = None
    except Exception as exc:  # a collector bug or an unexpected cloud error: never a pass
        interrupts.raise_if_cancelled()
        result.status, result.reason = "error", f"{type(exc).__name__}: {exc}"
        log.exception("check failed")
        collection = None
    if collection is not None:
        result.stats = dict(collection.stats)
        if tally is not None:
            result.stats.update(tally.stats())
        result.scopes = collection.scopes
        if collection.errors:
            result.status = "error"
            result.reason = (
                f"{len(collection.errors)} part(s) could not be read: "
                + "; ".join(collection.errors[:5])
                + (" …" if len(collection.errors) > 5 else "")
            )
            result.stats["errors"] = list(collection.errors)
    result.duration_s = time.perf_counter() - started
    log.info("%s in %.2fs: %d finding(s)", result.status, result.duration_s, result.finding_count)
    return result


def run_audit(
    *,
    policy: Policy,
    as_of: datetime | None = None,
    only: Sequence[str] = (),
    skip: Sequence[str] = (),
    repos: Sequence[Path] = (),
    state_path: Path | None = None,
    environ: Mapping[str, str] | None = None,
    lock_timeout: float = 60.0,
    cache_dir: Path | None = None,
    show_progress: bool = False,
    options: Mapping[str, Any] | None = None,
    allow_empty: bool = False,
) -> AuditRun:
    """Run the selected checks and record the run; the library entry point behind ``audit``.

    With ``options["shard"]`` (a :class:`~hygiene.shard.Shard`) the run takes that shard's share
    of the work, records nothing (``hygiene merge`` records the merged run; the store still
    serves the scan cache) and leaves the ``policy`` check to the merge.
    """
    specs = select_checks(only, skip)
    shard = (options or {}).get("shard")
    shard = shard if isinstance(shard, Shard) else None
    if shard is not None:
        all_repos = list(repos)
        repos = shard.take(all_repos, key=str)
        specs = [
            spec
            for spec in specs
            if (spec.partition == "repos" and (repos or (shard.first and not all_repos)))
            or (spec.partition == "aws")
            or (spec.partition is None and shard.first)
        ]
    run_id = uuid.uuid4().hex[:16]
    run_id_var.set(run_id)
    started_at = datetime.now(UTC)
    as_of = (as_of or started_at).astimezone(UTC)
    store = (
        Store(state_path, lock_timeout=lock_timeout, exclusive=shard is None)
        if state_path
        else None
    )
    if store is not None:
        store.open()  # an unusable state (locked, corrupt, read-only) fails here: exit 2
        try:
            store.ensure_writable()
        except BaseException:
            store.close()
            raise
    try:
        ctx = RunContext(
            run_id=run_id,
            as_of=as_of,
            policy=policy,
            repos=tuple(Path(r) for r in repos),
            environ=dict(environ or {}),
            store=store,
            cache_dir=cache_dir or default_cache_dir(state_path),
            show_progress=show_progress,
            options=dict(options or {}),
        )
        log.info("audit started: %d check(s), as of %s", len(specs), iso_z(as_of))
        spool = FindingSpool()
        screen = ExceptionScreen(policy.exceptions, as_of)

        joins = JoinStage.for_run(ctx, [s.name for s in specs], sharded=shard is not None)

        def sink(findings: list[Finding]) -> list[Finding]:  # exceptions applied on arrival
            kept = [f for f in findings if screen.keep(f)]
            spool.add(kept)
            return kept

        try:
            results = _run_all(specs, ctx, sink, joins)
            joins.finish(results, screen.keep, spool.add)  # its findings: screened, spooled
        except BaseException:  # a signal or a crash: the run's spool goes with it
            spool.close()
            raise
        if shard is None:  # a shard leaves expired exceptions to the merge, over all shards
            expired = screen.expired_findings()
            spool.add(expired)
            results.append(policy_result(len(policy.exceptions), screen.suppressed, expired))
        run = AuditRun(
            run_id,
            started_at,
            datetime.now(UTC),
            as_of,
            results,
            spool,
            shard=shard,
            suppressed=screen.suppressed,
            policy_fp=policy_fingerprint(policy) if shard else "",
            allow_empty=allow_empty,
            joins=joins.carry,
        )
        if store is not None and shard is None:
            try:
                recorded = store.record_run(
                    run_id=run.id,
                    started_at=run.started_at,
                    finished_at=run.finished_at,
                    as_of=as_of,
                    status=run.status,
                    results=results,
                    findings=spool,
                    build_document=lambda resolved: replace(run, resolved=resolved).contract_head(),
                )
            except StateWriteError as exc:  # the checks ran: keep their findings, name the loss
                log.error("the run was not recorded: %s", exc)
                results.append(CheckResult(name=RECORD_RESULT, status="error", reason=str(exc)))
            else:
                run.resolved = recorded.resolved
        log.info(
            "audit %s: %d finding(s), %d resolved", run.status, len(run.findings), len(run.resolved)
        )
        return run
    finally:
        if store is not None:
            store.close()


def policy_result(exceptions: int, suppressed: int, expired: list[Finding]) -> CheckResult:
    """The ``policy`` check's result: expired exceptions are its findings."""
    return CheckResult(
        name=POLICY_CHECK,
        status="ok",
        stats={"exceptions": exceptions, "suppressed": suppressed, "expired": len(expired)},
        findings=expired,
        finding_count=len(expired),
    )


def default_cache_dir(state: Path | str | None) -> Path:
    """The scan cache beside a SQLite state file; ``.hygiene/cache`` otherwise."""
    if state is None or is_url(state):
        return Path(".hygiene/cache")
    return Path(state).parent / "cache"


#: After an interrupt, how long the main thread waits for the checks to stop (seconds).
SETTLE_S = 1.0


def _run_all(
    specs: list[CheckSpec], ctx: RunContext, sink: FindingSink, joins: JoinStage
) -> list[CheckResult]:
    """Run the checks, each in a daemon thread (concurrently), while the main thread waits.

    The main thread only waits, so a signal is handled at once: it cancels the run (checks poll
    ``interrupts.cancelled()`` and end their worker processes), gives the checks ``SETTLE_S``
    seconds to leave, ends what is still running (``interrupts.end_all()``) and re-raises.
    A check stuck in a call does not hold the process: daemon threads never block its exit.
    """
    interrupts.reset()
    if len(specs) > 1:
        for spec in specs:  # import first, in one thread: concurrent first imports of one package
            try:  # (detect-secrets from env and secrets) can fail with a circular-import error
                spec.load_collector()
                spec.load_evaluator()
            except Exception:  # run_check reports it as the check's error
                log.debug("import of %s failed; run_check reports it", spec.name, exc_info=True)
    outcomes: list[CheckResult | BaseException | None] = [None] * len(specs)
    # Waited on instead of Thread.join: in Python 3.11 a join interrupted by a signal marks the
    # (still running) thread as stopped, so a second join returns at once.
    ended = [threading.Event() for _ in specs]
    threads = [
        threading.Thread(
            target=_run_into,
            args=(
                outcomes,
                ended[index],
                index,
                spec,
                ctx,
                joins.sink_for(spec.name, sink),
                joins.observer(spec.name),
                copy_context(),
            ),
            name=f"check-{spec.name}",
            daemon=True,
        )
        for index, spec in enumerate(specs)
    ]
    started: list[threading.Event] = []
    try:
        for thread, end in zip(threads, ended, strict=True):
            thread.start()
            started.append(end)
        for end in ended:
            end.wait()
    except BaseException as exc:  # Interrupted (SIGINT/SIGTERM) or KeyboardInterrupt
        interrupts.cancel(exc.signum if isinstance(exc, interrupts.Interrupted) else signal.SIGINT)
        _settle(started, SETTLE_S)  # checks stop their own worker pools within POLL_S
        interrupts.end_all()  # whatever is still running
        raise
    results: list[CheckResult] = []
    for outcome in outcomes:
        if isinstance(outcome, BaseException):  # a check stopped by the run's cancellation
            raise outcome
        assert outcome is not None
        results.append(outcome)
    return results


def _run_into(
    outcomes: list[CheckResult | BaseException | None],
    ended: threading.Event,
    index: int,
    spec: CheckSpec,
    ctx: RunContext,
    sink: FindingSink,
    observe: Observer | None,
    context: Context,
) -> None:
    """A check thread's body: its result, or what stopped it, into ``outcomes[index]``."""
    try:
        outcomes[index] = context.run(run_check, spec, ctx, sink, observe)
    except interrupts.Interrupted as exc:  # a fresh one: no traceback holding the check's frames
        outcomes[index] = interrupts.Interrupted(exc.signum)
    except BaseException as exc:
        outcomes[index] = exc.with_traceback(None)
    finally:
        ended.set()


def _settle(ended: Sequence[threading.Event], budget: float) -> None:
    """Wait at most ``budget`` seconds in all for the started checks to end."""
    deadline = time.monotonic() + budget
    for end in ended:
        end.wait(max(deadline - time.monotonic(), 0.0))
