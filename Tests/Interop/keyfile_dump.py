#!/usr/bin/env python3
"""Print the secret keys held in an UNPROTECTED Liaison key file.

Test helper for the interoperability scripts in this directory: it reads the
`keys/node.secrets` file of a node created with `liaison init --no-passphrase`
and prints its keys as JSON, so that `package_open.py` and `package_seal.py`
can act as that node.  It refuses passphrase-protected files outright: it is
never a way to get at real keys.

Key file layout (all integers big-endian):

    offset  size  field
    0       8     magic "LIAISKEY"
    8       1     version (1)
    9       1     protection (0 = none, 1 = argon2id)
    10      8     Argon2id ops limit (0 when unprotected)
    18      8     Argon2id memory limit (0 when unprotected)
    26      16    salt
    42      24    nonce
    66      144   XChaCha20-Poly1305 ciphertext of 128 secret bytes + 16-byte tag,
                  with bytes 0..65 as associated data; unprotected files use an
                  all-zero 32-byte key.

Secret bytes: identity Ed25519 seed (32) | encryption X25519 scalar (32) |
transport X25519 scalar (32) | log Ed25519 seed (32).

Usage:
    keyfile_dump.py H/keys/node.secrets                 # JSON object
    keyfile_dump.py H/keys/node.secrets --field encryption_secret_hex
"""

import argparse
import base64
import json
import struct
import sys

from nacl import bindings
from nacl.exceptions import CryptoError
from nacl.signing import SigningKey

MAGIC = b"LIAISKEY"
VERSION = 1
HEADER_LEN = 8 + 1 + 1 + 8 + 8 + 16 + 24
SECRETS_LEN = 4 * 32
FILE_LEN = HEADER_LEN + SECRETS_LEN + 16


class KeyFileError(Exception):
    """The file is not an unprotected Liaison key file."""


def read_unprotected(path):
    """Return the 128 secret bytes of the unprotected key file at `path`."""
    with open(path, "rb") as f:
        data = f.read(FILE_LEN + 1)
    if len(data) != FILE_LEN:
        raise KeyFileError(f"{path} is {len(data)} bytes, not a Liaison key file ({FILE_LEN} bytes)")
    header = data[:HEADER_LEN]
    magic, version, protection, ops, mem = struct.unpack(">8sBBQQ", header[:26])
    nonce = header[42:66]
    if magic != MAGIC:
        raise KeyFileError(f"{path} is not a Liaison key file (wrong magic bytes)")
    if version != VERSION:
        raise KeyFileError(f"{path} has unsupported key file version {version}")
    if protection != 0:
        raise KeyFileError(f"{path} is passphrase-protected; this tool only reads unprotected test key files")
    if ops != 0 or mem != 0:
        raise KeyFileError(f"{path} is marked unprotected but carries key-derivation parameters")
    try:
        return bindings.crypto_aead_xchacha20poly1305_ietf_decrypt(data[HEADER_LEN:], header, nonce, bytes(32))
    except CryptoError:
        raise KeyFileError(f"{path} does not verify: the key file was altered or corrupted") from None


def describe(secrets):
    """The secrets and their public halves, as a JSON-ready dictionary."""
    identity_seed, encryption, transport, log_seed = (secrets[i:i + 32] for i in range(0, 128, 32))
    b64 = lambda b: base64.b64encode(b).decode("ascii")
    return {
        "identity_seed_hex": identity_seed.hex(),
        "identity_public_b64": b64(bytes(SigningKey(identity_seed).verify_key)),
        "encryption_secret_hex": encryption.hex(),
        "encryption_public_b64": b64(bindings.crypto_scalarmult_base(encryption)),
        "transport_secret_hex": transport.hex(),
        "transport_public_b64": b64(bindings.crypto_scalarmult_base(transport)),
        "log_seed_hex": log_seed.hex(),
        "log_public_b64": b64(bytes(SigningKey(log_seed).verify_key)),
    }


def main(argv=None):
    parser = argparse.ArgumentParser(description="Print the keys of an UNPROTECTED Liaison key file (tests only).")
    parser.add_argument("path", help="the key file, e.g. HOME/keys/node.secrets")
    parser.add_argument("--field", help="print only this field (e.g. encryption_secret_hex) instead of JSON")
    args = parser.parse_args(argv)
    try:
        keys = describe(read_unprotected(args.path))
    except (OSError, KeyFileError) as error:
        print(f"keyfile_dump: {error}", file=sys.stderr)
        return 1
    if args.field:
        if args.field not in keys:
            print(f"keyfile_dump: unknown field {args.field!r}; one of {', '.join(keys)}", file=sys.stderr)
            return 2
        print(keys[args.field])
    else:
        print(json.dumps(keys, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
