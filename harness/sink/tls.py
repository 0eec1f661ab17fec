"""The sink's TLS identity: a certificate and key, generated at start or given by path.

A generated certificate is self-signed, valid for a day, and names every loopback spelling a
client may use (`127.0.0.1`, `::1`, `localhost`) plus the sink's own hostname, so a client
that trusts the file (`cert_file` as its CA file) can verify the name it connected to.
"""

from __future__ import annotations

import datetime
import ipaddress
import ssl
from dataclasses import dataclass
from pathlib import Path

from harness.errors import SinkError

__all__ = ["TlsIdentity", "generate_self_signed", "load_identity"]

_LOOPBACK_NAMES = ("localhost",)
_LOOPBACK_IPS = ("127.0.0.1", "::1")


@dataclass(frozen=True)
class TlsIdentity:
    cert_file: Path  # PEM; for a self-signed one also the CA file a client trusts
    key_file: Path  # PEM, unencrypted
    generated: bool = False

    def server_context(self) -> ssl.SSLContext:
        """A server-side context for STARTTLS; SinkError if the files do not load."""
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        try:
            context.load_cert_chain(self.cert_file, self.key_file)
        except (OSError, ssl.SSLError) as err:
            reason = getattr(err, "strerror", None) or getattr(err, "reason", None) or str(err)
            raise SinkError(
                f"cannot load the TLS certificate {self.cert_file} with key {self.key_file}: "
                f"{reason}"
            ) from None
        return context


def load_identity(cert_file: Path, key_file: Path) -> TlsIdentity:
    """A certificate and key given by path, checked now so a bad file fails before serving."""
    identity = TlsIdentity(Path(cert_file), Path(key_file))
    identity.server_context()
    return identity


def generate_self_signed(directory: Path, hostname: str) -> TlsIdentity:
    """Write `sink-cert.pem` and `sink-key.pem` into `directory` (which the caller owns)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, hostname)])
    now = datetime.datetime.now(datetime.timezone.utc)
    alt_names: list[x509.GeneralName] = [x509.DNSName(hostname)]
    alt_names += [x509.DNSName(n) for n in _LOOPBACK_NAMES]
    alt_names += [x509.IPAddress(ipaddress.ip_address(ip)) for ip in _LOOPBACK_IPS]
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName(alt_names), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .sign(key, hashes.SHA256())
    )
    directory.mkdir(parents=True, exist_ok=True)
    cert_file, key_file = directory / "sink-cert.pem", directory / "sink-key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.touch(mode=0o600)
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return TlsIdentity(cert_file, key_file, generated=True)
