"""`python -m bench`: measure model-copy on a private local cloud and print target verdicts.

Every figure comes from this one run and is reported as a ratio where time is involved, since
machines differ. A missed target is printed, never a failure; the run fails only when the
pipeline itself breaks (a single copy does not succeed).
"""

from __future__ import annotations

import json
import math
import sys
import tempfile
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from model_copy.contract import TRAINED_STATUSES, DetailType

from bench import cold_start, packaging, polling
from bench.copies import Copier, CopyBroken, by_service
from bench.report import (
    Metric,
    counter_delta,
    minimum_calls_per_copy,
    missed_lines,
    overhead_ratio,
    ratio,
    render_table,
)
from local_cloud.cloudformation import pipeline
from local_cloud.core.launcher import LocalCloud
from tests.support import clouds

RESULTS = Path(__file__).resolve().parent.parent / ".bench" / "latest.json"
# The emulated work. Import 20 s so a fixed overhead of ~2 s shows as 0.10; the source is
# trained before the copy starts, so the copy's training time is 0; submitted_s=0 makes the
# import's emulated time exactly import_s.
IMPORT_S = 20.0
TRAINING_S = 0.5  # only while the bench's own source models train, before any copy starts
CONCURRENT_COPIES = 50
THROTTLE_PROBABILITY = 0.2
# AWS gives an account 1000 concurrent Lambda executions; the local default of 16 workers
# would make 50 simultaneous imports queue behind each other, which AWS would not.
LAMBDA_WORKERS = 3 * CONCURRENT_COPIES + 10
COPY_TIMEOUT_S = 120.0
# The poll schedule series (bench/polling.py): waves of polling.WAVE_COPIES copies each.
SERIES_WAVES = 2
# The template's default poll settings (15 s first, 120 s cap) divided by this, so the same
# 20 s imports stand for 300 s ones.
DEFAULTS_SCALE = 15
# One model to 25 distinct accounts, each with its own target stack (no slots in the template).
FLEET_SOURCE = "800000000000"
FLEET_TARGETS = [f"8000000001{n:02d}" for n in range(1, 26)]
FLEET_CONCURRENCY = 10  # the template's default MaxConcurrentTargets
FLEET_TIMEOUT_S = 600.0
CONCURRENT_TIMEOUT_S = 150.0
OUTCOME_BUS = "model-copy"


def _poll(first: str, cap: str) -> tuple[float, float]:
    return float(pipeline.FAST_POLLING[first]), float(pipeline.FAST_POLLING[cap])


TRAINING_POLL = _poll("TrainingPollFirstSeconds", "TrainingPollMaxSeconds")
IMPORT_POLL = _poll("ImportPollFirstSeconds", "ImportPollMaxSeconds")


@contextmanager
def private_cloud() -> Iterator[LocalCloud]:
    """A local cloud on a free port in a temporary directory, stopped whatever happens."""
    with tempfile.TemporaryDirectory(prefix="bench-cloud-") as state, \
            clouds.private_cloud(Path(state)) as cloud:
        yield cloud


def _say(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", flush=True)


# ---------------------------------------------------------------- measurements on the cloud

def single_copy(copier: Copier, prefix: str = "bench-single") -> dict[str, Any]:
    """One copy of a trained model: calls per service, end-to-end time, detection lag."""
    [source_arn] = copier.create_classifiers(prefix, 1)
    copier.settle()
    before = copier.counters()
    finished = copier.wait([copier.start(source_arn)], COPY_TIMEOUT_S)[0]
    if finished.status != "SUCCEEDED" or finished.output is None:
        raise CopyBroken(f"a single copy ended {finished.status}: {finished.error}")
    copier.settle()
    calls = counter_delta(before, copier.counters())
    [result] = finished.output["results"]
    copy = copier.describe(result["targetModelArn"], session=copier.target)
    trained_at = copy["TrainingEndTime"]
    imported_events = [e for e in copier.outcome_events(OUTCOME_BUS)
                       if e.get("detail-type") == DetailType.MODEL_IMPORTED
                       and e.get("detail", {}).get("targetModelArn") == result["targetModelArn"]]
    assert finished.stopped is not None
    return {"calls": calls, "seconds": finished.seconds,
            # The execution's end comes after the outcome event: an upper bound of the lag.
            "detection_lag_s": (finished.stopped - trained_at).total_seconds(),
            "outcome_event_time": imported_events[0]["time"] if imported_events else None,
            "copy_trained_at": trained_at.isoformat(),
            "execution_stopped_at": finished.stopped.isoformat()}


def concurrent_copies(copier: Copier, sources: list[str], label: str) -> dict[str, Any]:
    """Start one copy per source at once (throttling on); wall time from first start to last end."""
    copier.cloud.control("comprehend", "configure", throttle_probability=THROTTLE_PROBABILITY)
    try:
        executions = [copier.start(arn, f"bench-{label}-{index}")
                      for index, arn in enumerate(sources)]
        finished = copier.wait(executions, CONCURRENT_TIMEOUT_S)
    finally:
        copier.cloud.control("comprehend", "configure", throttle_probability=0.0)
    stopped = [f.stopped for f in finished if f.stopped is not None]
    wall = (max(stopped) - min(f.started for f in finished)).total_seconds() if stopped else None
    failures: dict[str, int] = {}
    for copy in finished:
        if copy.status != "SUCCEEDED":
            reason = f"{copy.status}:{copy.error}"
            failures[reason] = failures.get(reason, 0) + 1
    return {"copies": len(finished), "succeeded": len(finished) - sum(failures.values()),
            "wall_s": wall, "failures": failures}


def fan_out_to_accounts(cloud: LocalCloud) -> dict[str, Any]:
    """One execution copying one model to 25 accounts, each with its own target stack."""
    with ThreadPoolExecutor(max_workers=4) as pool:
        list(pool.map(lambda account: pipeline.deploy_target(cloud, account, [FLEET_SOURCE]),
                      FLEET_TARGETS))
    stack = pipeline.deploy_source(cloud, FLEET_SOURCE, FLEET_TARGETS,
                                   MaxConcurrentTargets=str(FLEET_CONCURRENCY))
    session = pipeline.account_session(FLEET_SOURCE)
    copier = Copier(cloud, pipeline.Pipeline(source=stack, target=stack), session, session)
    [source_arn] = copier.create_classifiers("bench-fleet", 1, account=FLEET_SOURCE)
    execution = copier.start(source_arn, targets=FLEET_TARGETS)
    [finished] = copier.wait([execution], FLEET_TIMEOUT_S)
    results = (finished.output or {}).get("results", [])
    trained = sum(1 for result in results if result.get("status") in TRAINED_STATUSES)
    return {"accounts": len(FLEET_TARGETS), "trained": trained, "status": finished.status,
            "error": finished.error, "max_concurrent_targets": FLEET_CONCURRENCY,
            "wall_s": finished.seconds if finished.stopped else None}


def cloud_measurements(cloud: LocalCloud) -> dict[str, Any]:
    cloud.control("comprehend", "configure", submitted_s=0.0, training_s=TRAINING_S,
                  import_s=IMPORT_S)
    cloud.control("lambda", "configure", max_workers=LAMBDA_WORKERS)
    _say("deploying both stacks")
    copier = Copier.for_cloud(cloud, pipeline.deploy_pipeline(cloud))
    _say(f"one copy (import emulated at {IMPORT_S:.0f} s)")
    single = single_copy(copier)
    _say(f"{CONCURRENT_COPIES} copies of one model to {CONCURRENT_COPIES} target names")
    [shared_source] = copier.create_classifiers("bench-one", 1)
    one_to_many = concurrent_copies(copier, [shared_source] * CONCURRENT_COPIES, "fan-out")
    _say(f"{CONCURRENT_COPIES} copies of {CONCURRENT_COPIES} models to one target")
    many_sources = copier.create_classifiers("bench-many", CONCURRENT_COPIES)
    many_to_one = concurrent_copies(copier, many_sources, "fan-in")
    _say(f"one model to {len(FLEET_TARGETS)} accounts, each with its own target stack")
    to_accounts = fan_out_to_accounts(cloud)
    import_stats = cloud.control("lambda", "stats", function_name=None)["functions"]
    init_ms = {arn.split(":")[6]: stats["init_durations_ms"][:5]
               for arn, stats in import_stats.items()}
    today_source, learned_source = copier.create_classifiers("bench-series", 2)
    _say(f"poll schedules, today's then learned: {SERIES_WAVES} waves of {polling.WAVE_COPIES} "
         f"imports of {polling.SERIES_IMPORT_S:.0f} s ± {polling.SERIES_SPREAD:.0%} each")
    series = polling.compare_schedules(copier, today_source, learned_source, SERIES_WAVES, _say)
    _say("one copy on the learned schedule")
    single_learned = single_copy(copier, "bench-single-learned")
    first, cap = 15 // DEFAULTS_SCALE, 120 // DEFAULTS_SCALE
    _say(f"the template's default poll settings / {DEFAULTS_SCALE}: first {first} s, cap {cap} s")
    scaled = Copier.for_cloud(cloud, pipeline.deploy_pipeline(cloud, target_overrides={
        "ImportPollFirstSeconds": str(first), "ImportPollMaxSeconds": str(cap)}))
    defaults = polling.compare_schedules(scaled, today_source, learned_source, 1, _say,
                                         run_name=f"div{DEFAULTS_SCALE}-")
    return {"single": single, "one_to_many": one_to_many, "many_to_one": many_to_one,
            "to_accounts": to_accounts, "in_cloud_init_ms": init_ms, "series": series,
            "single_learned": single_learned,
            "defaults_scaled": defaults}


def series_metrics(prefix: str, series: dict[str, polling.Series], lag_target: float | None
                   ) -> list[Metric]:
    """Learned against today's, measured in the same run: lag as a fraction of each import,
    Describe calls per copy (the learned schedule may make no more than today's)."""
    today, learned = series["today"].summary, series["learned"].summary
    rows = [Metric(f"{prefix}.today.lag_fraction", round(today.lag_fraction_mean, 4), None,
                   "info", note=f"mean lag {today.lag_s_mean:.2f} s, max "
                                f"{today.lag_fraction_max:.3f}, {today.copies} copies"),
            Metric(f"{prefix}.today.describes_per_copy", today.describes_per_copy, None, "info")]
    lag_note = (f"mean lag {learned.lag_s_mean:.2f} s, max {learned.lag_fraction_max:.3f}, "
                f"{learned.copies} copies")
    rows.append(Metric(f"{prefix}.learned.lag_fraction", round(learned.lag_fraction_mean, 4),
                       lag_target, "<=" if lag_target is not None else "info", note=lag_note))
    rows.append(Metric(f"{prefix}.learned.describes_per_copy", learned.describes_per_copy,
                       today.describes_per_copy, note="target: today's, same run"))
    return rows


# ---------------------------------------------------------------- metrics

def metrics_of(cloud_run: dict[str, Any], cold: dict[str, float],
               packages: dict[str, float | None], package_error: str | None) -> list[Metric]:
    single = cloud_run["single"]
    minimum = minimum_calls_per_copy(IMPORT_S, 0.0, TRAINING_POLL, IMPORT_POLL)
    actual = by_service(single["calls"])
    rows = [Metric(f"api_calls_per_copy.{service}", actual.get(service, 0), fewest,
                   "within", 2, note=f"minimum {fewest}")
            for service, fewest in minimum.by_service.items()]
    rows.append(Metric("overhead_ratio", round(overhead_ratio(single["seconds"], IMPORT_S), 3),
                       0.10, note=f"copy {single['seconds']:.1f} s, emulated {IMPORT_S:.0f} s"))
    rows.append(Metric("detection_lag_s", round(single["detection_lag_s"], 2), IMPORT_POLL[1],
                       unit="s", note="copy TRAINED -> execution end; cap ImportPollMaxSeconds"))
    learned = cloud_run["single_learned"]
    rows.append(Metric("overhead_ratio.learned",
                       round(overhead_ratio(learned["seconds"], IMPORT_S), 3), 0.10,
                       note=f"copy {learned['seconds']:.1f} s, model type's durations known"))
    rows.append(Metric("detection_lag_s.learned", round(learned["detection_lag_s"], 2),
                       IMPORT_POLL[0], unit="s",
                       note="copy TRAINED -> execution end; ImportPollFirstSeconds"))
    rows += series_metrics("series", cloud_run["series"], 0.03)
    rows += series_metrics(f"defaults_div{DEFAULTS_SCALE}", cloud_run["defaults_scaled"], None)
    rows.append(Metric("cold_start_ratio", round(ratio(cold["handler_s"], cold["boto3_s"]), 2),
                       1.3, note=f"import_model.app {cold['handler_s'] * 1000:.0f} ms, "
                                 f"boto3 {cold['boto3_s'] * 1000:.0f} ms"))
    for label, run in (("one_to_many", cloud_run["one_to_many"]),
                       ("many_to_one", cloud_run["many_to_one"])):
        rows.append(Metric(f"concurrent_success.{label}", run["succeeded"], run["copies"], "==",
                           note=", ".join(f"{n}x {why}" for why, n in run["failures"].items())))
        wall_ratio = round(ratio(run["wall_s"], single["seconds"]), 2) if run["wall_s"] else None
        rows.append(Metric(f"concurrent_wall_ratio.{label}", wall_ratio, 2.0,
                           note=f"{run['wall_s']:.1f} s for {run['copies']}" if run["wall_s"]
                           else "no copy stopped"))
    fleet = cloud_run["to_accounts"]
    rows.append(Metric("to_accounts_trained", fleet["trained"], fleet["accounts"], "==",
                       note=f"one execution, {fleet['accounts']} accounts, each its own stack"
                       + (f"; {fleet['status']} {fleet['error'] or ''}"
                          if fleet["status"] != "SUCCEEDED" else "")))
    waves = math.ceil(fleet["accounts"] / fleet["max_concurrent_targets"])
    fleet_ratio = round(ratio(fleet["wall_s"], single["seconds"]), 2) if fleet["wall_s"] else None
    rows.append(Metric("to_accounts_wall_ratio", fleet_ratio, float(waves),
                       note=f"{fleet['wall_s']:.1f} s; MaxConcurrentTargets "
                            f"{fleet['max_concurrent_targets']} = {waves} waves"
                       if fleet["wall_s"] else "the execution did not stop"))
    for function, size in packages.items():
        # No target was set for size; Lambda's limit for an unzipped package is 250 MB and
        # 50 MB zipped for a direct upload.
        rows.append(Metric(f"package_mb.{function}", size, 50.0, unit="MB",
                           note=package_error or "" if size is None else "zipped"))
    return rows


def main() -> int:
    started = time.monotonic()
    try:
        with private_cloud() as cloud:
            cloud_run = cloud_measurements(cloud)
    except CopyBroken as error:
        print(f"bench failed: the pipeline broke: {error}", file=sys.stderr)
        return 1
    _say("cold start: fresh interpreters importing import_model.app and boto3")
    cold = cold_start.measure()
    heaviest = cold_start.top_imports()
    init_parts = cold_start.breakdown()
    _say("deployment packages (make -C functions build-<Function>)")
    packages, package_error = packaging.package_sizes_mb()
    metrics = metrics_of(cloud_run, cold, packages, package_error)
    print()
    print(render_table(metrics))
    print()
    print("import_model.app init, heaviest parts (ms): "
          + ", ".join(f"{name} {ms:.0f}" for name, ms in heaviest))
    print("import_model.app init by stage (median ms, ratio to bare boto3):")
    for part in init_parts:
        print(f"  {part['stage']:<76} {part['ms']:>7} ms  {part['ratio']:.2f}")
    for line in missed_lines(metrics):
        print(line)
    minimum = minimum_calls_per_copy(IMPORT_S, 0.0, TRAINING_POLL, IMPORT_POLL)
    report = {
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "python": sys.version.split()[0], "bench_seconds": round(time.monotonic() - started, 1),
        "settings": {"import_s": IMPORT_S, "training_s_of_copied_model": 0.0,
                     "series": {"import_s": polling.SERIES_IMPORT_S,
                                "spread": polling.SERIES_SPREAD, "waves": SERIES_WAVES,
                                "copies_per_wave": polling.WAVE_COPIES,
                                "defaults_scale": DEFAULTS_SCALE},
                     "polling": pipeline.FAST_POLLING, "concurrent_copies": CONCURRENT_COPIES,
                     "throttle_probability": THROTTLE_PROBABILITY},
        "metrics": [m.as_dict() for m in metrics],
        "api_calls_per_copy": {"by_service": by_service(cloud_run["single"]["calls"]),
                               "by_operation": cloud_run["single"]["calls"]},
        "min_api_calls_per_copy": {"by_service": minimum.by_service,
                                   "by_operation": minimum.by_operation},
        "single_copy": cloud_run["single"], "single_copy_learned": cloud_run["single_learned"],
        "poll_series": {name: {label: s.as_dict() for label, s in series.items()}
                        for name, series in (("bench", cloud_run["series"]),
                                             ("defaults_scaled", cloud_run["defaults_scaled"]))},
        "one_to_many": cloud_run["one_to_many"],
        "many_to_one": cloud_run["many_to_one"], "to_accounts": cloud_run["to_accounts"],
        "cold_start": {**cold, "heaviest_imports_ms": heaviest, "by_stage": init_parts,
                       "in_cloud_init_ms": cloud_run["in_cloud_init_ms"]},
        "package_mb": packages, "package_error": package_error,
    }
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(report, indent=2, default=str) + "\n")
    _say(f"wrote {RESULTS} in {report['bench_seconds']:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
