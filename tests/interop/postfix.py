"""A throwaway Postfix instance on loopback that relays everything to one loopback port.

Its own config, queue and data directories under a temporary directory; no chroot, no DNS,
no local delivery (mydestination is empty), and `relayhost` pinned to the sink, so nothing it
accepts can leave 127.0.0.1. `stop()` stops the instance it started and nothing else.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from types import TracebackType

# Only the services a relay uses; column 5 ("chroot") is n everywhere: the queue is in /tmp.
MASTER_CF = """\
{listen} inet n - n - - smtpd
pickup    unix  n       -       n       60      1       pickup
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
tlsmgr    unix  -       -       n       1000?   1       tlsmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
proxywrite unix -       -       n       -       1       proxymap
smtp      unix  -       -       n       -       -       smtp
relay     unix  -       -       n       -       -       smtp
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
"""


def sbin(name: str) -> str:
    """Postfix's commands live in /usr/sbin, which a non-login PATH may lack."""
    return shutil.which(name) or shutil.which(name, path="/usr/sbin:/usr/bin") or name


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class PostfixRelay:
    """`with PostfixRelay(sink_port) as relay:` listens on 127.0.0.1:`relay.port`."""

    def __init__(self, relay_to_port: int, *, tls_to_sink: bool = False) -> None:
        self.relay_to_port = relay_to_port
        self.tls_to_sink = tls_to_sink
        self.port = free_port()
        self.root = Path(tempfile.mkdtemp(prefix="mailharness-postfix-"))
        self.root.chmod(0o755)  # the postfix user must reach its queue
        self.config = self.root / "etc"
        self.started = False

    def main_cf(self) -> str:
        settings = {
            "compatibility_level": "3.6",
            "queue_directory": str(self.root / "queue"),
            "data_directory": str(self.root / "data"),
            "mail_owner": "postfix",
            "setgid_group": "postdrop",
            "myhostname": "relay.mailharness.test",
            "mydomain": "mailharness.test",
            "myorigin": "$myhostname",
            "inet_interfaces": "127.0.0.1",
            "inet_protocols": "ipv4",
            "mynetworks": "127.0.0.0/8",
            "mydestination": "",
            "relay_domains": "",
            "local_recipient_maps": "",
            "local_transport": "error:local delivery is disabled",
            "alias_maps": "",
            "alias_database": "",
            "smtpd_relay_restrictions": "permit_mynetworks, reject",
            "relayhost": f"[127.0.0.1]:{self.relay_to_port}",
            "smtp_host_lookup": "native",
            "disable_dns_lookups": "yes",
            "smtputf8_enable": "yes",
            "smtp_tls_security_level": "encrypt" if self.tls_to_sink else "none",
            "biff": "no",
            "maillog_file": str(self.root / "maillog"),
            "maillog_file_prefixes": str(self.root),
            # Retry soon: a refused or deferred message is tried again within seconds.
            "queue_run_delay": "1s",
            "minimal_backoff_time": "1s",
            "maximal_backoff_time": "2s",
            "message_size_limit": str(64 * 1024 * 1024),
        }
        return "".join(f"{key} = {value}\n" for key, value in settings.items())

    def postfix(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sbin("postfix"), "-c", str(self.config), *args],
            capture_output=True,
            text=True,
            timeout=60,
            check=check,
        )

    def start(self) -> PostfixRelay:
        try:
            return self._start()
        except BaseException:
            self.stop()
            raise

    def _start(self) -> PostfixRelay:
        self.config.mkdir()
        (self.root / "queue").mkdir(mode=0o755)  # postfix creates its subdirectories
        (self.config / "main.cf").write_text(self.main_cf())
        (self.config / "master.cf").write_text(MASTER_CF.format(listen=f"127.0.0.1:{self.port}"))
        started = self.postfix("start", check=False)
        if started.returncode != 0:
            raise RuntimeError(f"postfix start failed: {started.stderr.strip()} {self.log()}")
        self.started = True
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return self
            except OSError:
                if time.monotonic() > deadline:
                    message = f"postfix did not listen on {self.port}: {self.log()}"
                    raise RuntimeError(message) from None
                time.sleep(0.1)

    def queue_empty(self) -> bool:
        out = subprocess.run(
            [sbin("postqueue"), "-c", str(self.config), "-j"],
            capture_output=True,
            text=True,
            timeout=30,
            check=True,
        ).stdout
        return not out.strip()

    def wait_queue_empty(self, timeout: float = 120.0) -> None:
        deadline = time.monotonic() + timeout
        while not self.queue_empty():
            if time.monotonic() > deadline:
                raise AssertionError(f"postfix queue not empty after {timeout:g} s:\n{self.log()}")
            time.sleep(0.2)

    def log(self) -> str:
        path = self.root / "maillog"
        return path.read_text(errors="replace")[-4000:] if path.exists() else "(no maillog)"

    def stop(self) -> None:
        if self.started:
            if self.postfix("stop", check=False).returncode != 0:
                self.postfix("abort", check=False)
            self.started = False
        shutil.rmtree(self.root, ignore_errors=True)

    def __enter__(self) -> PostfixRelay:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
