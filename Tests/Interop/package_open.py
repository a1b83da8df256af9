#!/usr/bin/env python3
"""Independent opener for Liaison sealed packages (format v1).

Written from docs/package-format.md alone, not from the Swift sources, to show
that the document is complete.  Section numbers (§) and check names (P1, K4,
C7, ...) refer to that document.

Usage:
    package_open.py --secret-hex R_SECRET_HEX --sender-identity-b64 S_PUBLIC_B64 \
                    --in PACKAGE --out PAYLOAD [--now UNIX_SECONDS]

On success the payload is written to --out and a one-line JSON summary is
printed on standard output.  On any failure nothing is written, the document's
error code is printed on standard error as "<code>: <explanation>", and the
exit status is 1.

The only third-party dependency is PyNaCl (libsodium bindings).
"""

import argparse
import base64
import binascii
import hmac
import sys
import time

from nacl import bindings
from nacl import exceptions as nacl_exceptions
from nacl.signing import VerifyKey

from liaison_common import (CHUNK_SIGNATURE_LABEL, FINAL, LABEL_BYTES, MAGIC, MAX_CHUNK_SIZE, MAX_LABEL_LEN,
                            MAX_LIST_COUNT, MAX_RECIPIENTS, MAX_TIMESTAMP, MIN_CHUNK_SIZE, PREAMBLE_LEN,
                            SENDER_BOX_LEN, SENDER_BOX_NONCE, VERSION, WRAP_LABEL, WRAP_NONCE, ToolError,
                            atomic_output, blake2b_512, run, u64)

# --- Constants (§5, §7, §8, §10, §13) -------------------------------------

MAX_HEADER_LENGTH = 1 << 20
CLOCK_SKEW = 300

TAG_LEN = 16
SEALED_KEY_LEN = 32 + 16
WRAP_LEN = TAG_LEN + SEALED_KEY_LEN
FRAME_HEADER_LEN = 8 + 1 + 4
SIGNATURE_LEN = 64
CHUNK_OVERHEAD = SIGNATURE_LEN + 16

TLP_LABELS = {0: "CLEAR", 1: "GREEN", 2: "AMBER", 3: "AMBER+STRICT", 4: "RED"}

PackageError = ToolError


# --- Primitives (§3) ------------------------------------------------------

def aead_open(key, nonce, ad, ciphertext):
    """XChaCha20-Poly1305 (IETF) decryption; None when the tag does not verify."""
    try:
        return bindings.crypto_aead_xchacha20poly1305_ietf_decrypt(ciphertext, ad, nonce, key)
    except nacl_exceptions.CryptoError:
        return None


# --- Reading ---------------------------------------------------------------

class Input:
    """A binary stream with an exact-read helper that reports short reads."""

    def __init__(self, stream):
        self.stream = stream

    def read_up_to(self, n):
        """Read until n bytes or the end of the input; may return fewer."""
        parts, got = [], 0
        while got < n:
            block = self.stream.read(n - got)
            if not block:
                break
            parts.append(block)
            got += len(block)
        return b"".join(parts)

    def read_exact(self, n, code, message):
        data = self.read_up_to(n)
        if len(data) != n:
            raise PackageError(code, message)
        return data


class FieldReader:
    """Big-endian field reader over the header (§2); overruns are malformed."""

    def __init__(self, data, offset):
        self.data = data
        self.offset = offset

    def take(self, n):
        if self.offset + n > len(self.data):
            raise PackageError("package.malformed-header", "a header field runs past the header's declared length")
        chunk = self.data[self.offset:self.offset + n]
        self.offset += n
        return chunk

    def uint(self, width):
        return int.from_bytes(self.take(width), "big")

    def str8(self):
        return self.take(self.uint(1))


# --- Header (§5, §6) -------------------------------------------------------

def check_label(raw, field):
    """A marking label must already be canonical (§6.2)."""
    if not 1 <= len(raw) <= MAX_LABEL_LEN:
        raise PackageError("package.malformed-header", f"the {field} label has {len(raw)} bytes (1-{MAX_LABEL_LEN} allowed)")
    if any(b not in LABEL_BYTES for b in raw):
        raise PackageError("package.malformed-header", f"the {field} label {raw!r} is not in canonical form")
    if raw[0] == 0x20 or raw[-1] == 0x20:
        raise PackageError("package.malformed-header", f"the {field} label {raw!r} has leading or trailing spaces")
    return raw.decode("ascii")


def read_label_list(r, field):
    count = r.uint(1)
    if count > MAX_LIST_COUNT:
        raise PackageError("package.malformed-header", f"the {field} list has {count} entries ({MAX_LIST_COUNT} allowed)")
    return [r.str8() for _ in range(count)]


def read_header(inp):
    """Steps P1-P6: read and parse the header without any key."""
    preamble = inp.read_exact(PREAMBLE_LEN, "package.truncated", "the package ends inside its preamble")   # P1
    if preamble[:8] != MAGIC:                                                                              # P2
        raise PackageError("package.bad-magic", "this is not a Liaison package (wrong magic bytes)")
    if preamble[8] != VERSION:                                                                             # P3
        raise PackageError("package.unsupported-version", f"package format version {preamble[8]} is not supported")
    header_length = int.from_bytes(preamble[9:13], "big")
    if header_length > MAX_HEADER_LENGTH:                                                                  # P4
        raise PackageError("package.header-too-large", f"the header claims {header_length} bytes")
    body = inp.read_exact(header_length, "package.truncated", "the package ends inside its header")        # P5
    encoded = preamble + body
    return parse_header(encoded)                                                                           # P6


def parse_header(encoded):
    """P6: the strict structural parse of §5.2."""
    r = FieldReader(encoded, PREAMBLE_LEN)
    h = {"encoded": encoded}
    h["package_id"] = r.take(16)
    h["created"] = r.uint(8)
    h["expires"] = r.uint(8)
    if h["created"] > MAX_TIMESTAMP or h["expires"] > MAX_TIMESTAMP:
        raise PackageError("package.malformed-header", "the header's timestamps are out of range")
    if h["expires"] != 0 and h["expires"] <= h["created"]:
        raise PackageError("package.malformed-header", "the header expires before it was created")
    h["chunk_size"] = r.uint(4)
    if not MIN_CHUNK_SIZE <= h["chunk_size"] <= MAX_CHUNK_SIZE:
        raise PackageError("package.malformed-header", f"chunk size {h['chunk_size']} is out of range")

    tlp = r.uint(1)
    if tlp not in TLP_LABELS:
        raise PackageError("package.malformed-header", f"unknown TLP value {tlp}")
    h["tlp"] = TLP_LABELS[tlp]
    h["classification"] = check_label(r.str8(), "classification")
    releasable = read_label_list(r, "releasability")
    h["releasable_to"] = [check_label(x, "releasability") for x in releasable]
    if any(a >= b for a, b in zip(releasable, releasable[1:])):
        raise PackageError("package.malformed-header", "the releasability list is not sorted and unique")
    h["caveats"] = [check_label(x, "caveat") for x in read_label_list(r, "caveat")]

    content_type = r.str8()
    if not content_type or any(not 0x21 <= b <= 0x7E for b in content_type):
        raise PackageError("package.malformed-header", "the content type is not 1-255 printable ASCII bytes without spaces")
    h["content_type"] = content_type.decode("ascii")

    h["ephemeral"] = r.take(32)
    count = r.uint(2)
    if not 1 <= count <= MAX_RECIPIENTS:
        raise PackageError("package.malformed-header", f"the header lists {count} recipients (1-{MAX_RECIPIENTS} allowed)")
    h["wraps"] = [(r.take(TAG_LEN), r.take(SEALED_KEY_LEN)) for _ in range(count)]
    h["sender_box_offset"] = r.offset
    h["sender_box"] = r.take(SENDER_BOX_LEN)
    if r.offset != len(encoded):
        raise PackageError("package.malformed-header", f"the header has {len(encoded) - r.offset} bytes after the sender box")
    h["hash"] = blake2b_512(encoded)                                                                        # §9
    return h


# --- Key recovery and header authentication (§7, §8, §12.2) ---------------

def unlock(h, recipient_secret, accepted_sender, now):
    """Steps K1-K8; returns the payload key and the sender's identity key."""
    recipient_public = bindings.crypto_scalarmult_base(recipient_secret)
    try:                                                                                                    # K1
        shared = bindings.crypto_scalarmult(recipient_secret, h["ephemeral"])
    except nacl_exceptions.RuntimeError:
        shared = bytes(32)  # libsodium refuses an all-zero result
    if shared == bytes(32):
        raise PackageError("package.low-order-key", "the package's ephemeral key is a low-order point")

    okm = blake2b_512(WRAP_LABEL, shared, h["ephemeral"], recipient_public)                                 # §7.1
    wrap_key, tag = okm[0:32], okm[32:48]
    match = None
    for candidate_tag, sealed_key in h["wraps"]:                                                            # K2
        if hmac.compare_digest(candidate_tag, tag) and match is None:
            match = sealed_key
    if match is None:
        raise PackageError("package.not-a-recipient", "this package is not addressed to this key")

    payload_key = aead_open(wrap_key, WRAP_NONCE, MAGIC + bytes([VERSION]) + h["package_id"], match)        # K3
    if payload_key is None:
        raise PackageError("package.key-unwrap-failed", "the key wrap addressed to this key does not verify")

    sender = aead_open(payload_key, SENDER_BOX_NONCE, h["encoded"][:h["sender_box_offset"]], h["sender_box"])  # K4
    if sender is None:
        raise PackageError("package.header-authentication-failed", "the package header does not authenticate")

    if not hmac.compare_digest(sender, accepted_sender):                                                   # K5
        raise PackageError("package.unknown-sender",
                           f"the package was sealed by {base64.b64encode(sender).decode()}, which is not the accepted sender")
    # K6 (revocation) does not apply: this tool accepts exactly one, unrevoked, sender key.
    if h["expires"] != 0 and now >= h["expires"]:                                                          # K7
        raise PackageError("package.expired", f"the package expired at {h['expires']}")
    if h["created"] > now + CLOCK_SKEW:                                                                    # K8
        raise PackageError("package.not-yet-valid", f"the package claims to be created at {h['created']}, in the future")
    return payload_key, sender


# --- Chunks (§10, §12.3) ----------------------------------------------------

def open_chunks(inp, h, payload_key, sender):
    """Steps C0-C9: yields each chunk's verified data, in order."""
    verify_key = VerifyKey(sender)
    chunk_size = h["chunk_size"]
    index, final_seen = 0, False
    while True:
        if final_seen:                                                                                      # C0
            if inp.read_up_to(1):
                raise PackageError("package.trailing-data", "there are bytes after the final chunk")
            return
        frame = inp.read_up_to(FRAME_HEADER_LEN)                                                            # C1
        if not frame:
            raise PackageError("package.missing-final-chunk", f"the package ends before chunk {index} without a final chunk")
        if len(frame) != FRAME_HEADER_LEN:
            raise PackageError("package.truncated", f"the package ends inside the frame of chunk {index}")
        frame_index = int.from_bytes(frame[0:8], "big")
        flags = frame[8]
        length = int.from_bytes(frame[9:13], "big")
        if frame_index < index:                                                                             # C2
            raise PackageError("package.duplicate-chunk", f"chunk {frame_index} appears again")
        if frame_index > index:
            raise PackageError("package.chunk-out-of-order", f"expected chunk {index} but found chunk {frame_index}")
        if flags & ~FINAL:                                                                                  # C3
            raise PackageError("package.bad-chunk-flags", f"chunk {index} has undefined flag bits set")
        final = bool(flags & FINAL)
        if length > chunk_size + CHUNK_OVERHEAD:                                                            # C4
            raise PackageError("package.chunk-too-large", f"chunk {index} claims {length} bytes")
        data_length = length - CHUNK_OVERHEAD                                                               # C5
        if data_length < 0 or (not final and data_length != chunk_size) or (final and data_length == 0 and index > 0):
            raise PackageError("package.chunk-too-small", f"chunk {index} is {length} bytes, not a valid size")
        ciphertext = inp.read_exact(length, "package.truncated", f"the package ends inside chunk {index}")  # C6

        nonce = bytes(16) + u64(index)                                                                      # C7
        ad = h["hash"] + u64(index) + bytes([flags])
        inner = aead_open(payload_key, nonce, ad, ciphertext)
        if inner is None:
            raise PackageError("package.chunk-authentication-failed", f"chunk {index} does not authenticate")

        signature, data = inner[:SIGNATURE_LEN], inner[SIGNATURE_LEN:]                                      # C8
        message = CHUNK_SIGNATURE_LABEL + h["hash"] + u64(index) + bytes([flags]) + blake2b_512(data)
        try:
            verify_key.verify(message, signature)
        except nacl_exceptions.BadSignatureError:
            raise PackageError("package.signature-invalid", f"the sender's signature on chunk {index} does not verify") from None

        yield data                                                                                          # C9
        index += 1
        final_seen = final


# --- Command line ----------------------------------------------------------

def parse_key(text, decoder, name):
    try:
        key = decoder(text)
    except (binascii.Error, ValueError):
        raise PackageError("argument.invalid", f"{name} is not valid") from None
    if len(key) != 32:
        raise PackageError("argument.invalid", f"{name} must be 32 bytes, got {len(key)}")
    return key


def open_package(args):
    """Opens args.input into args.output atomically; returns the JSON summary."""
    secret = parse_key(args.secret_hex, bytes.fromhex, "--secret-hex")
    sender_key = parse_key(args.sender_identity_b64, lambda t: base64.b64decode(t, validate=True), "--sender-identity-b64")
    now = args.now if args.now is not None else int(time.time())
    # Only a completely verified package becomes visible at --out.
    with open(args.input, "rb") as source, atomic_output(args.output) as sink:
        inp = Input(source)
        header = read_header(inp)
        payload_key, sender = unlock(header, secret, sender_key, now)
        total = 0
        for data in open_chunks(inp, header, payload_key, sender):
            sink.write(data)
            total += len(data)
    return {
        "id": header["package_id"].hex(),
        "tlp": header["tlp"],
        "classification": header["classification"],
        "releasable_to": header["releasable_to"],
        "caveats": header["caveats"],
        "content_type": header["content_type"],
        "created": header["created"],
        "expires": header["expires"] or None,
        "payload_bytes": total,
    }


def main(argv=None):
    parser = argparse.ArgumentParser(description="Verify and decrypt a Liaison package (format v1), independently of the Swift code.")
    parser.add_argument("--secret-hex", required=True, help="the recipient's X25519 encryption secret key (64 hex digits)")
    parser.add_argument("--sender-identity-b64", required=True, help="the accepted sender's Ed25519 identity public key (base64)")
    parser.add_argument("--in", dest="input", required=True, help="the package file")
    parser.add_argument("--out", dest="output", required=True, help="where to write the payload (must not exist)")
    parser.add_argument("--now", type=int, help="the current time in Unix seconds (default: the system clock)")
    return run(open_package, parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
