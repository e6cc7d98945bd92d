#!/usr/bin/env python3
"""Tenant move memory: starts `thaiyyal serve` (release build) on a temporary directory, fills one
tenant with executions (each with an input and a result of a few KiB), and after each round exports
the tenant with `thaiyyal tenant export --with-executions` and imports the archive into a fresh data
directory, printing the archive's size and each command's time and peak resident memory. Flat
memory as the tenant grows means both commands stream. Talks only to its own Unix socket and stops
by itself.

Usage: Benchmarks/tenant-move-memory.py [--binary .build/release/thaiyyal] [--rounds 1000,10000]
Needs the Python client: pip install ./clients/python
"""
import argparse
import os
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "clients", "python"))
from thaiyyal_client import Client  # noqa: E402

PASSWORD = "a long enough password"
TEXT = "x" * 2000
DEFINITION = (
    '{"nodes": [{"id": "t", "data": {"text": "%s"}}, {"id": "u", "data": {"text_op": "uppercase"}}],'
    ' "edges": [{"source": "t", "target": "u"}]}' % TEXT
)


def measured(arguments):
    """Runs a command; returns its seconds and peak resident memory (MiB)."""
    started = time.time()
    process = subprocess.Popen(arguments, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(process.pid, 0)
    if status != 0:
        raise SystemExit(f"{arguments[1:3]} failed: {process.stderr.read().decode()}")
    return time.time() - started, usage.ru_maxrss / 1024


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--binary", default=".build/release/thaiyyal")
    parser.add_argument("--rounds", default="1000,10000", help="executions held at each measurement")
    args = parser.parse_args()
    targets = [int(n) for n in args.rounds.split(",")]
    with tempfile.TemporaryDirectory(prefix="thy-move-", dir="/tmp") as directory:
        data = os.path.join(directory, "data")
        path = os.path.join(directory, "s.sock")
        server = subprocess.Popen(
            [args.binary, "serve", "--data-dir", data, "--socket", path, "--log-level", "error"],
            stderr=subprocess.DEVNULL,
        )
        try:
            for _ in range(400):
                if os.path.exists(path):
                    break
                time.sleep(0.05)
            operator = Client.unix(path)
            operator.tenants.create_tenant(
                slug="big", name="Big", owner_email="o@big.example", owner_username="owner",
                owner_password=PASSWORD,
            )
            from thaiyyal_client._proto.thaiyyal.v1 import tenant_pb2
            update = tenant_pb2.UpdateTenantRequest()
            update.tenant.slug = "big"
            limits = update.tenant.limit_overrides
            limits.max_executions_per_day = -1
            limits.max_storage_bytes = -1
            limits.rate_limit_per_second = 100000
            limits.rate_limit_burst = 100000
            limits.max_queued_executions = -1
            update.update_mask.paths.append("limit_overrides")
            operator.tenants.update_tenant(update)
            owner = Client.unix(path)
            owner.login("big", "owner", PASSWORD)
            flow = owner.workflows.create_workflow(name="text", definition_json=DEFINITION)
            done = 0
            print("executions  archive MiB  export s  export MiB  import s  import MiB")
            for target in targets:
                lock = threading.Lock()
                remaining = [target - done]

                def work():
                    while True:
                        with lock:
                            if remaining[0] <= 0:
                                return
                            remaining[0] -= 1
                        owner.executions.execute_workflow(
                            workflow_id=flow.id, input_json='{"note": "%s"}' % TEXT[:1000]
                        )

                threads = [threading.Thread(target=work) for _ in range(8)]
                for thread in threads:
                    thread.start()
                for thread in threads:
                    thread.join()
                done = target
                archive = os.path.join(directory, f"big-{target}.jsonl")
                export_s, export_mib = measured(
                    [args.binary, "tenant", "export", "big", "-o", archive, "--with-executions",
                     "--with-password-hashes", "--data-dir", data]
                )
                fresh = os.path.join(directory, f"fresh-{target}")
                subprocess.run([args.binary, "migrate", "--data-dir", fresh], check=True,
                               stdout=subprocess.DEVNULL)
                import_s, import_mib = measured(
                    [args.binary, "tenant", "import", archive, "--data-dir", fresh]
                )
                size = os.path.getsize(archive) / 1048576
                print(f"{target:10d}  {size:11.1f}  {export_s:8.2f}  {export_mib:10.1f}  "
                      f"{import_s:8.2f}  {import_mib:10.1f}")
            assert server.poll() is None, "the server exited"
        finally:
            server.terminate()
            server.wait(timeout=30)


if __name__ == "__main__":
    main()
