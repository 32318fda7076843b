"""Typed settings, read from the environment with the prefix ``C360_``."""

from __future__ import annotations

from enum import StrEnum
from functools import lru_cache
from pathlib import Path

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

# Development only: a production deployment must set C360_SECRET_KEY (checked below).
_DEVELOPMENT_SECRET = "c360-development-secret-do-not-use-in-production"


class Environment(StrEnum):
    DEVELOPMENT = "development"
    TEST = "test"
    PRODUCTION = "production"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="C360_", extra="ignore")

    environment: Environment = Environment.DEVELOPMENT
    database_url: str = "sqlite+aiosqlite:///./c360.db"
    # Key for the keyed hashes of national ids and tokens: the hashes are only
    # as private as this key.
    secret_key: SecretStr = SecretStr(_DEVELOPMENT_SECRET)
    database_pool_size: int = Field(default=10, ge=1, le=200)
    database_echo: bool = False
    # Demo customers loaded by `c360 serve --demo` into an empty database.
    demo_customers: int = Field(default=2_000, ge=1)
    demo_seed: int = 42
    log_level: str = "info"
    # Query limits (c360.graphql.limits): checked before execution, after validation.
    max_query_depth: int = Field(default=12, ge=1, le=100)
    max_query_aliases: int = Field(default=30, ge=0)
    max_query_tokens: int = Field(default=2_000, ge=10)
    max_root_fields: int = Field(default=10, ge=1)
    # The default budget of an operation's estimated cost; a token may carry its own.
    query_cost_budget: int = Field(default=100_000, ge=1)
    # Answer valid queries through cached plans and the direct executor
    # (c360.graphql.compiled); off, every request runs through graphql-core.
    compiled_queries: bool = True
    # Requests per token in any window of this many seconds (0 turns the limiter off).
    rate_limit_requests: int = Field(default=1_200, ge=0)
    rate_limit_window_seconds: float = Field(default=60.0, gt=0)
    # Shares the rate-limit budget between workers and hosts; unset, each worker counts alone.
    redis_url: str | None = None

    # Authentication (c360.auth). A verified opaque token is remembered in process for
    # this long: a revocation made by another process takes effect within it (one made
    # in the same process at once). 0 looks every request up in the database.
    token_cache_seconds: float = Field(default=2.0, ge=0, le=60)
    # The identity provider's public keys (a JWKS document), from a file or the variable
    # itself. Never fetched over the network: rotate keys by updating it and restarting.
    # Without one, JWTs are refused and only c360 tokens are accepted.
    jwks_file: Path | None = None
    jwks: str | None = None
    # Required claims of every accepted JWT; both must be set when a key set is.
    jwt_issuer: str | None = None
    jwt_audience: str | None = None
    # Clock skew allowed between the identity provider and us, for exp, nbf and iat.
    jwt_leeway_seconds: int = Field(default=30, ge=0, le=300)

    @model_validator(mode="after")
    def _refuse_default_secret_in_production(self) -> Settings:
        if (
            self.environment is Environment.PRODUCTION
            and self.secret_key.get_secret_value() == _DEVELOPMENT_SECRET
        ):
            raise ValueError("C360_SECRET_KEY must be set in production")
        return self

    @model_validator(mode="after")
    def _require_issuer_and_audience_with_a_key_set(self) -> Settings:
        if self.jwks_file is not None and self.jwks is not None:
            raise ValueError("set C360_JWKS_FILE or C360_JWKS, not both")
        if self.jwt_enabled and not (self.jwt_issuer and self.jwt_audience):
            raise ValueError("a JWT key set needs C360_JWT_ISSUER and C360_JWT_AUDIENCE")
        return self

    @property
    def jwt_enabled(self) -> bool:
        """Whether JWTs are accepted: a public key set is configured."""
        return self.jwks_file is not None or self.jwks is not None

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


@lru_cache
def get_settings() -> Settings:
    """The process-wide settings, read once from the environment."""
    return Settings()
