"""Settings common to every Roster service (pydantic-settings, `ROSTER_*` environment variables)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from shared.auth import AcceptedTokens, JwksFetcher, JwksVerifier, TokenCodec, http_jwks
from shared.kafka.security import SASL_PROTOCOLS, TLS_PROTOCOLS, KafkaSecurity

DEV_SIGNING_KEY = "roster-dev-signing-key-do-not-use-in-production"
# A Fernet key (32 bytes, URL-safe base64) for development and tests only: production refuses it.
DEV_CHANNEL_SECRET_KEY = "cm9zdGVyLWRldi1jaGFubmVsLXNlY3JldHMta2V5ISE="


class UnsafeSettingsError(ValueError):
    """Raised when a production deployment would run with a development default."""


class ServiceSettings(BaseSettings):
    """What every service needs: where Kafka and MongoDB are, how tokens are signed, how to log."""

    model_config = SettingsConfigDict(env_prefix="ROSTER_", extra="ignore")

    env: Literal["dev", "test", "prod"] = "dev"
    kafka_bootstrap: str = "127.0.0.1:9092"
    mongodb_url: str = "mongodb://127.0.0.1:27017/"
    # Prefixed to every database name, so that test runs and several stacks can share one store.
    mongodb_db_prefix: str = "roster_"
    kafka_partitions: int = Field(default=6, ge=1)
    kafka_replication_factor: int = Field(default=1, ge=1)
    kafka_consumer_group_prefix: str = "roster."
    # Prefixed to every topic on the wire, so that environments or test runs can share a cluster
    # without reading each other's events; events themselves name the contract topic.
    kafka_topic_prefix: str = Field(default="", pattern=r"^[A-Za-z0-9._-]*$")
    # Secured clusters (shared/kafka/security.py): TLS with a CA (and a client certificate if
    # the cluster asks for one), SASL PLAIN or SCRAM. The same for every client of a service.
    kafka_security_protocol: Literal["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"] = "PLAINTEXT"
    kafka_ssl_cafile: str | None = None
    kafka_ssl_certfile: str | None = None
    kafka_ssl_keyfile: str | None = None
    kafka_ssl_key_password: str | None = None
    kafka_ssl_check_hostname: bool = True
    kafka_sasl_mechanism: Literal["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"] | None = None
    kafka_sasl_username: str | None = None
    kafka_sasl_password: str | None = None
    # Off where the platform provisions topics (the chart's Job, or by hand): a service then
    # checks at start that every topic exists and names those missing.
    kafka_create_topics: bool = True
    # Where the accounts service publishes the keys its access tokens are signed with; set, the
    # services accept those tokens (and, in production, only those).
    auth_jwks_url: str = ""
    # The accounts service: how long an access token lives, and a session before signing in
    # again.
    access_token_ttl_s: int = Field(default=900, ge=60, le=3600)
    session_ttl_days: float = Field(default=30.0, gt=0, le=365)
    # Where requests come through proxies (an ingress): the addresses whose X-Forwarded-For is
    # believed, so that sign-in limits count the client's address, not the proxy's.
    trusted_proxies: str = "127.0.0.1"
    jwt_signing_key: str = DEV_SIGNING_KEY
    jwt_issuer: str = "roster"
    jwt_audience: str = "roster"
    log_level: str = "INFO"
    # None: JSON when stdout is not a terminal (containers), console rendering otherwise.
    log_json: bool | None = None
    host: str = "127.0.0.1"
    outbox_relay_enabled: bool = True
    outbox_poll_interval_s: float = Field(default=0.2, gt=0)
    # Idle, the relay backs off to this; writes in the same process wake it at once.
    outbox_max_idle_s: float = Field(default=1.0, gt=0)
    max_fields_per_org: int = Field(default=250, ge=1)
    max_groups_per_org: int = Field(default=250, ge=1)
    consumer_max_attempts: int = Field(default=3, ge=1)
    # Reading your writes across services (shared/catch_up.py): how long at most a request
    # waits for something another service just created, and how long at least an idle
    # consumer must stay idle to mean "unknown" (more when events have been arriving late).
    catch_up_max_s: float = Field(default=10.0, ge=0)
    catch_up_grace_s: float = Field(default=1.0, ge=0)
    # The importer: where uploads are kept (a volume shared by its replicas), and its limits.
    import_dir: str = ".state/imports"
    import_max_bytes: int = Field(default=200 * 1024 * 1024, ge=1)
    import_max_rows: int = Field(default=1_000_000, ge=1)
    # How long an ended import's error report (failed and skipped rows, with their cells as
    # they were in the file: personal data) is kept; the uploaded file itself goes when the job
    # has read it. 0: deleted as soon as the job ends.
    import_report_retention_days: float = Field(default=30.0, ge=0)
    # Bounds on what an upload may unpack to or parse into, checked before a file becomes a
    # job, so that no file within `import_max_bytes` can exhaust the importer's memory.
    import_max_columns: int = Field(default=1_000, ge=1)
    # The importer holds 1,000 rows at a time (a preview, a batch): these two bound that to
    # some 64 MB even in 4-byte characters. The csv module refuses fields over 1 MiB anyway.
    import_max_cell_chars: int = Field(default=8_192, ge=1, le=1 << 20)
    import_max_row_chars: int = Field(default=16_384, ge=1)
    import_max_unzipped_bytes: int = Field(default=1 << 30, ge=1)
    import_max_compression_ratio: float = Field(default=100.0, gt=1)
    import_max_zip_entries: int = Field(default=10_000, ge=1)
    import_max_shared_strings_bytes: int = Field(default=256 << 20, ge=1, lt=1 << 32)
    import_max_shared_strings: int = Field(default=8_000_000, ge=1)
    import_max_xml_depth: int = Field(default=64, ge=8)
    import_batch_rows: int = Field(default=1000, ge=1, le=2000)
    # The dispatcher seals channel secrets with these Fernet keys (comma-separated, newest
    # first: it seals with the first and opens with any, so keys rotate). The dispatcher alone
    # refuses the development key in production (the other services never read it).
    channel_secret_keys: str = DEV_CHANNEL_SECRET_KEY
    # The console: where each service answers (`{"contacts": "http://contacts:8000", ...}`; a
    # service not named is looked for on loopback at its default port), and the built web
    # application it serves (default: services/console/web/dist).
    console_upstreams: dict[str, str] = Field(default_factory=dict)
    console_assets_dir: str = ""
    # How long the dispatcher waits for a provider to take a message before retrying it.
    provider_timeout_s: float = Field(default=10.0, gt=0)

    @property
    def channel_secret_key_list(self) -> list[str]:
        return [key.strip() for key in self.channel_secret_keys.split(",") if key.strip()]

    @model_validator(mode="after")
    def _kafka_security_is_complete(self) -> ServiceSettings:
        protocol = self.kafka_security_protocol
        if protocol in SASL_PROTOCOLS and not (
            self.kafka_sasl_mechanism and self.kafka_sasl_username and self.kafka_sasl_password
        ):
            raise ValueError(
                f"ROSTER_KAFKA_SECURITY_PROTOCOL={protocol} needs ROSTER_KAFKA_SASL_MECHANISM, "
                "ROSTER_KAFKA_SASL_USERNAME and ROSTER_KAFKA_SASL_PASSWORD"
            )
        tls_files = (self.kafka_ssl_cafile, self.kafka_ssl_certfile, self.kafka_ssl_keyfile)
        if protocol not in TLS_PROTOCOLS and any(tls_files):
            raise ValueError(
                f"TLS files are set but ROSTER_KAFKA_SECURITY_PROTOCOL={protocol} does not use TLS"
            )
        if bool(self.kafka_ssl_certfile) != bool(self.kafka_ssl_keyfile):
            raise ValueError("ROSTER_KAFKA_SSL_CERTFILE and ROSTER_KAFKA_SSL_KEYFILE go together")
        return self

    def kafka_security(self) -> KafkaSecurity:
        return KafkaSecurity(
            protocol=self.kafka_security_protocol,
            ca_file=self.kafka_ssl_cafile,
            cert_file=self.kafka_ssl_certfile,
            key_file=self.kafka_ssl_keyfile,
            key_password=self.kafka_ssl_key_password,
            check_hostname=self.kafka_ssl_check_hostname,
            sasl_mechanism=self.kafka_sasl_mechanism,
            username=self.kafka_sasl_username,
            password=self.kafka_sasl_password,
        )

    @model_validator(mode="after")
    def _refuse_unsafe_defaults(self) -> ServiceSettings:
        if self.env == "prod" and self.auth_jwks_url:
            return self  # the shared key is not used: only the accounts service's tokens are
        if self.env == "prod" and self.jwt_signing_key == DEV_SIGNING_KEY:
            raise UnsafeSettingsError(
                "ROSTER_JWT_SIGNING_KEY must be set to a secret value when ROSTER_ENV=prod"
            )
        if self.env == "prod" and len(self.jwt_signing_key) < 32:
            raise UnsafeSettingsError("ROSTER_JWT_SIGNING_KEY must be at least 32 characters")
        return self

    def accepted_tokens(self, jwks: JwksFetcher | None = None) -> AcceptedTokens:
        """The token check of every service's routes: the accounts service's tokens, checked
        against its key set (fetched from `auth_jwks_url`, or by `jwks`), and then those only;
        without a key set, tokens signed with the shared development key (HS256)."""
        fetch = jwks or (http_jwks(self.auth_jwks_url) if self.auth_jwks_url else None)
        if fetch is not None:
            verifier = JwksVerifier(fetch, self.jwt_issuer, self.jwt_audience)
            return AcceptedTokens(jwks=verifier, shared_key=None)
        shared = TokenCodec(self.jwt_signing_key, self.jwt_issuer, self.jwt_audience)
        return AcceptedTokens(jwks=None, shared_key=shared)

    def database_name(self, service: str) -> str:
        return f"{self.mongodb_db_prefix}{service}"

    def consumer_group(self, service: str) -> str:
        return f"{self.kafka_consumer_group_prefix}{service}"


DEFAULT_PORTS: dict[str, int] = {
    "console": 8000,
    "contacts": 8001,
    "groups": 8002,
    "importer": 8003,
    "dispatcher": 8004,
    "flows": 8005,
    "accounts": 8006,
}
