"""Python's cyclic garbage collector in this project's long-running processes (a server's worker processes, the task
worker), set once they have loaded everything they keep.

By default the collector looks for cycles every 700 new objects, and every tenth and hundredth time through every
object of the process: Django, the URL patterns, the translations, the rules, some 350,000 objects that live as long
as the process. A batch of 1,000 check-ins makes tens of thousands of objects, so the collector ran some 30 times
a batch, and spent about a quarter of the batch's time in Python walking objects that never die. `collector_tune`
moves what is loaded by then out of the collector's sight (`gc.freeze`) and lets many more new objects gather before
a look (GEN0_THRESHOLD). Cycles are still collected: a batch's garbage is freed within a batch or two."""

from __future__ import annotations

import gc

GEN0_THRESHOLD = 20_000  # new objects between two looks at the youngest generation (Python's default: 700)


def collector_tune() -> None:
    """Freeze what the process holds now and gather more before collecting (see the module's note)."""
    gc.collect()
    gc.freeze()
    _gen0, gen1, gen2 = gc.get_threshold()
    gc.set_threshold(GEN0_THRESHOLD, gen1, gen2)
