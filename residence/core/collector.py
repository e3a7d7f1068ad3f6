"""Python's cyclic garbage collector in this project's long-running processes (a server's worker processes, the task
worker), set once they have loaded what they keep.

The collector looks at the young objects every 700 new ones, and now and then at every object of the process:
Django, the URL patterns, the translations, the rules, some 350,000 objects that live as long as the process. A batch
of 1,000 check-ins makes tens of thousands of objects, and its collections cost 33 µs an item, a quarter of the
batch's time in Python, mostly walking those 350,000 again. `collector_tune` moves what is loaded by then out of the
collector's sight (`gc.freeze`): 8 µs an item. The thresholds stay Python's: raising the first to 20,000 took the
rest off the batches but made each pause ten times longer (10 ms, every thread of the process stopped), which the
single declarations' p99 showed."""

from __future__ import annotations

import gc


def collector_tune() -> None:
    """Freeze what the process holds now (see the module's note)."""
    gc.collect()
    gc.freeze()
