"""The Slack manifest asks for exactly the scopes the code's Web API calls and events need."""

import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]

# Slack's documented scope for each method the bot may call; None: the method needs none.
# conversations.history/.replies need the history scope of each conversation type read: the bot
# reads only where it posts (keyed posts are looked up after an uncertain failure).
METHOD_SCOPES: dict[str, set[str] | None] = {
    "auth_test": None,
    "chat_postMessage": {"chat:write"},
    "chat_update": {"chat:write"},
    "chat_postEphemeral": {"chat:write"},
    "chat_getPermalink": None,
    "conversations_open": {"im:write"},
    "conversations_info": {"channels:read", "groups:read"},
    "conversations_members": {"channels:read", "groups:read"},
    "conversations_history": {"channels:history", "groups:history", "im:history"},
    "conversations_replies": {"channels:history", "groups:history", "im:history"},
    "usergroups_users_list": {"usergroups:read"},
    "users_list": {"users:read"},
    "files_info": {"files:read"},
    "files_upload_v2": {"files:write"},
    "views_open": None,
    "views_publish": None,
}
EVENT_SCOPES = {
    "app_mention": {"app_mentions:read"},
    "app_home_opened": set(),
    "file_shared": {"files:read"},
    "message.im": {"im:history"},
}
FAMILIES = "auth|bots|chat|conversations|dnd|emoji|files|pins|reactions|reminders|team|usergroups|users|views"
# `port.call("chat_postMessage", …)` or a client's method, called or passed on.
CALL = re.compile(rf"""call\(\s*"(\w+)"|\.(?:client|reader|writer)\.((?:{FAMILIES})_\w+)""")


def methods_called() -> set[str]:
    found: set[str] = set()
    for path in [*ROOT.glob("bot/**/*.py"), *ROOT.glob("handlers/**/*.py")]:
        if "bot/local" in path.as_posix():  # the Slack stand-in answers these methods, it calls none
            continue
        for match in CALL.finditer(path.read_text()):
            found.add(match.group(1) or match.group(2))
    return found


def test_manifest_scopes_are_what_the_code_calls_and_nothing_more() -> None:
    manifest = yaml.safe_load((ROOT / "manifest.yml").read_text())
    called = methods_called()
    assert {"chat_postMessage", "files_upload_v2", "conversations_history"} <= called  # the grep works
    unknown = called - METHOD_SCOPES.keys()
    assert not unknown, f"add the scopes of {unknown} to METHOD_SCOPES (and the manifest)"
    needed = {"commands"}.union(*(METHOD_SCOPES[m] or set() for m in called))
    events = manifest["settings"]["event_subscriptions"]["bot_events"]
    needed = needed.union(*(EVENT_SCOPES[e] for e in events))
    assert sorted(manifest["oauth_config"]["scopes"]["bot"]) == sorted(needed)


def test_the_manifest_lists_exactly_the_registered_shortcuts_as_message_shortcuts() -> None:
    from handlers import collect

    manifest = yaml.safe_load((ROOT / "manifest.yml").read_text())
    listed = {s["callback_id"]: s for s in manifest["features"]["shortcuts"]}
    registered = collect().shortcuts
    assert "escalate_message" in registered  # the grep works: the escalation capability registers one
    assert sorted(listed) == sorted(registered), "manifest.yml's features.shortcuts must match the router"
    for spec in registered.values():
        assert listed[spec.name] == {
            "name": spec.label,
            "type": "message",
            "callback_id": spec.name,
            "description": spec.description,
        }


def test_the_manifest_lists_exactly_the_registered_slash_commands() -> None:
    """A command the router has but Slack does not know never reaches the bot; one Slack knows but
    the router lacks answers "unknown command"."""
    from handlers import collect

    manifest = yaml.safe_load((ROOT / "manifest.yml").read_text())
    listed = {c["command"].lstrip("/") for c in manifest["features"]["slash_commands"]}
    assert listed == set(collect().commands)
