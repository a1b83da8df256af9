"""Fills a stopped node's liaison.db with a long history and a long queue, for
Deploy/bench/idle-queue.sh: HISTORY delivered packages of 1 KiB to the peer `bob`,
then QUEUED more still queued for it and waiting out a backoff of an hour (a
partner that is away), every package expiring ten days after it was made.

Rows are written with SQL, as the daemon would have left them; the delivery's
copy of its package's expiry is written when the store's schema has that column.
Usage: python3 fill_store.py LIAISON_DB HISTORY QUEUED
"""
import os
import sqlite3
import sys
import time

path, history, queued = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
db = sqlite3.connect(path)
columns = {row[1] for row in db.execute("PRAGMA table_info(delivery)")}
carries_expiry = "package_expires" in columns
body = os.urandom(1100)
now = int(time.time())
total = history + queued
with db:
    for i in range(total):
        package_id = os.urandom(16).hex()
        created = now - total + i
        expires = created + 10 * 86400
        db.execute("INSERT INTO outbox_package (id, size, created, expires, tlp, markings, body) VALUES (?, ?, ?, ?, 'GREEN', 'TLP:GREEN', ?)",
                   (package_id, len(body), created, expires, body))
        delivered = i < history
        row = {"package_id": package_id, "peer": "bob", "state": "delivered" if delivered else "queued", "attempts": 1,
               "next_attempt": created if delivered else now + 3600, "delivered_at": created if delivered else None}
        if carries_expiry:
            row["package_expires"] = expires
        db.execute(f"INSERT INTO delivery ({', '.join(row)}) VALUES ({', '.join('?' * len(row))})", tuple(row.values()))
print(f"  filled: {history} delivered and {queued} queued packages"
      f"{'' if carries_expiry else ' (a store from before deliveries carried their expiry)'}")
