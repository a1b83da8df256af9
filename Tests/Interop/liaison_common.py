"""What Tests/Interop/package_open.py and package_seal.py share: the format's
constants and primitives from docs/package-format.md, the error type, atomic
output files and the command-line wrapper. Written from the document, like the
tools themselves; nothing here comes from the Swift code.
"""

import contextlib
import hashlib
import json
import os
import sys
import tempfile

# --- Constants (§5, §7, §8, §10, §13) -------------------------------------

MAGIC = b"LIAISPKG"
VERSION = 1
PREAMBLE_LEN = 8 + 1 + 4
MAX_RECIPIENTS = 1024
MIN_CHUNK_SIZE, MAX_CHUNK_SIZE = 1024, 4 << 20
MAX_TIMESTAMP = (1 << 63) - 1
SENDER_BOX_LEN = 32 + 16
FINAL = 0x01

WRAP_LABEL = b"liaison/package/v1/wrap"
CHUNK_SIGNATURE_LABEL = b"liaison/package/v1/chunk-signature"
WRAP_NONCE = bytes(24)
SENDER_BOX_NONCE = b"\xff" * 24

MAX_LABEL_LEN = 64
MAX_LIST_COUNT = 32
LABEL_BYTES = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 +-_/.")


class ToolError(Exception):
    """A refusal; `code` is the stable error code the document uses (§12)."""

    def __init__(self, code, message):
        super().__init__(message)
        self.code = code


# --- Primitives (§3) ------------------------------------------------------

def blake2b_512(*parts):
    """Unkeyed BLAKE2b with a 64-byte output over the concatenation of parts."""
    h = hashlib.blake2b(digest_size=64)
    for part in parts:
        h.update(part)
    return h.digest()


def u64(value):
    return value.to_bytes(8, "big")


# --- Output and the command line --------------------------------------------

@contextlib.contextmanager
def atomic_output(path):
    """Yields a private file beside `path` that appears at `path` only if the body
    finishes; otherwise it is removed. Refuses an existing `path`."""
    if os.path.lexists(path):
        raise ToolError("argument.invalid", f"{path} already exists")
    directory = os.path.dirname(os.path.abspath(path))
    fd, temporary = tempfile.mkstemp(prefix=os.path.basename(path) + ".partial-", dir=directory)
    try:
        with os.fdopen(fd, "wb") as sink:
            yield sink
            sink.flush()
            os.fsync(sink.fileno())
        os.replace(temporary, path)
    except BaseException:
        if os.path.exists(temporary):
            os.unlink(temporary)
        raise


def run(action, args):
    """Runs `action(args)`: prints its JSON summary, or the error code and message."""
    try:
        summary = action(args)
    except ToolError as error:
        print(f"{error.code}: {error}", file=sys.stderr)
        return 1
    except OSError as error:
        print(f"io.failed: {error}", file=sys.stderr)
        return 1
    print(json.dumps(summary, separators=(",", ":")))
    return 0
