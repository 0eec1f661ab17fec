"""Python's own clients at load: aiosmtplib (asyncio) and smtplib (threads), over verified
STARTTLS with AUTH, many messages per connection and many connections at once."""

from __future__ import annotations

import asyncio
import hashlib
import smtplib
import threading

import aiosmtplib
import pytest

from harness.sink.protocol import Credentials, SinkProtocol
from harness.sink.server import CaptureSink
from harness.sink.tls import TlsIdentity
from tests.sink.conftest import trusting

pytestmark = pytest.mark.slow

ACCOUNT = Credentials("district", "pw")
CLIENTS, PER_CLIENT = 16, 12


def secure(tls: TlsIdentity) -> SinkProtocol:
    return SinkProtocol(tls=tls, require_tls=True, credentials=ACCOUNT, auth_required=True)


def body(client: int, n: int) -> bytes:
    text = f"Subject: c{client} m{n}\r\nFrom: office@school.example.org\r\n\r\n"
    return (text + f"client {client} message {n} é\r\n" * (1 + n * 7)).encode()


def assert_all_once(sink: CaptureSink) -> None:
    assert sink.wait_idle(grace=0.05, timeout=10)
    captured = sink.messages()
    expected = {
        hashlib.sha256(body(c, n)).hexdigest() for c in range(CLIENTS) for n in range(PER_CLIENT)
    }
    digests = [hashlib.sha256(m.raw).hexdigest() for m in captured]
    assert len(digests) == len(set(digests)) == CLIENTS * PER_CLIENT
    assert set(digests) == expected
    assert {(m.tls, m.auth_user) for m in captured} == {(True, "district")}
    assert sink.connections_seen == CLIENTS


def test_aiosmtplib_concurrent_clients(tls_identity: TlsIdentity) -> None:
    async def one(port: int, client: int) -> None:
        smtp = aiosmtplib.SMTP(
            hostname="127.0.0.1",
            port=port,
            start_tls=True,
            tls_context=trusting(tls_identity),
            username=ACCOUNT.user,
            password=ACCOUNT.password,
        )
        async with smtp:
            for n in range(PER_CLIENT):
                errors, _ = await smtp.sendmail(
                    "office@school.example.org",
                    [f"c{client}@example.com", f"m{n}@example.net"],
                    body(client, n),
                    mail_options=["BODY=8BITMIME"],
                )
                assert errors == {}

    async def all_clients(port: int) -> None:
        await asyncio.gather(*(one(port, c) for c in range(CLIENTS)))

    with CaptureSink(protocol=secure(tls_identity)) as sink:
        asyncio.run(all_clients(sink.port))
        assert_all_once(sink)


def test_aiosmtplib_smtputf8(tls_identity: TlsIdentity) -> None:
    raw = "Subject: Vacunas: José\r\n\r\nQuerida familia Núñez\r\n".encode()

    async def send(port: int) -> None:
        async with aiosmtplib.SMTP(
            hostname="127.0.0.1", port=port, start_tls=True, tls_context=trusting(tls_identity)
        ) as smtp:
            await smtp.sendmail(
                "oficina@escuela.example",
                ["josé@exämple.test"],
                raw,
                mail_options=["SMTPUTF8", "BODY=8BITMIME"],
            )

    with CaptureSink(protocol=SinkProtocol(tls=tls_identity)) as sink:
        asyncio.run(send(sink.port))
    [message] = sink.messages()
    assert (message.raw, message.rcpt_tos, message.tls) == (raw, ("josé@exämple.test",), True)


def test_smtplib_threads(tls_identity: TlsIdentity) -> None:
    errors: list[BaseException] = []

    def one(port: int, client: int) -> None:
        try:
            with smtplib.SMTP("127.0.0.1", port, timeout=30) as smtp:
                smtp.starttls(context=trusting(tls_identity))
                smtp.login(ACCOUNT.user, ACCOUNT.password)
                for n in range(PER_CLIENT):
                    smtp.sendmail(
                        "office@school.example.org",
                        [f"c{client}@example.com", f"m{n}@example.net"],
                        body(client, n),
                    )
        except BaseException as err:  # reported below, in the test's thread
            errors.append(err)

    with CaptureSink(protocol=secure(tls_identity)) as sink:
        threads = [threading.Thread(target=one, args=(sink.port, c)) for c in range(CLIENTS)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        assert errors == []
        assert_all_once(sink)
