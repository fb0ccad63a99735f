#!/usr/bin/env python3
"""How long the longest command stalls: FLUSHALL SYNC against FLUSHALL ASYNC, and KEYS * against
a full SCAN loop, on verdis-server and redis-server side by side.

For each server and size: fills N keys (MSET batches through `redis-cli --pipe`), then measures
the client-observed latency of the command while a second process PINGs in a loop and records
the longest PING round trip (how long another client was stalled).

Usage: scripts/bench-flush.py VERDIS_BINARY [N ...]   (N defaults to 1000000)
Starts both servers on ports 7621/7622 and stops them at the end.
"""

import multiprocessing as mp
import os
import socket
import subprocess
import sys
import time

VPORT, RPORT = 7621, 7622
REPEAT = int(os.environ.get("REPEAT", "3"))


def resp(*args):
    out = [b"*%d\r\n" % len(args)]
    for a in args:
        a = a if isinstance(a, bytes) else str(a).encode()
        out.append(b"$%d\r\n%s\r\n" % (len(a), a))
    return b"".join(out)


class Conn:
    def __init__(self, port):
        self.sock = socket.create_connection(("127.0.0.1", port))
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buf = b""

    def _line(self):
        while b"\r\n" not in self.buf:
            chunk = self.sock.recv(1 << 20)
            if not chunk:
                raise EOFError
            self.buf += chunk
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line

    def _exact(self, n):
        while len(self.buf) < n + 2:
            self.buf += self.sock.recv(1 << 20)
        data, self.buf = self.buf[:n], self.buf[n + 2:]
        return data

    def read(self):
        line = self._line()
        kind, rest = line[:1], line[1:]
        if kind in (b"+", b"-", b":"):
            return rest
        if kind == b"$":
            n = int(rest)
            return None if n < 0 else self._exact(n)
        if kind == b"*":
            return [self.read() for _ in range(int(rest))]
        raise ValueError(line)

    def call(self, *args):
        self.sock.sendall(resp(*args))
        return self.read()


def pinger(port, stop, result):
    """PINGs until `stop` is set; reports the longest round trip in ms."""
    c = Conn(port)
    worst = 0.0
    while not stop.is_set():
        t = time.perf_counter()
        c.call("PING")
        worst = max(worst, time.perf_counter() - t)
        # Leave the CPU to the servers between PINGs (the machine may have only 2 cores).
        time.sleep(0.0002)
    result.put(worst * 1000)


def timed(port, fn):
    """Runs fn(conn) while another process PINGs; returns (fn's ms, worst PING ms, fn's value)."""
    stop, result = mp.Event(), mp.Queue()
    p = mp.Process(target=pinger, args=(port, stop, result))
    p.start()
    time.sleep(0.2)
    c = Conn(port)
    t = time.perf_counter()
    value = fn(c)
    took = (time.perf_counter() - t) * 1000
    time.sleep(0.05)
    stop.set()
    worst = result.get()
    p.join()
    return took, worst, value


def fill(port, n, payload_path):
    with open(payload_path, "rb") as f:
        subprocess.run(["redis-cli", "-p", str(port), "--pipe"], stdin=f, check=True, stdout=subprocess.DEVNULL)
    got = int(Conn(port).call("DBSIZE"))
    assert got == n, (port, got, n)


def payload(n):
    path = f"/tmp/bench-flush-{n}.resp"
    if not os.path.exists(path):
        with open(path, "wb") as f:
            for start in range(0, n, 1000):
                args = ["MSET"]
                for i in range(start, min(n, start + 1000)):
                    args += [f"key:{i:012d}", f"value:{i:012d}:" + "x" * 8]
                f.write(resp(*args))
    return path


def keys_all(c, n):
    """KEYS *: returns (ms to the reply's first byte, i.e. the server's stall, key count). The
    reply is drained by size (every key is 16 bytes) instead of parsed, to keep the client fast."""
    t = time.perf_counter()
    c.sock.sendall(resp("KEYS", "*"))
    data = c.sock.recv(1 << 20)
    first = (time.perf_counter() - t) * 1000
    header = b"*%d\r\n" % n
    total = len(header) + n * len(b"$16\r\n" + b"k" * 16 + b"\r\n")
    got = len(data)
    assert data.startswith(header), data[:20]
    while got < total:
        got += len(c.sock.recv(1 << 20))
    return first, n


def scan_all(c):
    """A full SCAN loop; returns the longest single SCAN call in ms."""
    cursor, worst = b"0", 0.0
    while True:
        t = time.perf_counter()
        cursor, _ = c.call("SCAN", cursor, "COUNT", 1000)
        worst = max(worst, time.perf_counter() - t)
        if cursor == b"0":
            return worst * 1000


def memory(port):
    info = Conn(port).call("INFO", "memory").decode()
    fields = dict(l.split(":", 1) for l in info.splitlines() if ":" in l)
    return int(fields["used_memory_rss"]) // (1 << 20), fields["lazyfree_pending_objects"], fields["lazyfreed_objects"]


def wait_up(port):
    for _ in range(100):
        try:
            Conn(port).call("PING")
            return
        except OSError:
            time.sleep(0.1)
    raise SystemExit(f"server on {port} did not start")


def main():
    verdis = sys.argv[1]
    sizes = [int(a) for a in sys.argv[2:]] or [1_000_000]
    procs = [
        subprocess.Popen([verdis, "--port", str(VPORT), "--save", "", "--loglevel", "warning"], stdout=subprocess.DEVNULL),
        subprocess.Popen(["redis-server", "--port", str(RPORT), "--save", "", "--appendonly", "no", "--loglevel", "warning"], stdout=subprocess.DEVNULL),
    ]
    try:
        for port in (VPORT, RPORT):
            wait_up(port)
        print(f"{'server':7} {'keys':>8} {'command':16} {'reply_ms':>9} {'max_other_ms':>12}  notes")
        for n in sizes:
            path = payload(n)
            for name, port in (("verdis", VPORT), ("redis", RPORT)):
                # The noise floor: the longest PING while no other command runs, for one second.
                _, worst, _ = timed(port, lambda c: time.sleep(1.0))
                print(f"{name:7} {n:>8} {'(idle 1 s)':16} {'':9} {worst:12.2f}  the PING loop's noise floor", flush=True)
                for mode in ("SYNC", "ASYNC") * REPEAT:
                    fill(port, n, path)
                    rss_before = memory(port)[0]
                    took, worst, _ = timed(port, lambda c: c.call("FLUSHALL", mode))
                    after = memory(port)
                    time.sleep(1.0)
                    later = memory(port)
                    note = f"rss {rss_before}->{after[0]}->{later[0]} MiB; pending,freed {after[1]},{after[2]} then {later[1]},{later[2]}"
                    print(f"{name:7} {n:>8} {'FLUSHALL ' + mode:16} {took:9.2f} {worst:12.2f}  {note}", flush=True)
                fill(port, n, path)
                took, worst, (first, count) = timed(port, lambda c: keys_all(c, n))
                print(f"{name:7} {n:>8} {'KEYS *':16} {took:9.2f} {worst:12.2f}  first byte after {first:.2f} ms, {count} keys", flush=True)
                took, worst, longest = timed(port, scan_all)
                print(f"{name:7} {n:>8} {'SCAN loop':16} {took:9.2f} {worst:12.2f}  longest SCAN call {longest:.2f} ms", flush=True)
                Conn(port).call("FLUSHALL", "SYNC")
    finally:
        for p in procs:
            p.terminate()
            p.wait()


if __name__ == "__main__":
    main()
