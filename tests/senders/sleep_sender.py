"""A pipeline that never returns, to exercise the adapter timeout.

--pidfile PATH   write "<own pid> <process group> <child pid or 0>" to PATH once running
--child          start a child that sleeps forever too (it must die with the group)
--ignore-term    ignore SIGTERM (inherited by the child), so only SIGKILL ends them
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--pidfile")
    parser.add_argument("--child", action="store_true")
    parser.add_argument("--ignore-term", action="store_true")
    args = parser.parse_args()
    if args.ignore_term:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)  # an ignored signal survives exec
    child_pid = 0
    if args.child:
        code = "import time\nwhile True: time.sleep(60)\n"
        child_pid = subprocess.Popen([sys.executable, "-c", code]).pid
    if args.pidfile:
        with open(args.pidfile + ".tmp", "w") as stream:
            stream.write(f"{os.getpid()} {os.getpgid(0)} {child_pid}\n")
        os.replace(args.pidfile + ".tmp", args.pidfile)
    print("sleep_sender: sleeping", flush=True)
    while True:
        time.sleep(60)


if __name__ == "__main__":
    main()
