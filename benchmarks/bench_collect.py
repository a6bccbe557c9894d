"""Is `collect` concurrent in fact? Every provider behind a loopback server that adds latency.

A server in its own process replays the demo recordings (the same lookup as `signaldesk demo`)
and sleeps `--latency` seconds before each answer, so a provider's time is mostly waiting, as on
the real network. In one run it measures each provider collected alone (the slowest of them is
the floor for a concurrent collect; their sum is what a sequential collect would take) and then
all of them in one `collect`. Target: the whole collect within 1.2 × the slowest provider alone.
The hosts' politeness intervals are off (as for any loopback server): keyless CoinGecko's 12 s
between calls would make every figure a multiple of that pacing instead of a measure of overlap.

    python benchmarks/bench_collect.py              # 0.2 s per response, 3 runs of the whole collect
    python benchmarks/bench_collect.py --small      # 0.05 s, 1 run: proves the benchmark works (CI)
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import os
import statistics
import sys
import time
from collections.abc import Sequence
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx

TARGET = 1.2
"""The whole collect may take at most this multiple of the slowest provider alone."""


# -- the loopback server (its own process, so its work does not share the client's GIL) ------------
def serve(directory: str, latency: float, ports: Any) -> None:
    """Answer `GET|POST /<host>/<path>?<query>` with the recording of `https://<host>/<path>?<query>`."""
    from signaldesk.recordings import Recordings

    recordings = Recordings(directory)

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, as the real hosts

        def do_GET(self) -> None:  # the http.server hooks' names
            self.answer("GET")

        def do_POST(self) -> None:  # JSON-RPC (ethgas)
            self.answer("POST")

        def answer(self, method: str) -> None:
            host, _, rest = self.path.lstrip("/").partition("/")
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            request = httpx.Request(method, f"https://{host}/{rest}", content=body)
            time.sleep(latency)
            try:
                response = recordings.response(request)
            except httpx.ConnectError:
                self.send_error(404)
                return
            self.send_response(response.status_code)
            for key, value in response.headers.items():
                if key.lower() not in {"content-length", "transfer-encoding"}:
                    self.send_header(key, value)
            self.send_header("Content-Length", str(len(response.content)))
            self.end_headers()
            self.wfile.write(response.content)

        def log_message(self, *args: Any) -> None:
            pass

    class Server(ThreadingHTTPServer):
        daemon_threads = True
        request_queue_size = 256  # the default listen backlog (5) drops the collect's ~60 opening connects

    server = Server(("127.0.0.1", 0), Handler)
    ports.put(server.server_address[1])
    server.serve_forever()


class Loopback(httpx.AsyncBaseTransport):
    """Sends every request to the loopback server, the original host as the first path segment."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.inner = httpx.AsyncHTTPTransport(retries=0)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        target = request.url.copy_with(
            scheme="http", host="127.0.0.1", port=self.port, path=f"/{request.url.host}{request.url.path}"
        )
        forwarded = httpx.Request(
            request.method, target, headers=request.headers, content=request.content, extensions=request.extensions
        )
        return await self.inner.handle_async_request(forwarded)

    async def aclose(self) -> None:
        await self.inner.aclose()


# -- the client side -------------------------------------------------------------------------------
def collect_seconds(port: int, names: Sequence[str]) -> tuple[float, dict[str, str]]:
    """Wall time of one `collect` of `names` (fresh providers and client, clock pinned to the demo
    day); also each provider's status, so a run that silently failed cannot look fast."""
    from signaldesk.clock import pinned_now
    from signaldesk.collect import collect
    from signaldesk.demo import DEMO_NOW
    from signaldesk.http import HttpClient
    from signaldesk.pipeline import select_providers

    providers = select_providers(names)

    async def run() -> Any:
        async with HttpClient(transport=Loopback(port), polite=False) as client:
            client.live = False  # nothing leaves the machine: SEC EDGAR needs no contact, as in the demo
            return await collect(providers, client, as_of=DEMO_NOW.date(), since={p.name: None for p in providers})

    with pinned_now(DEMO_NOW):
        started = time.perf_counter()
        result = asyncio.run(run())
        seconds = time.perf_counter() - started
    return seconds, {o.provider: o.status for o in result.outcomes}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", action="store_true", help="short latency, one run (CI smoke run)")
    parser.add_argument("--latency", type=float, help="seconds the server waits before each answer")
    args = parser.parse_args()
    latency = args.latency if args.latency is not None else (0.05 if args.small else 0.2)
    runs = 1 if args.small else 3

    from signaldesk.demo import DEMO_DIR
    from signaldesk.providers import registry

    ports: Any = multiprocessing.get_context("spawn").Queue()
    server = multiprocessing.get_context("spawn").Process(
        target=serve, args=(str(DEMO_DIR), latency, ports), daemon=True
    )
    server.start()
    try:
        port = ports.get(timeout=60)
        names = sorted(registry())
        collect_seconds(port, names)  # warm-up: imports and first-use caches off the measured runs
        alone: dict[str, float] = {}
        statuses: dict[str, str] = {}
        for name in names:
            alone[name], status = collect_seconds(port, [name])
            statuses.update(status)
        slowest = max(alone, key=alone.__getitem__)
        others = [n for n in names if n != slowest]
        wall = together(port, names, runs, statuses)
        wall_others = together(port, others, runs, statuses)
    finally:
        server.terminate()
    runner_up = max(others, key=alone.__getitem__)
    print(
        f"machine: {os.cpu_count()} cores, Python {sys.version.split()[0]}, load {os.getloadavg()[0]:.1f}; "
        f"latency {latency:g} s per response"
    )
    print("| what | seconds |")
    print("|---|---:|")
    for name in sorted(alone, key=alone.__getitem__, reverse=True):
        print(f"| {name} alone ({statuses[name]}) | {alone[name]:.2f} |")
    print(f"| sequential sum (every provider alone, one after another) | {sum(alone.values()):.2f} |")
    print(f"| slowest provider alone ({slowest}) | {alone[slowest]:.2f} |")
    print(f"| **`collect` of all {len(names)} providers** (median of {runs}) | {wall:.2f} |")
    print(f"| next slowest alone ({runner_up}) | {alone[runner_up]:.2f} |")
    print(f"| `collect` of all but {slowest} (median of {runs}) | {wall_others:.2f} |")
    ratio = wall / alone[slowest]
    print(
        f"\ncollect / slowest = {ratio:.2f} (target ≤ {TARGET}); collect / sequential sum = "
        f"{wall / sum(alone.values()):.2f}; {'met' if ratio <= TARGET else 'NOT met'}. "
        f"Without {slowest}: {wall_others / alone[runner_up]:.2f} × {runner_up} alone"
    )


def together(port: int, names: Sequence[str], runs: int, statuses: dict[str, str]) -> float:
    """Median wall time of `runs` collects of `names`; each provider must end as it did alone."""
    times = []
    for _ in range(runs):
        seconds, status = collect_seconds(port, names)
        times.append(seconds)
        if any(status[n] != statuses[n] for n in names):
            raise SystemExit(f"statuses differ between alone and together: {status} vs {statuses}")
    return statistics.median(times)


if __name__ == "__main__":
    main()
