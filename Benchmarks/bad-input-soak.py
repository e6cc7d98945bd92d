#!/usr/bin/env python3
"""Bad-input soak: starts `thaiyyal serve` (release build) on a temporary directory, opens
thousands of Unix-socket connections that each send something malformed (random bytes, a frame that
is not a Request, an oversized frame, an even stream id), and prints the server's resident memory
after each round. A flat line means bad input leaks nothing. Talks only to its own Unix socket and
stops by itself.

Usage: Benchmarks/bad-input-soak.py [--binary .build/release/thaiyyal] [--rounds 5] [--per-round 4000]
"""
import argparse
import os
import random
import socket
import struct
import subprocess
import tempfile
import time


def frame(stream_id, data, frame_type=1):
    return struct.pack(">IIBB", len(data), stream_id, frame_type, 0) + data


def bad_input(kind):
    if kind == 0:
        return os.urandom(random.randint(1, 3000))
    if kind == 1:
        return frame(1, b"\x0a\x40abc")  # not a valid ttrpc.Request
    if kind == 2:
        return struct.pack(">IIBB", 5_000_000, 3, 1, 0) + b"x" * 1000  # over 4 MiB
    return frame(2, b"")  # even stream id


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS"):
                return int(line.split()[1])
    return -1


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--binary", default=".build/release/thaiyyal")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--per-round", type=int, default=4000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="thy-soak-", dir="/tmp") as directory:
        path = os.path.join(directory, "s.sock")
        server = subprocess.Popen(
            [args.binary, "serve", "--data-dir", directory, "--socket", path, "--log-level", "error"],
            stderr=subprocess.DEVNULL,
        )
        try:
            for _ in range(100):
                if os.path.exists(path):
                    break
                time.sleep(0.05)
            print(f"start: rss {rss_kib(server.pid)} KiB")
            for round_number in range(1, args.rounds + 1):
                started = time.time()
                for i in range(args.per_round):
                    connection = socket.socket(socket.AF_UNIX)
                    connection.connect(path)
                    connection.sendall(bad_input(i % 4))
                    connection.close()
                time.sleep(0.5)
                print(
                    f"after {round_number * args.per_round} bad connections: "
                    f"rss {rss_kib(server.pid)} KiB ({time.time() - started:.1f} s)"
                )
            assert server.poll() is None, "the server exited"
        finally:
            server.terminate()
            server.wait(timeout=30)


if __name__ == "__main__":
    main()
