#!/usr/bin/env python3
"""An independent Noise_IK_25519_ChaChaPoly_SHA256 peer, built on PyPI's
`noiseprotocol` (which uses `cryptography`, not libsodium), for Liaison's interop
tests. It speaks Liaison's framing (2-byte big-endian length, then one Noise
message) over loopback TCP.

  responder: noise_peer.py responder --static-hex SK --port-file F [--prologue P]
  initiator: noise_peer.py initiator --static-hex SK --remote-hex PK --port N [--prologue P]

After the handshake (payloads b"hello from python" / whatever the Swift side sent),
the initiator sends COUNT transport messages b"ping <i>" and the responder answers
each with b"pong <i>". Each side prints one JSON line: the handshake hash (hex), the
peer's handshake payload, and the transport messages it received.
"""
import argparse
import json
import socket
import struct
import sys

from noise.connection import Keypair, NoiseConnection

PROTOCOL = b"Noise_IK_25519_ChaChaPoly_SHA256"


def send_frame(sock, body):
    sock.sendall(struct.pack(">H", len(body)) + body)


def recv_exact(sock, n):
    data = b""
    while len(data) < n:
        chunk = sock.recv(n - len(data))
        if not chunk:
            raise EOFError("connection closed")
        data += chunk
    return data


def recv_frame(sock):
    (length,) = struct.unpack(">H", recv_exact(sock, 2))
    return recv_exact(sock, length)


def make(role, static_hex, prologue, remote_hex=None):
    proto = NoiseConnection.from_name(PROTOCOL)
    proto.set_as_initiator() if role == "initiator" else proto.set_as_responder()
    proto.set_keypair_from_private_bytes(Keypair.STATIC, bytes.fromhex(static_hex))
    if remote_hex:
        proto.set_keypair_from_public_bytes(Keypair.REMOTE_STATIC, bytes.fromhex(remote_hex))
    proto.set_prologue(prologue.encode())
    proto.start_handshake()
    return proto


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("role", choices=["initiator", "responder"])
    parser.add_argument("--static-hex", required=True)
    parser.add_argument("--remote-hex")
    parser.add_argument("--port", type=int)
    parser.add_argument("--port-file")
    parser.add_argument("--prologue", default="liaison/transport/v1")
    parser.add_argument("--count", type=int, default=3)
    args = parser.parse_args()
    received = []

    if args.role == "responder":
        server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        server.bind(("127.0.0.1", 0))
        server.listen(1)
        server.settimeout(30)
        with open(args.port_file + ".tmp", "w") as f:
            f.write(str(server.getsockname()[1]))
        import os
        os.rename(args.port_file + ".tmp", args.port_file)
        sock, _ = server.accept()
        sock.settimeout(30)
        proto = make("responder", args.static_hex, args.prologue)
        peer_payload = proto.read_message(recv_frame(sock))
        send_frame(sock, proto.write_message(b"hello from python"))
        for i in range(args.count):
            received.append(proto.decrypt(recv_frame(sock)).decode())
            send_frame(sock, proto.encrypt(f"pong {i}".encode()))
    else:
        sock = socket.create_connection(("127.0.0.1", args.port), timeout=30)
        proto = make("initiator", args.static_hex, args.prologue, args.remote_hex)
        send_frame(sock, proto.write_message(b"hello from python"))
        peer_payload = proto.read_message(recv_frame(sock))
        for i in range(args.count):
            send_frame(sock, proto.encrypt(f"ping {i}".encode()))
            received.append(proto.decrypt(recv_frame(sock)).decode())
    sock.close()
    print(json.dumps({
        "handshake_hash": proto.get_handshake_hash().hex(),
        "peer_payload": bytes(peer_payload).decode(),
        "received": received,
    }))


if __name__ == "__main__":
    try:
        main()
    except Exception as exc:  # report, never hang: the Swift test reads stderr
        print(f"noise_peer: {type(exc).__name__}: {exc}", file=sys.stderr)
        sys.exit(1)
