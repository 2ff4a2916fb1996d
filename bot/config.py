"""Process settings from the environment and `.env`; secrets stay SecretStr so they never reach a log."""

from __future__ import annotations

import ipaddress
from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

# Any of these set (even empty) means the operator meant Slack: never fall back to the local workspace.
SLACK_VARIABLES = ("slack_bot_token", "slack_signing_secret", "slack_app_token", "slack_api_url")
# The same for Teams. The SDK itself reads CLIENT_ID, CLIENT_SECRET, TENANT_ID, SERVICE_URL and PORT
# (and a .env): the bot never relies on those, it passes every option from these explicitly.
TEAMS_VARIABLES = ("teams_app_id", "teams_app_password", "teams_tenant_id")


def is_loopback(host: str) -> bool:
    """`localhost`, 127.0.0.0/8 or ::1 (bracketed or not); a name that merely resolves there is not."""
    name = host.strip().lower().removeprefix("[").removesuffix("]")
    if name == "localhost":
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    slack_bot_token: SecretStr | None = None
    slack_signing_secret: SecretStr | None = None
    slack_app_token: SecretStr | None = None
    slack_api_url: str = "https://slack.com/api/"
    database_url: str = "sqlite+aiosqlite:///tsqa.db"
    tsqa_workspace: str = "examples/workspace.yml"
    host: str = "0.0.0.0"
    port: int = Field(default=3000, ge=0, le=65535)
    log_level: str = "INFO"

    # Microsoft Teams (Azure Bot registration): app ID, client secret and the tenant it lives in.
    teams_app_id: str | None = None
    teams_app_password: SecretStr | None = None
    teams_tenant_id: str | None = None
    # Where proactive messages go before any activity told the bot its conversation's service URL.
    teams_service_url: str = "https://smba.trafficmanager.net/teams/"
    # Microsoft's cloud: public, usgov, usgovdod or china (sign-in, token issuer, keys, scopes).
    teams_cloud: Literal["public", "usgov", "usgovdod", "china"] = "public"
    # Bot Framework's OpenID metadata (token keys), when it differs from the cloud's: a test's stand-in.
    teams_openid_metadata_url: str | None = None
    # Where files sent in a personal chat may be downloaded from (https; `*.` for any subdomain):
    # OneDrive and SharePoint. A download URL anywhere else is refused, never fetched.
    teams_file_hosts: list[str] = [
        "*.sharepoint.com",
        "*.sharepoint.us",
        "*.sharepoint.cn",
        "*.sharepoint-mil.us",
        "*.svc.ms",
        "*.1drv.ms",
    ]

    @property
    def socket_mode(self) -> bool:
        return self.slack_app_token is not None

    def missing_slack(self) -> list[str]:
        """The variables still needed to talk to Slack in the chosen mode."""
        missing = [] if self.slack_bot_token else ["SLACK_BOT_TOKEN"]
        if not self.socket_mode and not self.slack_signing_secret:
            missing.append("SLACK_SIGNING_SECRET")
        return missing

    def slack_set(self) -> list[str]:
        """The Slack variables given in the environment or `.env`, by name, even when empty."""
        return [name.upper() for name in SLACK_VARIABLES if name in self.model_fields_set]

    def given(self, name: str) -> bool:
        """Whether a setting came from the environment or `.env` rather than its default."""
        return name in self.model_fields_set

    def missing_teams(self) -> list[str]:
        """The variables still needed to talk to Teams."""
        return [name.upper() for name in TEAMS_VARIABLES if not _filled(getattr(self, name))]

    def teams_set(self) -> list[str]:
        return [name.upper() for name in TEAMS_VARIABLES if name in self.model_fields_set]

    def secrets(self) -> list[str]:
        values = [self.slack_bot_token, self.slack_signing_secret, self.slack_app_token]
        values.append(self.teams_app_password)
        return [v.get_secret_value() for v in values if v and v.get_secret_value()]


def _filled(value: object) -> bool:
    if isinstance(value, SecretStr):
        return bool(value.get_secret_value())
    return bool(value)
