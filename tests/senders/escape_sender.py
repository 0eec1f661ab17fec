"""A pipeline that leaves a daemon behind: it forks, the child calls setsid and forks again,
and the grandchild (out of the command's process group and session, an orphan once its
parent exits) keeps stdout open and sleeps. It must not outlive the run.

--pidfile PATH   write the grandchild's pid to PATH once it runs
--stay           the command itself then sleeps too (for the timeout)
--ignore-term    the grandchild ignores SIGTERM, so only SIGKILL ends it
"""

from __future__ import annotations

import argparse
import os
import signal
import time


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--pidfile", required=True)
    parser.add_argument("--stay", action="store_true")
    parser.add_argument("--ignore-term", action="store_true")
    args = parser.parse_args()
    read, write = os.pipe()
    if os.fork() == 0:
        os.setsid()
        if os.fork() == 0:
            if args.ignore_term:
                signal.signal(signal.SIGTERM, signal.SIG_IGN)
            with open(args.pidfile + ".tmp", "w") as stream:
                stream.write(f"{os.getpid()}\n")
            os.replace(args.pidfile + ".tmp", args.pidfile)
            print("escape_sender: escaped", flush=True)
            os.write(write, b"x")
            while True:
                time.sleep(60)
        os._exit(0)
    os.read(read, 1)  # the grandchild runs (and has written its pid)
    if args.stay:
        while True:
            time.sleep(60)


if __name__ == "__main__":
    main()
