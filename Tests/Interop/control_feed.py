#!/usr/bin/env python3
"""A feed client for liaisond's control socket, written from docs/operations.md
("Feeding the daemon from a program") alone.

Sends COUNT small payloads as COUNT `send` requests on ONE connection, then asks
for `status` on it, and prints one JSON line per answer:

    control_feed.py SOCKET PEER COUNT [TLP]

On a daemon's error it prints the error as JSON on stderr and exits 1. Standard
library only.
"""
import json
import socket
import struct
import sys


def send_frame(sock, body):
    sock.sendall(struct.pack(">I", len(body)) + body)


def read_exactly(sock, count):
    data = b""
    while len(data) < count:
        more = sock.recv(count - len(data))
        if not more:
            raise ConnectionError("the daemon closed the connection")
        data += more
    return data


def answer(sock):
    (length,) = struct.unpack(">I", read_exactly(sock, 4))
    envelope = json.loads(read_exactly(sock, length))
    if envelope.get("error") is not None:
        print(json.dumps(envelope["error"]), file=sys.stderr)
        sys.exit(1)
    return envelope["result"]


def main():
    path, peer, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
    tlp = sys.argv[4] if len(sys.argv) > 4 else "GREEN"
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.settimeout(60)
    sock.connect(path)
    for n in range(count):
        send_frame(sock, json.dumps({"command": "send", "to": [peer], "tlp": tlp}).encode())
        send_frame(sock, f"indicator {n} from the python feed\n".encode())
        send_frame(sock, b"")
        receipt = answer(sock)
        print(json.dumps({"id": receipt["id"], "recipients": receipt["recipients"]}), flush=True)
    send_frame(sock, json.dumps({"command": "status"}).encode())
    print(json.dumps({"node": answer(sock)["node"]}), flush=True)
    sock.close()


if __name__ == "__main__":
    main()
