"""Process settings from the environment and `.env`; secrets stay SecretStr so they never reach a log."""

from __future__ import annotations

import ipaddress

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

# Any of these set (even empty) means the operator meant Slack: never fall back to the local workspace.
SLACK_VARIABLES = ("slack_bot_token", "slack_signing_secret", "slack_app_token", "slack_api_url")


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

    def secrets(self) -> list[str]:
        values = [self.slack_bot_token, self.slack_signing_secret, self.slack_app_token]
        return [v.get_secret_value() for v in values if v and v.get_secret_value()]
