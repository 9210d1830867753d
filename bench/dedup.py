#!/usr/bin/env python3
"""The duplicate index's memory and cost as it fills: RSS and add/probe microseconds.

For each size (``--sizes``) a fresh process builds ``FingerprintIndex`` with the default
config (``max_fingerprints`` 1,000,000, 10 bands x 3 rows), adds that many synthetic
fingerprints (random signatures, facts and exact hashes; 60-character uris; 0.6 s apart,
so 1 M span the 7-day window) and then probes 2,000: half near copies of held ones (5% of
the signature changed, the same facts: each should match), half unrelated. It prints the
resident memory the index added (VmRSS after minus before building it), the index's own
count (``nbytes`` where the code has it), and add / probe microseconds per call (median,
p99) at that fill. ``--root`` imports the code from another checkout (e.g. main's),
so that the old and the new are measured side by side in one run:

    .venv/bin/python bench/dedup.py --sizes 0 12 10000 100000 1000000 --root ../main --root .
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import time
from array import array
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
T0 = 1_900_000_000_000
PROBES = 2000


def rss_kb() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def one(size: int) -> dict[str, object]:
    """Fill one index to ``size`` in this process; the figures as a dict."""
    from pipeline.stories.dedup import MAX_FACTS, DedupConfig, Entry, FingerprintIndex
    from pipeline.stories.fingerprint import PERM

    rng = random.Random(size)

    def entry(n: int) -> Entry:
        facts = sorted({rng.getrandbits(16) for _ in range(rng.randint(0, MAX_FACTS))})
        uri = f"urn:wirefeed:bench:story:{n:012d}:{rng.getrandbits(64):016x}"[:60].ljust(60, "0")
        signature = rng.randbytes(PERM)
        return Entry(uri, T0 + 600 * n, rng.getrandbits(64), signature, b"".join(f.to_bytes(2, "big") for f in facts))

    entry(0)  # warm-up: the random module, the bytes of an entry
    adds = array("d", bytes(8 * size))  # written before the baseline: not the index's memory
    before = rss_kb()
    index = FingerprintIndex(DedupConfig())
    empty = rss_kb()
    held: list[Entry] = []
    keep_every = max(1, size // PROBES)
    for n in range(size):
        e = entry(n)
        start = time.perf_counter()
        index.add(e)
        adds[n] = time.perf_counter() - start
        if n % keep_every == 0 and len(held) < PROBES // 2:
            held.append(e)
    full = rss_kb()
    probes: list[float] = []
    matched = 0
    now = T0 + 600 * size + 1000
    for n in range(PROBES):
        if n % 2 and held:
            old = held[(n // 2) % len(held)]
            sig = bytearray(old.signature)
            for at in rng.sample(range(PERM), PERM // 20):
                sig[at] ^= 0x5A
            e = Entry(f"urn:wirefeed:bench:probe:{n}", now, rng.getrandbits(64), bytes(sig), old.facts)
        else:
            e = entry(size + n)
            e = Entry(e.uri, now, e.exact, e.signature, e.facts)
        start = time.perf_counter()
        found = index.probe(e)
        probes.append(time.perf_counter() - start)
        matched += found is not None
    adds = array("d", sorted(adds))
    probes.sort()

    def us(values: Sequence[float], q: float) -> float | None:
        return round(values[min(len(values) - 1, int(q * len(values)))] * 1e6, 1) if values else None

    nbytes = getattr(index, "nbytes", None)
    return {
        "size": size,
        "rss_empty_mb": round((empty - before) / 1024, 1),
        "rss_mb": round((full - before) / 1024, 1),
        "nbytes_mb": round(nbytes() / 2**20, 1) if nbytes else None,
        "add_us_median": us(adds, 0.5),
        "add_us_p99": us(adds, 0.99),
        "add_us_mean": round(statistics.fmean(adds) * 1e6, 1) if adds else None,
        "add_ms_max": round(adds[-1] * 1e3, 1) if adds else None,
        "probe_us_median": us(probes, 0.5),
        "probe_us_p99": us(probes, 0.99),
        "near_copies_matched": f"{matched}/{PROBES // 2 if held else 0}",
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", type=int, nargs="+", default=[0, 12, 10_000, 100_000, 1_000_000])
    ap.add_argument("--root", action="append", help="checkout to import pipeline from (repeatable)")
    ap.add_argument("--one", type=int, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.one is not None:
        print(json.dumps(one(args.one)))
        return
    roots = [Path(r).resolve() for r in (args.root or [str(ROOT)])]
    print(f"load average {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    print(
        f"{'checkout':<14} {'fingerprints':>12} {'RSS MB':>7} {'(empty)':>7} {'nbytes MB':>9} "
        f"{'add us p50/p99/mean':>20} {'slowest add ms':>14} {'probe us p50/p99':>17} matched"
    )
    for size in args.sizes:
        for root in roots:
            env = dict(os.environ, PYTHONPATH=str(root))
            out = subprocess.run(
                [sys.executable, __file__, "--one", str(size)], env=env, check=True, capture_output=True, text=True
            ).stdout
            r = json.loads(out.strip().splitlines()[-1])
            add = f"{r['add_us_median']}/{r['add_us_p99']}/{r['add_us_mean']}" if size else "-"
            probe = f"{r['probe_us_median']}/{r['probe_us_p99']}"
            print(
                f"{root.name:<14} {size:>12,} {r['rss_mb']:>7} {r['rss_empty_mb']:>7} {r['nbytes_mb']!s:>9} "
                f"{add:>20} {r['add_ms_max']!s:>14} {probe:>17} {r['near_copies_matched']}",
                flush=True,
            )


if __name__ == "__main__":
    main()
