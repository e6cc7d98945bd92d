#!/usr/bin/env python3
"""Bounded soak with one hostile tenant: starts `thaiyyal serve` (release build) in a temporary
directory with a Unix socket and a loopback TCP port, then for `--minutes`:

- a well-behaved tenant creates, reads and lists workflows and runs executions, steadily;
- a hostile free-plan tenant keeps its queue full of CPU burners and memory bombs;
- strangers flood TCP with anonymous calls and bad tokens, and logins with wrong passwords.

Every `--interval` seconds it prints the server's resident memory, the good tenant's latency
(p50, p99) and calls, and the errors every party saw, by code or reason. At the end: peak and final
memory, and whether the good tenant ever saw an error. Talks only to its own socket and 127.0.0.1,
and stops by itself.

Needs the Python client: `.build-python/bin/python Benchmarks/soak.py` after `scripts/test` made
that venv (or `pip install ./clients/python`).

Usage: Benchmarks/soak.py [--binary .build/release/thaiyyal] [--minutes 3] [--interval 10]
"""
import argparse
import collections
import os
import random
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "clients", "python"))
from thaiyyal_client import Client, RPCError, common_pb2  # noqa: E402

PASSWORD = "a long enough password"
SUM = ('{"nodes": [{"id": "a", "data": {"value": 2}}, {"id": "b", "data": {"value": 3}},'
       ' {"id": "s", "data": {"op": "add"}}], "edges": [{"source": "a", "target": "s"},'
       ' {"source": "b", "target": "s"}]}')
BURNER = ('{"nodes": [{"id": "t", "type": "text_input", "data": {"text": "a"}},'
          ' {"id": "r", "type": "text_operation", "data": {"text_op": "repeat", "repeat_n": 1048576}},'
          ' {"id": "n", "type": "range", "data": {"start": 0, "end": 9998}},'
          ' {"id": "f", "type": "filter", "data": {"condition": "node.r.includes(\'b\')"}}],'
          ' "edges": [{"source": "t", "target": "r"}, {"source": "r", "target": "n"},'
          ' {"source": "n", "target": "f"}]}')
BOMB = ('{"nodes": [{"id": "t", "type": "text_input", "data": {"text": "a"}},'
        ' {"id": "r", "type": "text_operation", "data": {"text_op": "repeat", "repeat_n": 1048576}},'
        ' {"id": "x", "type": "expression", "data": {"expression": "input.replace(\'a\', input)"}}],'
        ' "edges": [{"source": "t", "target": "r"}, {"source": "r", "target": "x"}]}')


def rss_mib(pid):
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS"):
                return int(line.split()[1]) / 1024
    return -1.0


class Tally:
    """Thread-safe counters and latencies, taken and reset once per interval."""

    def __init__(self):
        self.lock = threading.Lock()
        self.counts = collections.Counter()
        self.latencies = []

    def add(self, key, latency=None):
        with self.lock:
            self.counts[key] += 1
            if latency is not None:
                self.latencies.append(latency)

    def take(self):
        with self.lock:
            counts, latencies = self.counts, self.latencies
            self.counts, self.latencies = collections.Counter(), []
            return counts, latencies


def outcome(call):
    try:
        call()
        return "OK"
    except RPCError as error:
        return error.reason or error.code_name
    except Exception as error:  # noqa: BLE001 - a broken connection is an outcome too
        return type(error).__name__


def good_tenant(client, tally, stop):
    workflows = []
    while not stop.is_set():
        start = time.perf_counter()
        choice = random.random()
        if choice < 0.2 or not workflows:
            def create():
                workflows.append(client.workflows.create_workflow(
                    name=f"w{random.getrandbits(48)}", definition_json=SUM).id)
                if len(workflows) > 50:
                    client.workflows.delete_workflow(id=workflows.pop(0))
            result = outcome(create)
        elif choice < 0.6:
            result = outcome(lambda: client.workflows.get_workflow(id=random.choice(workflows)))
        elif choice < 0.8:
            result = outcome(lambda: client.workflows.list_workflows(page_size=20))
        else:
            result = outcome(lambda: client.executions.execute_workflow(
                workflow_id=random.choice(workflows)))
        tally.add(result, time.perf_counter() - start)
        time.sleep(0.01)


def hostile_tenant(client, tally, stop):
    burner = client.workflows.create_workflow(name="burner", definition_json=BURNER).id
    bomb = client.workflows.create_workflow(name="bomb", definition_json=BOMB).id
    while not stop.is_set():
        workflow = random.choice([burner, bomb])
        tally.add(outcome(lambda: client.executions.start_execution(workflow_id=workflow)))
        time.sleep(0.05)


def strangers(port, tally, stop):
    while not stop.is_set():
        with Client.tcp("127.0.0.1", port, token=random.choice([None, "not.a.token"]),
                        tenant="good") as stranger:
            for _ in range(50):
                if stop.is_set():
                    break
                tally.add(outcome(lambda: stranger.workflows.list_workflows()))
        with Client.tcp("127.0.0.1", port) as stranger:
            tally.add(outcome(lambda: stranger.users.login(
                tenant="good", login="owner", password=f"guess {random.getrandbits(32)}")))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--binary", default=".build/release/thaiyyal")
    parser.add_argument("--minutes", type=float, default=3)
    parser.add_argument("--interval", type=float, default=10)
    args = parser.parse_args()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with tempfile.TemporaryDirectory(prefix="thy-soak-", dir="/tmp") as directory:
        path = os.path.join(directory, "s.sock")
        server = subprocess.Popen(
            [args.binary, "serve", "--data-dir", directory, "--socket", path,
             "--tcp", f"127.0.0.1:{port}", "--log-level", "error"],
            stderr=subprocess.DEVNULL,
        )
        stop = threading.Event()
        try:
            for _ in range(200):
                if os.path.exists(path):
                    break
                time.sleep(0.05)
            operator = Client.unix(path)
            clients = {}
            for slug, plan in [("good", common_pb2.PLAN_ENTERPRISE), ("hostile", common_pb2.PLAN_FREE)]:
                operator.tenants.create_tenant(
                    slug=slug, name=slug, plan=plan, owner_email=f"owner@{slug}.io",
                    owner_username="owner", owner_password=PASSWORD)
                clients[slug] = Client.unix(path)
                clients[slug].login(slug, "owner", PASSWORD)
            tallies = {"good": Tally(), "hostile": Tally(), "strangers": Tally()}
            threads = [
                threading.Thread(target=good_tenant, args=(clients["good"], tallies["good"], stop)),
                threading.Thread(target=hostile_tenant,
                                 args=(clients["hostile"], tallies["hostile"], stop)),
                threading.Thread(target=strangers, args=(port, tallies["strangers"], stop)),
            ]
            for thread in threads:
                thread.start()
            start, peak, good_errors = time.monotonic(), 0.0, collections.Counter()
            print(f"start: rss {rss_mib(server.pid):.1f} MiB", flush=True)
            while time.monotonic() - start < args.minutes * 60:
                time.sleep(args.interval)
                rss = rss_mib(server.pid)
                peak = max(peak, rss)
                counts, latencies = tallies["good"].take()
                latencies.sort()
                p50 = latencies[len(latencies) // 2] * 1000 if latencies else 0
                p99 = latencies[int(len(latencies) * 0.99)] * 1000 if latencies else 0
                good_errors.update({k: v for k, v in counts.items() if k != "OK"})
                hostile, _ = tallies["hostile"].take()
                stranger, _ = tallies["strangers"].take()
                print(f"{time.monotonic() - start:6.0f}s rss {rss:7.1f} MiB | good: {sum(counts.values())}"
                      f" calls, p50 {p50:.1f} ms, p99 {p99:.1f} ms, {dict(counts)} | hostile:"
                      f" {dict(hostile)} | strangers: {dict(stranger)}", flush=True)
            stop.set()
            for thread in threads:
                thread.join(timeout=30)
            print(f"end: rss {rss_mib(server.pid):.1f} MiB, peak {peak:.1f} MiB;"
                  f" good tenant errors: {dict(good_errors) or 'none'}")
        finally:
            stop.set()
            server.terminate()
            server.wait(timeout=60)


if __name__ == "__main__":
    main()
