"""tsqa-bot on Teams for teams_load.py: what `tsqa run` starts for a Teams workspace, from the same
environment (TSQA_WORKSPACE, TEAMS_*, DATABASE_URL, HOST, PORT), until SIGTERM.

The one difference: the bot's outbound token for the connector is made locally, as the e2e harness
does, because signing in to Microsoft with TEAMS_APP_PASSWORD needs the internet. Inbound tokens are
validated for real, against TEAMS_OPENID_METADATA_URL.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bare_teams_app import connector_token  # noqa: E402

from bot.app import TsqaBot  # noqa: E402
from bot.config import Settings  # noqa: E402
from bot.logs import setup_logging  # noqa: E402
from bot.workspace import load_workspace  # noqa: E402

if __name__ == "__main__":
    settings = Settings()
    if missing := settings.missing_teams():
        sys.exit(f"missing {', '.join(missing)}")
    workspace = load_workspace(settings.tsqa_workspace)
    setup_logging(settings.log_level, settings.secrets())
    asyncio.run(TsqaBot(settings, workspace, teams_token=connector_token).run_until_signalled())
