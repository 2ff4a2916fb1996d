"""Write a synthetic decisions CSV of an exact row count, streamed a day at a time (bounded memory).

    python benchmarks/generate_decisions.py --rows 5000000 --out benchmarks/data/decisions-5m.csv \
        [--workspace examples/workspace.yml] [--seed 1] [--with-vendor-site] [--naive]

By default the file holds the required columns plus `decision` and `qa_decision`; vendor and site then come
from each queue's config, as in the platform exports the digest benchmark was specified against.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.workspace import load_workspace  # noqa: E402
from handlers.queue_data.generate import write_decisions_csv  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=5_000_000)
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "data" / "decisions-5m.csv")
    parser.add_argument("--workspace", type=Path, default=ROOT / "examples" / "workspace.yml")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--with-vendor-site", action="store_true", help="also write vendor and site columns")
    parser.add_argument("--naive", action="store_true", help="local timestamps without an offset")
    args = parser.parse_args(argv)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    written = write_decisions_csv(
        args.out,
        args.rows,
        load_workspace(args.workspace),
        args.seed,
        naive=args.naive,
        vendor_site=args.with_vendor_site,
    )
    size = args.out.stat().st_size / 1e6
    print(f"wrote {written:,} rows, {size:.0f} MB to {args.out} in {time.perf_counter() - started:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
