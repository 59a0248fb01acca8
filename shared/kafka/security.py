"""How Roster's Kafka clients reach a secured cluster: TLS (a CA to trust, optionally a client
certificate) and SASL (PLAIN, SCRAM-SHA-256, SCRAM-SHA-512), the same for the producer, the
consumers and the admin client, from the `ROSTER_KAFKA_*` settings.

A cluster that refuses the connection or the credentials is reported once, at start, with what
the client was told (`KafkaUnreachable`), so a wrong password stops a service at once and says
so, instead of surfacing later as a stalled consumer.
"""

from __future__ import annotations

import logging
import ssl
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from aiokafka.errors import KafkaError
from aiokafka.helpers import create_ssl_context

TLS_PROTOCOLS = ("SSL", "SASL_SSL")
SASL_PROTOCOLS = ("SASL_PLAINTEXT", "SASL_SSL")


class KafkaUnreachable(RuntimeError):
    """The cluster could not be reached, or refused this client (TLS or SASL)."""


@dataclass(frozen=True)
class KafkaSecurity:
    protocol: str = "PLAINTEXT"
    ca_file: str | None = None
    cert_file: str | None = None
    key_file: str | None = None
    key_password: str | None = None
    check_hostname: bool = True
    sasl_mechanism: str | None = None
    username: str | None = None
    password: str | None = None

    def options(self) -> dict[str, Any]:
        """Keyword arguments for any aiokafka client."""
        options: dict[str, Any] = {"security_protocol": self.protocol}
        if self.protocol in TLS_PROTOCOLS:
            options["ssl_context"] = self.ssl_context()
        if self.protocol in SASL_PROTOCOLS:
            options.update(
                sasl_mechanism=self.sasl_mechanism,
                sasl_plain_username=self.username,
                sasl_plain_password=self.password,
            )
        return options

    def ssl_context(self) -> ssl.SSLContext:
        context = create_ssl_context(
            cafile=self.ca_file,
            certfile=self.cert_file,
            keyfile=self.key_file,
            password=self.key_password,
        )
        context.check_hostname = self.check_hostname
        return context

    def describe(self) -> str:
        """For messages: how this client connects, never its secrets."""
        if self.protocol in SASL_PROTOCOLS:
            return f"{self.protocol}, {self.sasl_mechanism} as {self.username!r}"
        return self.protocol


PLAINTEXT = KafkaSecurity()


class _Told(logging.Handler):
    """Keeps what aiokafka logs while connecting: why a bootstrap failed (a refused SASL
    handshake, a certificate not trusted) is only ever logged, not raised."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


@contextmanager
def explained_failures(bootstrap: str, security: KafkaSecurity) -> Iterator[None]:
    """Raises `KafkaUnreachable` naming the cluster, how this client connects, and what the
    client was told, in place of aiokafka's bare "unable to bootstrap"."""
    told = _Told()
    logger = logging.getLogger("aiokafka")
    logger.addHandler(told)
    try:
        yield
    except (KafkaError, OSError) as exc:
        reasons = "; ".join(dict.fromkeys(told.messages)) or str(exc)
        raise KafkaUnreachable(
            f"Kafka at {bootstrap} ({security.describe()}) could not be used: {reasons}"
        ) from exc
    finally:
        logger.removeHandler(told)
