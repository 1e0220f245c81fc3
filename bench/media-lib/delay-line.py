#!/usr/bin/env python3
"""A delay line on a TUN device: the netem `delay` this kernel lacks (no sch_netem).

Every IPv4 packet the kernel routes into the TUN device is read, held for the one-way delay
of its direction and written back, after which the kernel routes it on as if it had arrived
on the TUN device. The direction is told by the destination address: packets to the
`--down-net` prefix (the publisher's side) get `--down-ms`, all others `--up-ms`. The delay is
constant, so packets leave in the order they came (as with netem without jitter).

  ip netns exec cbmrtr python3 delay-line.py --dev cbmtun --up-ms 30 --down-ms 30 \
      --down-net 10.213.2.0/24

Prints "ready" once the device exists, then, on SIGTERM, one JSON line of counts.
Standard library only (fcntl/ioctl TUNSETIFF).
"""
import argparse
import collections
import fcntl
import ipaddress
import json
import os
import select
import signal
import struct
import sys
import time

TUNSETIFF = 0x400454CA
IFF_TUN = 0x0001
IFF_NO_PI = 0x1000


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--dev", required=True)
    parser.add_argument("--up-ms", type=float, default=0)
    parser.add_argument("--down-ms", type=float, default=0)
    parser.add_argument("--down-net", required=True)
    args = parser.parse_args()
    down_net = ipaddress.ip_network(args.down_net)

    fd = os.open("/dev/net/tun", os.O_RDWR)
    fcntl.ioctl(fd, TUNSETIFF, struct.pack("16sH", args.dev.encode(), IFF_TUN | IFF_NO_PI))
    os.set_blocking(fd, False)

    delays = {"up": args.up_ms / 1000, "down": args.down_ms / 1000}
    queues = {"up": collections.deque(), "down": collections.deque()}
    counts = {"up": 0, "down": 0, "other": 0, "lateMsMax": 0.0}
    stopping = False

    def stop(_sig, _frame):
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    print("ready", flush=True)

    while not stopping:
        now = time.monotonic()
        due = [q[0][0] for q in queues.values() if q]
        timeout = max(0.0, min(due) - now) if due else 0.5
        try:
            readable, _, _ = select.select([fd], [], [], timeout)
        except InterruptedError:
            continue
        if readable:
            while True:
                try:
                    packet = os.read(fd, 65536)
                except BlockingIOError:
                    break
                if len(packet) < 20 or packet[0] >> 4 != 4:
                    counts["other"] += 1
                    os.write(fd, packet)
                    continue
                direction = "down" if ipaddress.ip_address(packet[16:20]) in down_net else "up"
                queues[direction].append((time.monotonic() + delays[direction], packet))
        now = time.monotonic()
        for direction, queue in queues.items():
            while queue and queue[0][0] <= now:
                at, packet = queue.popleft()
                counts["lateMsMax"] = max(counts["lateMsMax"], (now - at) * 1000)
                try:
                    os.write(fd, packet)
                    counts[direction] += 1
                except OSError:
                    pass
    counts["lateMsMax"] = round(counts["lateMsMax"], 2)
    print(json.dumps(counts), flush=True)


if __name__ == "__main__":
    sys.exit(main())
