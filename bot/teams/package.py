"""The Teams app package: manifest.json and two icons in a zip, to upload in Teams or the Developer Portal.

Slack reads manifest.yml; Teams needs this zip instead. Its command menu and its message actions ("More
actions" on a message) are built from the router, so a new capability's command or shortcut shows up
without editing anything here.
"""

from __future__ import annotations

import io
import json
import re
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Annotated, Any

import typer

from bot.teams.icons import color_icon, outline_icon

SCHEMA = "https://developer.microsoft.com/json-schemas/teams/v1.17/MicrosoftTeams.schema.json"
MANIFEST_VERSION = "1.17"
SCOPES = ("personal", "team", "groupChat")
# Teams' limits: at most 10 commands in a list, titles up to 32 characters, descriptions up to 128.
MAX_COMMANDS = 10
TITLE_MAX = 32
DESCRIPTION_MAX = 128
COMMAND_ID_MAX = 64  # a message extension command's id
ACCENT = "#2C3E50"  # the Slack app's background colour
HELP = ("help", "what tsqa can do, and how to use each command")
GUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", re.IGNORECASE)
HOST = re.compile(r"^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*(:\d+)?$", re.IGNORECASE)
SHORT_DESCRIPTION = "Queue digests, policy answers, knowledge checks and escalations for T&S QA teams."
FULL_DESCRIPTION = (
    "tsqa-bot helps Trust & Safety QA teams run outsourced labelling vendors from Teams: a morning "
    "digest of queue output against target (SLA, handle time, quality, backlog), policy answers with "
    "citations and policy cascades with acknowledgement, knowledge checks before go-live, and "
    "escalation threads with R&D and BPO contacts that are followed until fixed."
)


class PackageError(ValueError):
    """The package cannot be built as asked; the message says what to pass instead."""


@dataclass(frozen=True)
class Command:
    """One entry of the Teams command menu: choosing it inserts `title` into the compose box."""

    title: str
    description: str


@dataclass(frozen=True)
class Developer:
    name: str
    website: str
    privacy: str
    terms: str

    @classmethod
    def at(cls, host: str | None) -> Developer:
        """The publisher block Teams requires; it points at the bot's own host when one is given."""
        base = f"https://{host or 'tsqa.example.com'}"
        return cls("tsqa-bot", f"{base}/", f"{base}/privacy", f"{base}/terms")


def _clip(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def command_menu(commands: Iterable[tuple[str, str]]) -> list[Command]:
    """(name, summary) pairs as menu entries within Teams' limits, `help` always last."""
    entries = [Command(_clip(n, TITLE_MAX), _clip(s, DESCRIPTION_MAX)) for n, s in commands if n != HELP[0]]
    return entries[: MAX_COMMANDS - 1] + [Command(*HELP)]


def message_actions(shortcuts: Iterable[tuple[str, str, str]]) -> list[dict[str, Any]]:
    """(name, label, description) of router shortcuts as message-extension action commands: offered in
    a message's "More actions", their dialog fetched from the bot (`composeExtension/fetchTask`)."""
    actions = []
    for name, label, description in shortcuts:
        if len(name) > COMMAND_ID_MAX:
            raise PackageError(f"the shortcut name {name!r} is over Teams' {COMMAND_ID_MAX} characters")
        actions.append(
            {
                "id": name,
                "type": "action",
                "title": _clip(label, TITLE_MAX),
                "description": _clip(description or label, DESCRIPTION_MAX),
                "context": ["message"],
                "fetchTask": True,
            }
        )
    return actions[:MAX_COMMANDS]


def app_id_or_refuse(app_id: str | None) -> str:
    """The Teams app ID as a lower-case GUID, or a PackageError saying where to get one."""
    if not app_id or not app_id.strip():
        raise PackageError(
            "no Teams app ID: pass --app-id or set TEAMS_APP_ID to the Microsoft App ID of the bot's "
            "Azure Bot registration (Azure portal → the bot → Configuration), a GUID"
        )
    if not GUID.match(app_id.strip()):
        raise PackageError(
            f"the Teams app ID {app_id!r} is not a GUID like xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx: use the "
            "Microsoft App ID of the bot's Azure Bot registration"
        )
    return app_id.strip().lower()


def host_or_refuse(host: str | None) -> str | None:
    """A bare host name for validDomains; a pasted URL is reduced to its host."""
    if host is None:
        return None
    bare = re.sub(r"^[a-z]+://", "", host.strip(), flags=re.IGNORECASE).split("/", 1)[0]
    if not HOST.match(bare):
        raise PackageError(f"--host {host!r} is not a host name like tsqa.example.com")
    return bare.lower()


def installed_version() -> str:
    """The version Teams shows and compares on update: the installed tsqa-bot's."""
    try:
        return version("tsqa-bot")
    except PackageNotFoundError:  # running from a checkout that was never installed
        return "0.1.0"


def manifest(
    app_id: str | None,
    commands: Iterable[tuple[str, str]],
    *,
    app_version: str,
    host: str | None = None,
    shortcuts: Iterable[tuple[str, str, str]] = (),
) -> dict[str, Any]:
    """The manifest.json of the Teams app; `app_id` is both the Teams app ID and the bot's ID.
    `shortcuts`: (name, label, description) of the router's message shortcuts."""
    bot_id = app_id_or_refuse(app_id)
    domain = host_or_refuse(host)
    developer = Developer.at(domain)
    menu = [{"title": c.title, "description": c.description} for c in command_menu(commands)]
    made: dict[str, Any] = {
        "$schema": SCHEMA,
        "manifestVersion": MANIFEST_VERSION,
        "version": app_version,
        "id": bot_id,
        "developer": {
            "name": developer.name,
            "websiteUrl": developer.website,
            "privacyUrl": developer.privacy,
            "termsOfUseUrl": developer.terms,
        },
        "name": {"short": "tsqa", "full": "tsqa-bot"},
        "description": {"short": SHORT_DESCRIPTION, "full": FULL_DESCRIPTION},
        "icons": {"color": "color.png", "outline": "outline.png"},
        "accentColor": ACCENT,
        "bots": [
            {
                "botId": bot_id,
                "scopes": list(SCOPES),
                "supportsFiles": True,  # queue-data CSVs sent in a personal chat
                "isNotificationOnly": False,
                "commandLists": [{"scopes": [scope], "commands": menu} for scope in SCOPES],
            }
        ],
        "validDomains": [domain] if domain else [],
    }
    if actions := message_actions(shortcuts):
        made["composeExtensions"] = [{"botId": bot_id, "commands": actions}]
    return made


def build_package(
    app_id: str | None,
    commands: Iterable[tuple[str, str]],
    *,
    app_version: str,
    host: str | None = None,
    shortcuts: Iterable[tuple[str, str, str]] = (),
) -> bytes:
    """The zip Teams accepts: the three files at its root, with fixed dates so a rebuild is identical."""
    made = manifest(app_id, commands, app_version=app_version, host=host, shortcuts=shortcuts)
    files = {
        "manifest.json": json.dumps(made, indent=2, ensure_ascii=False).encode(),
        "color.png": color_icon(ACCENT),
        "outline.png": outline_icon(),
    }
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            archive.writestr(zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0)), data)
    return out.getvalue()


teams_app = typer.Typer(no_args_is_help=True, help="Microsoft Teams: the app package to upload.")


@teams_app.command("package")
def package_command(
    out: Annotated[Path, typer.Option("--out", help="Where to write the zip.")] = Path("tsqa-teams.zip"),
    app_id: Annotated[
        str | None, typer.Option("--app-id", help="The bot's Microsoft App ID (default: TEAMS_APP_ID).")
    ] = None,
    host: Annotated[
        str | None, typer.Option("--host", help="The bot's public host name, for validDomains.")
    ] = None,
) -> None:
    """Write the Teams app package (manifest.json and icons) to upload in Teams → Apps → Manage your apps."""
    from bot.config import Settings
    from handlers import collect

    router = collect()
    commands = [(spec.name, spec.summary) for spec in router.commands.values()]
    shortcuts = [(s.name, s.label, s.description) for s in router.shortcuts.values()]
    try:
        data = build_package(
            app_id or Settings().teams_app_id,
            commands,
            app_version=installed_version(),
            host=host,
            shortcuts=shortcuts,
        )
    except PackageError as exc:
        typer.echo(f"Cannot build the Teams package: {exc}", err=True)
        raise typer.Exit(2) from None
    out.write_bytes(data)
    shown = len(command_menu(commands))
    typer.echo(f"wrote {out} ({shown} commands in the menu); upload it in Teams → Apps → Manage your apps")
