#!/usr/bin/env python3
"""Independent sealer for Liaison sealed packages (format v1).

Written from docs/package-format.md alone, not from the Swift sources, so that
the Swift opener can be checked against a second implementation.  Section
numbers (§) refer to that document.

Usage:
    package_seal.py --sender-seed-hex SEED_HEX --to-b64 R_PUBLIC_B64 [--to-b64 ...] \
                    --tlp AMBER [--classification RESTRICTED] [--rel-to NATO,EU] \
                    [--caveat NOFORN] [--content-type text/plain] \
                    [--created UNIX] [--expires UNIX|never] [--chunk-size N] \
                    [--package-id-hex HEX32] --in PAYLOAD --out PACKAGE

Prints a one-line JSON summary (id, payload_bytes, chunks) on success.  Errors
go to standard error as "<code>: <explanation>" with exit status 1; nothing is
written then.

The only third-party dependency is PyNaCl (libsodium bindings).
"""

import argparse
import base64
import binascii
import sys
import time

from nacl import bindings
from nacl import exceptions as nacl_exceptions
from nacl.signing import SigningKey
from nacl.utils import random as random_bytes

from liaison_common import (CHUNK_SIGNATURE_LABEL, FINAL, LABEL_BYTES, MAGIC, MAX_CHUNK_SIZE, MAX_LABEL_LEN,
                            MAX_LIST_COUNT, MAX_RECIPIENTS, MAX_TIMESTAMP, MIN_CHUNK_SIZE, PREAMBLE_LEN,
                            SENDER_BOX_LEN, SENDER_BOX_NONCE, VERSION, WRAP_LABEL, WRAP_NONCE, ToolError,
                            atomic_output, blake2b_512, run, u64)

# --- Constants (§5, §7, §8, §10, §13) -------------------------------------

DEFAULT_CHUNK_SIZE = 1 << 20

TLP_VALUES = {"CLEAR": 0, "WHITE": 0, "GREEN": 1, "AMBER": 2, "AMBER+STRICT": 3, "AMBER-STRICT": 3,
              "AMBER_STRICT": 3, "RED": 4}

SealError = ToolError


# --- Primitives (§3) ------------------------------------------------------

def aead_seal(key, nonce, ad, plaintext):
    """XChaCha20-Poly1305 (IETF), combined mode: ciphertext followed by the tag."""
    return bindings.crypto_aead_xchacha20poly1305_ietf_encrypt(plaintext, ad, nonce, key)


def u8(v):
    return v.to_bytes(1, "big")


def u16(v):
    return v.to_bytes(2, "big")


def u32(v):
    return v.to_bytes(4, "big")


def str8(data):
    if len(data) > 255:
        raise SealError("argument.invalid", "a string field is longer than 255 bytes")
    return u8(len(data)) + data


def random_below(n):
    """A uniform integer in [0, n), by rejection sampling (like randombytes_uniform)."""
    limit = (1 << 32) - ((1 << 32) % n)
    while True:
        v = int.from_bytes(random_bytes(4), "big")
        if v < limit:
            return v % n


# --- Markings (§6) ----------------------------------------------------------

def normalise_label(text, field):
    """Trim, upper-case and validate one marking label (§6.2)."""
    value = text.strip(" \t").upper()
    raw = value.encode("utf-8")
    if not 1 <= len(raw) <= MAX_LABEL_LEN or any(b not in LABEL_BYTES for b in raw):
        raise SealError("package.invalid-markings",
                        f"{field} {text!r} must be 1-{MAX_LABEL_LEN} ASCII letters, digits or ' +-_/.'")
    return raw


def encode_markings(tlp, classification, releasable_to, caveats):
    """The markings fields of the header (§6.4), in canonical form."""
    key = tlp.strip().upper()
    if key.startswith("TLP:"):
        key = key[4:]
    if key not in TLP_VALUES:
        raise SealError("package.invalid-markings", f"unknown TLP level {tlp!r}")
    communities = sorted({normalise_label(c, "releasability community") for c in releasable_to})
    caveat_labels = [normalise_label(c, "caveat") for c in caveats]
    if len(communities) > MAX_LIST_COUNT or len(caveat_labels) > MAX_LIST_COUNT:
        raise SealError("package.invalid-markings", f"at most {MAX_LIST_COUNT} communities and {MAX_LIST_COUNT} caveats")
    out = u8(TLP_VALUES[key]) + str8(normalise_label(classification, "classification"))
    out += u8(len(communities)) + b"".join(str8(c) for c in communities)
    out += u8(len(caveat_labels)) + b"".join(str8(c) for c in caveat_labels)
    return out


# --- Sealing (§11) ------------------------------------------------------------

class Sealer:
    """Builds the header (steps 1-6 of §11) and seals chunks (step 7)."""

    def __init__(self, sender_seed, recipients, markings, content_type, created, expires, chunk_size, package_id=None):
        # Step 1: validate.
        if not recipients:
            raise SealError("package.invalid-recipients", "a package needs at least one recipient")
        if len(recipients) > MAX_RECIPIENTS:
            raise SealError("package.invalid-recipients", f"at most {MAX_RECIPIENTS} recipients")
        if len(set(recipients)) != len(recipients):
            raise SealError("package.invalid-recipients", "a recipient is listed twice")
        if not MIN_CHUNK_SIZE <= chunk_size <= MAX_CHUNK_SIZE:
            raise SealError("argument.invalid", f"chunk size must be within {MIN_CHUNK_SIZE}-{MAX_CHUNK_SIZE}")
        if not 0 <= created <= MAX_TIMESTAMP or not 0 <= expires <= MAX_TIMESTAMP:
            raise SealError("argument.invalid", "timestamps must be within 0..2^63-1")
        if expires != 0 and expires <= created:
            raise SealError("argument.invalid", "the expiry must be after the creation time")
        ct = content_type.encode("utf-8")
        if not 1 <= len(ct) <= 255 or any(not 0x21 <= b <= 0x7E for b in ct):
            raise SealError("argument.invalid", "the content type must be 1-255 printable ASCII characters without spaces")

        # Step 2: fresh randomness.
        self.package_id = package_id if package_id is not None else random_bytes(16)
        self.payload_key = random_bytes(32)
        ephemeral_secret = random_bytes(32)
        ephemeral_public = bindings.crypto_scalarmult_base(ephemeral_secret)

        # Step 3: preamble (length patched below) and the fields up to the recipient count.
        header = bytearray(MAGIC + u8(VERSION) + u32(0))
        header += self.package_id + u64(created) + u64(expires) + u32(chunk_size)
        header += markings + str8(ct) + ephemeral_public + u16(len(recipients))

        # Step 4: one wrap per recipient, in a uniformly random order (Fisher-Yates).
        order = list(recipients)
        for i in range(len(order) - 1, 0, -1):
            j = random_below(i + 1)
            order[i], order[j] = order[j], order[i]
        wrap_ad = MAGIC + u8(VERSION) + self.package_id
        for recipient in order:
            try:
                shared = bindings.crypto_scalarmult(ephemeral_secret, recipient)
            except nacl_exceptions.RuntimeError:
                raise SealError("package.invalid-recipients", "a recipient key is a low-order point") from None
            okm = blake2b_512(WRAP_LABEL, shared, ephemeral_public, recipient)
            wrap_key, tag = okm[0:32], okm[32:48]
            header += tag + aead_seal(wrap_key, WRAP_NONCE, wrap_ad, self.payload_key)

        # Step 5: the final header length counts the sender box that follows.
        header[9:13] = u32(len(header) + SENDER_BOX_LEN - PREAMBLE_LEN)

        # Step 6: the sender box authenticates every byte written so far.
        self.signing_key = SigningKey(sender_seed)
        header += aead_seal(self.payload_key, SENDER_BOX_NONCE, bytes(header), bytes(self.signing_key.verify_key))
        self.header = bytes(header)
        self.header_hash = blake2b_512(self.header)
        self.chunk_size = chunk_size
        self.next_index = 0

    def seal_chunk(self, data, final):
        """One chunk frame (§10.2-§10.4)."""
        assert len(data) == self.chunk_size or (final and len(data) < self.chunk_size)
        assert data or self.next_index == 0, "an empty final chunk is only for an empty payload"
        index, flags = self.next_index, FINAL if final else 0
        message = CHUNK_SIGNATURE_LABEL + self.header_hash + u64(index) + u8(flags) + blake2b_512(data)
        signature = self.signing_key.sign(message).signature
        nonce = bytes(16) + u64(index)
        ad = self.header_hash + u64(index) + u8(flags)
        ciphertext = aead_seal(self.payload_key, nonce, ad, signature + data)
        self.next_index += 1
        return u64(index) + u8(flags) + u32(len(ciphertext)) + ciphertext


def read_up_to(stream, n):
    """Read until n bytes or the end of the input."""
    parts, got = [], 0
    while got < n:
        block = stream.read(n - got)
        if not block:
            break
        parts.append(block)
        got += len(block)
    return b"".join(parts)


def seal_stream(sealer, source, sink):
    """Step 7: header, then chunks, reading one chunk ahead to find the last one."""
    sink.write(sealer.header)
    total, chunks = 0, 0
    current = read_up_to(source, sealer.chunk_size)
    while True:
        following = read_up_to(source, sealer.chunk_size) if len(current) == sealer.chunk_size else b""
        final = not following
        sink.write(sealer.seal_chunk(current, final))
        total += len(current)
        chunks += 1
        if final:
            return total, chunks
        current = following


# --- Command line ----------------------------------------------------------

def decode_key(text, decoder, name, length=32):
    try:
        key = decoder(text)
    except (binascii.Error, ValueError):
        raise SealError("argument.invalid", f"{name} is not valid") from None
    if len(key) != length:
        raise SealError("argument.invalid", f"{name} must be {length} bytes, got {len(key)}")
    return key


def comma_list(values):
    return [item.strip() for value in values for item in value.split(",") if item.strip()]


def seal(args):
    seed = decode_key(args.sender_seed_hex, bytes.fromhex, "--sender-seed-hex")
    recipients = [decode_key(t, lambda s: base64.b64decode(s, validate=True), "--to-b64") for t in comma_list(args.to_b64)]
    package_id = decode_key(args.package_id_hex, bytes.fromhex, "--package-id-hex", 16) if args.package_id_hex else None
    created = args.created if args.created is not None else int(time.time())
    expires = 0 if args.expires == "never" else args.expires
    markings = encode_markings(args.tlp, args.classification, comma_list(args.rel_to), args.caveat)
    sealer = Sealer(seed, recipients, markings, args.content_type, created, expires, args.chunk_size, package_id)

    with open(args.input, "rb") as source, atomic_output(args.output) as sink:
        total, chunks = seal_stream(sealer, source, sink)
    return {"id": sealer.package_id.hex(), "payload_bytes": total, "chunks": chunks, "header_bytes": len(sealer.header)}


def expiry(text):
    """argparse type of --expires: Unix seconds or 'never'."""
    if text == "never":
        return text
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError("expected Unix seconds or 'never'") from None


def main(argv=None):
    parser = argparse.ArgumentParser(description="Seal a Liaison package (format v1), independently of the Swift code.")
    parser.add_argument("--sender-seed-hex", required=True, help="the sender's Ed25519 identity seed (64 hex digits)")
    parser.add_argument("--to-b64", action="append", required=True,
                        help="a recipient's X25519 encryption public key, base64 (repeatable or comma-separated)")
    parser.add_argument("--tlp", required=True, help="CLEAR, GREEN, AMBER, AMBER+STRICT or RED")
    parser.add_argument("--classification", default="UNCLASSIFIED", help="classification label (default UNCLASSIFIED)")
    parser.add_argument("--rel-to", action="append", default=[], help="releasability communities, comma-separated or repeated")
    parser.add_argument("--caveat", action="append", default=[], help="handling caveat (repeatable)")
    parser.add_argument("--content-type", default="application/octet-stream", help="media type of the payload")
    parser.add_argument("--created", type=int, help="creation time, Unix seconds (default: now)")
    parser.add_argument("--expires", type=expiry, default="never", help="expiry, Unix seconds, or 'never' (default: never)")
    parser.add_argument("--chunk-size", type=int, default=DEFAULT_CHUNK_SIZE, help="payload bytes per chunk (default 1048576)")
    parser.add_argument("--package-id-hex", help="a fixed package id (32 hex digits; default random)")
    parser.add_argument("--in", dest="input", required=True, help="the payload file")
    parser.add_argument("--out", dest="output", required=True, help="where to write the package (must not exist)")
    return run(seal, parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
