#!/usr/bin/env python3
"""Peers that never send CONNECT, Debian's mosquitto against `mqtk serve`, in one run on loopback.

    cargo build --release && benches/preauth.py [SECONDS]     (default 15 s per row)

Rows, for each broker with its defaults (mosquitto: `max_connections -1`, as it ships):
  churn   10,000 sockets that never send a byte, each reopened as soon as the broker closes it,
          while a normal client connects every 0.5 s: how many got a CONNACK, the median and
          slowest connect time, the broker's peak RSS.
  huge    four sockets whose CONNECT claims 268,435,455 bytes, then send zeros as fast as they
          can: a normal client's connects as above, and the broker's peak RSS.
Every loop is bounded by SECONDS; every server binds 127.0.0.1.
"""
import asyncio
import os
import resource
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time

SECS = float(sys.argv[1]) if len(sys.argv) > 1 else 15.0
MQTK = os.path.join(os.path.dirname(__file__), "..", "target", "release", "mqtk")
SILENT = 10_000
CONNECT = bytes([0x10, 12, 0, 4]) + b"MQTT" + bytes([4, 2, 0, 60, 0, 0])


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(name, work):
    port = free_port()
    if name == "mosquitto":
        conf = os.path.join(work, "mosquitto.conf")
        with open(conf, "w") as f:
            f.write(f"listener {port} 127.0.0.1\nallow_anonymous true\nmax_connections -1\n")
        cmd = ["mosquitto", "-c", conf]
    else:
        cmd = [MQTK, "serve", "--port", str(port)]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return proc, port
        except OSError:
            time.sleep(0.05)
    proc.kill()
    sys.exit(f"{name} did not listen on {port}")


def peak_rss_mb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmHWM"):
                return int(line.split()[1]) / 1024
    return float("nan")


def connect_once(port):
    """Seconds to a CONNACK, or None when the broker closed or 2 s passed first."""
    start = time.monotonic()
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=2) as s:
            s.sendall(CONNECT)
            ack = b""
            while len(ack) < 4:
                chunk = s.recv(4 - len(ack))
                if not chunk:
                    return None
                ack += chunk
            return time.monotonic() - start if ack[0] == 0x20 and ack[3] == 0 else None
    except OSError:
        return None


def normal_clients(port, until, out):
    """A normal client connecting every 0.5 s, in its own thread so that the attackers'
    event loop cannot delay it."""
    times, refused = [], 0
    while time.monotonic() < until:
        took = connect_once(port)
        if took is None:
            refused += 1
        else:
            times.append(took)
        time.sleep(0.5)
    out.extend([times, refused])


async def silent_socket(port, until):
    """One socket that never sends; reopened whenever the broker closes it."""
    while time.monotonic() < until:
        try:
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
        except OSError:
            await asyncio.sleep(0.1)
            continue
        try:
            await asyncio.wait_for(reader.read(1), max(until - time.monotonic(), 0.01))
        except (OSError, asyncio.TimeoutError):
            pass
        writer.close()


async def huge_connect(port, until):
    """A CONNECT claiming MQTT's largest remaining length, then zeros until closed."""
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
    except OSError:
        return
    writer.write(bytes([0x10, 0xFF, 0xFF, 0xFF, 0x7F, 0, 4]) + b"MQTT" + bytes([4]))
    zeros = bytes(64 * 1024)
    try:
        while time.monotonic() < until:
            writer.write(zeros)
            await asyncio.wait_for(writer.drain(), max(until - time.monotonic(), 0.01))
    except (OSError, asyncio.TimeoutError):
        pass
    writer.close()


async def attack(port, attackers, until):
    await asyncio.gather(*(a(port, until) for a in attackers), return_exceptions=True)


def row(port, attackers):
    until = time.monotonic() + SECS
    out = []
    # The attack is in place for 1.5 s before the first normal client.
    client = threading.Timer(1.5, normal_clients, (port, until, out))
    client.start()
    asyncio.run(attack(port, attackers, until))
    client.join()
    return out


def report(name, label, pid, times, refused):
    ms = sorted(t * 1000 for t in times)
    med = f"{statistics.median(ms):7.1f}" if ms else "      -"
    worst = f"{ms[-1]:7.1f}" if ms else "      -"
    total = len(ms) + refused
    print(f"{label:6} {name:10} {len(ms):3}/{total:<3} answered  median {med} ms  "
          f"slowest {worst} ms  peak RSS {peak_rss_mb(pid):7.1f} MB", flush=True)


def main():
    if not os.access(MQTK, os.X_OK):
        sys.exit("build first: cargo build --release")
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    if hard < SILENT + 1000:
        sys.exit(f"needs {SILENT + 1000} open files, the limit is {hard}")
    rows = {
        "churn": [silent_socket] * SILENT,
        "huge": [huge_connect] * 4,
    }
    with tempfile.TemporaryDirectory() as work:
        for label, attackers in rows.items():
            for name in ["mosquitto", "mqtk"]:
                proc, port = start(name, work)
                try:
                    times, refused = row(port, attackers)
                    report(name, label, proc.pid, times, refused)
                finally:
                    proc.kill()
                    proc.wait()


if __name__ == "__main__":
    main()
