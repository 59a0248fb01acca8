#!/usr/bin/env python3
"""Check that a Kafka broker really answers the Kafka protocol (stdlib only).

Usage: kafka_probe.py HOST PORT [NODE_ID]

Sends ApiVersions (v0), a Metadata request for no topics and ListGroups, and
exits 0 only if the broker answers all without error, lists NODE_ID (default
1) among the live brokers and its group coordinator has finished loading. Exit 1 otherwise, with a one-line reason on stderr.
Used by kafka.sh for `ready`/`start`/`status`; needs no project packages.
"""
import socket
import struct
import sys

API_METADATA = 3
API_VERSIONS = 18
API_LIST_GROUPS = 16
CLIENT_ID = b"roster-kafka-probe"


class Reader:
    def __init__(self, data):
        self.data, self.pos = data, 0

    def take(self, fmt):
        vals = struct.unpack_from(fmt, self.data, self.pos)
        self.pos += struct.calcsize(fmt)
        return vals if len(vals) > 1 else vals[0]

    def string(self):
        n = self.take(">h")
        if n < 0:
            return None
        s = self.data[self.pos:self.pos + n].decode()
        self.pos += n
        return s


def call(sock, api_key, version, corr, body=b""):
    # Request header v1: api_key, api_version, correlation_id, client_id.
    hdr = struct.pack(">hhih", api_key, version, corr, len(CLIENT_ID)) + CLIENT_ID
    msg = hdr + body
    sock.sendall(struct.pack(">i", len(msg)) + msg)
    size = struct.unpack(">i", recv_exact(sock, 4))[0]
    if not 4 <= size <= 1 << 20:
        raise RuntimeError(f"implausible response size {size}: not a Kafka broker?")
    r = Reader(recv_exact(sock, size))
    if r.take(">i") != corr:
        raise RuntimeError("correlation id mismatch")
    return r


def recv_exact(sock, n):
    buf = b""
    while len(buf) < n:
        chunk = sock.recv(n - len(buf))
        if not chunk:
            raise RuntimeError("connection closed by broker")
        buf += chunk
    return buf


def probe(host, port, node_id):
    with socket.create_connection((host, port), timeout=3) as sock:
        sock.settimeout(5)
        # ApiVersions v0 is supported by every broker version.
        r = call(sock, API_VERSIONS, 0, 1)
        err = r.take(">h")
        if err:
            raise RuntimeError(f"ApiVersions error code {err}")
        ranges = {}
        for _ in range(r.take(">i")):
            key, lo, hi = r.take(">hhh")
            ranges[key] = (lo, hi)
        if API_METADATA not in ranges:
            raise RuntimeError("broker does not offer Metadata")
        lo, hi = ranges[API_METADATA]
        # Metadata v4..v8 share a non-flexible layout we can parse here;
        # Kafka 4 dropped v0-v3, old brokers may lack v8.
        ver = max(lo, min(hi, 8))
        if not 4 <= ver <= 8:
            raise RuntimeError(f"no usable Metadata version in {lo}..{hi}")
        body = struct.pack(">i", 0)          # topics: empty array -> none
        body += b"\x00"                      # allow_auto_topic_creation
        if ver >= 8:
            body += b"\x00\x00"              # include cluster/topic authorized ops
        r = call(sock, API_METADATA, ver, 2, body)
        r.take(">i")                         # throttle_time_ms
        brokers = []
        for _ in range(r.take(">i")):
            nid = r.take(">i")
            r.string()                       # host
            r.take(">i")                     # port
            r.string()                       # rack
            brokers.append(nid)
        r.string()                           # cluster_id
        controller = r.take(">i")
        if node_id not in brokers:
            raise RuntimeError(f"node {node_id} not in live brokers {brokers}")
        # ListGroups fails with COORDINATOR_LOAD_IN_PROGRESS while the group
        # coordinator is still loading __consumer_offsets after a restart;
        # clients' admin calls (e.g. aiokafka list_consumer_groups) do not
        # retry that, so only call the broker ready once it answers cleanly.
        if API_LIST_GROUPS in ranges:
            lo, hi = ranges[API_LIST_GROUPS]
            ver = max(lo, min(hi, 2))        # v0-v2: same non-flexible layout
            if ver <= 2:
                r = call(sock, API_LIST_GROUPS, ver, 3)
                if ver >= 1:
                    r.take(">i")             # throttle_time_ms
                err = r.take(">h")
                if err:
                    raise RuntimeError(f"ListGroups error code {err} (group coordinator not ready)")
        return brokers, controller


def main():
    host, port = sys.argv[1], int(sys.argv[2])
    node_id = int(sys.argv[3]) if len(sys.argv) > 3 else 1
    try:
        probe(host, port, node_id)
    except (OSError, RuntimeError, struct.error) as exc:
        print(f"kafka probe {host}:{port}: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
