"""A pipeline that fails: some output on both streams, then exit status 3."""

from __future__ import annotations

import sys

if __name__ == "__main__":
    print("crash_sender: starting")
    print("crash_sender: loading the campaign", file=sys.stderr)
    print("crash_sender: SMTP relay refused the connection", file=sys.stderr)
    sys.exit(3)
