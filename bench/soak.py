"""The soak campaign over many seeds (issue 8; the campaign itself: tidemark/soak/).

Each seed runs in a fresh local runtime: set up, --seconds of workload under faults, settle, close
out with a reconcile and a partial sync per channel, check. Prints each seed's report, and merges
soak.seeds_run, soak.seeds_converged, soak.max_divergence and soak.faults_injected (all seeds)
into bench/results.json. A seed whose campaign breaks before its checks (a setup job that never
ends, say) counts as run and not converged, with why, and the next seeds run. Exits 1 unless
every seed converged.

    python bench/soak.py                         # 20 seeds (1..20) of 75 s
    python bench/soak.py --seeds 3 --seconds 300 --first-seed 101
"""

from __future__ import annotations

import argparse
import sys
import time
import traceback
from collections import Counter

from results import merge  # bench/ is on the path: scripts run as `python bench/NAME.py`

from tidemark.soak import SoakConfig, SoakReport, captured_logs, run, soak_runtime


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--seeds", type=int, default=20, help="how many seeds (default 20)")
    parser.add_argument("--first-seed", type=int, default=1)
    parser.add_argument("--seconds", type=float, default=75.0, help="workload seconds a seed (default 75)")
    parser.add_argument("--skus", type=int, default=40, help="listings in master and each sandbox")
    parser.add_argument("--rate", type=float, default=3.0, help="workload actions a second")
    parser.add_argument("--no-merge", action="store_true", help="print only; leave bench/results.json")
    arguments = parser.parse_args()

    reports: list[SoakReport] = []
    broken: dict[int, str] = {}  # seeds whose campaign could not run to its checks, and why
    for seed in range(arguments.first_seed, arguments.first_seed + arguments.seeds):
        config = SoakConfig(seed=seed, seconds=arguments.seconds, skus=arguments.skus, rate=arguments.rate)
        started = time.monotonic()
        try:
            with soak_runtime(config) as runtime, captured_logs() as logs:
                report = run(runtime, config, logs, say=lambda line: print(line, flush=True))
        except Exception as error:  # a seed that breaks is a finding; the next seeds still run
            broken[seed] = f"{type(error).__name__}: {error}"
            print(f"seed {seed}: BROKEN before its checks: {traceback.format_exc()}", flush=True)
            continue
        reports.append(report)
        print("\n".join(report.lines()), flush=True)
        print(f"seed {seed}: {time.monotonic() - started:.0f} s in all", flush=True)

    faults: Counter[str] = Counter()
    for report in reports:
        faults.update(report.faults)
    converged = sum(report.converged for report in reports)
    figures = {
        "soak.seeds_run": len(reports) + len(broken),
        "soak.seeds_converged": converged,
        "soak.max_divergence": max((len(report.divergence) for report in reports), default=0),
        "soak.faults_injected": sum(faults.values()),
    }
    print(f"soak: {converged} of {len(reports)} seeds converged; {figures}", flush=True)
    print("  faults by kind, all seeds: " + ", ".join(f"{k} {n}" for k, n in sorted(faults.items())))
    for seed, why in broken.items():
        print(f"  seed {seed} broke before its checks (not converged): {why}")
    if not arguments.no_merge:
        merge(figures)
    return 0 if converged == figures["soak.seeds_run"] else 1


if __name__ == "__main__":
    sys.exit(main())
