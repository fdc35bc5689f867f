"""``python -m bench`` (full run, writes ``bench/results.md``) or ``python -m bench --quick`` (CI).

A figure that cannot run here (a module missing, no Chromium, no PostgreSQL URL) is reported
with the reason instead of aborting the run.  A figure that fails — it raises, or it runs past
its time budget (``--figure-timeout``) — is reported the same way, as a figure that says
``failed:`` or ``timed out:``, and the run goes on; the exit status stays 0 because a benchmark
measures, it does not judge (issue 27: one slow figure on a busy CI machine failed the build).
The failures are listed at the end of the output and in the Markdown.
"""
from __future__ import annotations

import argparse
import signal
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from pathlib import Path

from bench import (
    fig_app,
    fig_assign,
    fig_browser,
    fig_cli,
    fig_limits,
    fig_map,
    fig_peers,
    fig_running,
    fig_store,
    fig_switch,
)
from bench.core import Figure, machine_info, render_markdown, render_text

RESULTS = Path(__file__).resolve().parent / "results.md"
FIGURES = ("map", "rerun", "assign", "writers", "browser", "cli", "limits", "peers", "running", "switch")


def _plan(quick: bool) -> dict[str, Callable[[], list[Figure]]]:
    ns = [45, 1_000] if quick else [45, 1_000, 10_000, 100_000]
    repeats = 1 if quick else 3

    def fig_maps() -> list[Figure]:
        raw = fig_map.measure(ns, repeats=repeats, naive_max=10_000)
        return [fig_map.figure_build(raw), fig_map.figure_bytes(raw)]

    def rerun() -> list[Figure]:
        return [fig_app.figure(fig_app.measure([1_000] if quick else [1_000, 10_000], repeats=1 if quick else 2))]

    def assign() -> list[Figure]:
        n = 100_000 if quick else 1_000_000
        return [fig_assign.figure(fig_assign.measure(n, 2_000 if quick else 5_000, repeats=repeats))]

    def writers() -> list[Figure]:
        attempts = 25 if quick else 150
        return [fig_store.figure(fig_store.measure(sites=200, hot=20, attempts_per_writer=attempts))]

    def browser() -> list[Figure]:
        why_not = fig_browser.available()
        if why_not:
            return [Figure(key="6 browser", title="6. Time until markers are visible in headless Chromium", notes=[f"not run: {why_not}"])]
        if quick:
            raw = fig_browser.measure([1_000], naive_ns=[1_000], timeout_s=60)
        else:
            raw = fig_browser.measure([1_000, 10_000, 100_000], naive_ns=[1_000, 10_000], timeout_s=180)
        return [fig_browser.figure(raw)]

    def limits() -> list[Figure]:
        return [fig_limits.figure(fig_limits.measure())]

    def cli() -> list[Figure]:
        return [fig_cli.figure(fig_cli.measure(repeats=3 if quick else 7))]

    def peers() -> list[Figure]:
        if quick:
            print("   peers: --quick builds the peer maps at 1,000 sites only; their browser runs need npm "
                  "packages (deck.gl, leaflet.markercluster) and are skipped", flush=True)
            return [fig_peers.figure(fig_peers.measure([1_000], repeats=1, browser_runs=1, in_browser=False))]
        return [fig_peers.figure(fig_peers.measure([1_000, 10_000, 100_000], repeats=3, browser_runs=2, in_browser=True))]

    def running() -> list[Figure]:
        # --quick: one cold start, one warm load and one cycle of filter changes per app
        if quick:
            raw = fig_running.measure(colds=1, loads=1, cycles=1)
        else:
            raw = fig_running.measure(colds=1, loads=10, cycles=2)  # ≥ 10 samples of each measure
        return [fig_running.figure(raw), fig_running.phases_figure(raw)]

    def switch() -> list[Figure]:
        return [fig_switch.figure(fig_switch.measure(repeats=3 if quick else 9))]

    return {"switch": switch, "running": running, "peers": peers, "map": fig_maps, "rerun": rerun, "assign": assign, "writers": writers, "browser": browser, "cli": cli, "limits": limits}


class FigureTimeout(Exception):
    """A figure ran past its time budget."""


def _run_figure(key: str, build: Callable[[], list[Figure]], budget_s: float) -> tuple[list[Figure], str | None]:
    """(the figures, None) or (a figure saying what went wrong, a one-line reason)."""
    def expired(_signum: int, _frame: object) -> None:
        raise FigureTimeout(f"timed out after {budget_s:.0f} s")

    use_alarm = budget_s > 0 and hasattr(signal, "SIGALRM")
    previous = signal.signal(signal.SIGALRM, expired) if use_alarm else None
    if use_alarm:
        signal.setitimer(signal.ITIMER_REAL, budget_s)
    try:
        return build(), None
    except FigureTimeout as exc:
        reason = f"timed out: {exc}"
    except Exception:  # noqa: BLE001 - one broken figure must not hide the others
        tb = traceback.format_exc()
        print(tb, file=sys.stderr)
        reason = "failed: " + tb.strip().splitlines()[-1]
    finally:
        if use_alarm:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, previous)
    return [Figure(key=key, title=f"{key}: {reason.split(':')[0]}", notes=[reason])], reason


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small N and one repeat (a minute or two; for CI)")
    parser.add_argument("--only", choices=FIGURES, action="append", help="run only this figure (repeatable)")
    parser.add_argument("--figure-timeout", type=float, default=None, metavar="S",
                        help="time budget of one figure in seconds (default: 900 with --quick, none otherwise; 0 = none)")
    parser.add_argument("--out", type=Path, help="where to write the Markdown (default: bench/results.md for a full "
                        "run of every figure; a temporary file otherwise)")
    args = parser.parse_args(argv)
    import streamlit.logger  # AppTest outside `streamlit run` warns on every call; the figures say what matters

    streamlit.logger.set_log_level("error")

    plan = _plan(args.quick)
    chosen = args.only or list(FIGURES)
    budget = args.figure_timeout if args.figure_timeout is not None else (900.0 if args.quick else 0.0)
    figures: list[Figure] = []
    failures: list[str] = []
    started = time.perf_counter()
    for key in chosen:
        t0 = time.perf_counter()
        print(f"-- running {key} …", flush=True)
        produced, reason = _run_figure(key, plan[key], budget)
        if reason:
            failures.append(f"{key}: {reason}")
        for fig in produced:
            print(render_text(fig), flush=True)
            print(f"   ({time.perf_counter() - t0:.0f} s)\n", flush=True)
        figures.extend(produced)

    mode = "quick" if args.quick else "full"
    command = "python -m bench" + (" --quick" if args.quick else "") + "".join(f" --only {k}" for k in (args.only or []))
    out = args.out
    if out is None:
        out = RESULTS if (not args.quick and not args.only) else Path(tempfile.gettempdir()) / f"wufei-bench-{mode}.md"
    out.write_text(render_markdown(figures, machine_info(), mode=mode, command=command), encoding="utf-8")
    print(f"wrote {out} ({time.perf_counter() - started:.0f} s in all)")
    if failures:
        print(f"{len(failures)} figure(s) reported without a result (see above):", *failures, sep="\n  ", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
