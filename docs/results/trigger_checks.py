"""Times the scheduler's trigger checks (``BehaviorScheduler._flipped``) for 500 NPCs over 600 updates of the
behavior bench's world, and prints the median and p99 in ms (docs/benchmarks.md, "Trigger checks worked
out once per name"). ``python docs/results/trigger_checks.py [CHECKOUT]``: CHECKOUT is another checkout of
the repository to time instead of the installed one (an editable install, as README's set-up makes),
e.g. ``git worktree add ../before 398e7df``.
"""

import sys
import time

import numpy as np

if len(sys.argv) > 1:  # point the editable install at another checkout
    from pathlib import Path

    import __editable___anisync_0_1_0_finder as finder

    installed = str(Path(finder.MAPPING["anisync"]).parent)
    finder.MAPPING.update({name: path.replace(installed, sys.argv[1].rstrip("/"), 1)
                           for name, path in finder.MAPPING.items()})

from anisync.behavior.bench import _world  # noqa: E402
from anisync.behavior.scheduler import BehaviorScheduler  # noqa: E402

durations = []
flipped = BehaviorScheduler._flipped


def timed(self, *arguments):
    started = time.perf_counter()
    result = flipped(self, *arguments)
    durations.append(time.perf_counter() - started)
    return result


BehaviorScheduler._flipped = timed
runtime, script = _world(500, BehaviorScheduler(), 0)
for step in range(720):
    if step % 60 == 0:
        script.schedule_second(runtime.time)
    runtime.update(1 / 60)
measured = 1e3 * np.array(durations[120:])  # after 2 s of warm-up, as the bench
print(f"{sys.modules['anisync'].__file__}: trigger checks per update at 500 NPCs, median "
      f"{np.median(measured):.2f} ms, p99 {np.percentile(measured, 99):.2f} ms")
