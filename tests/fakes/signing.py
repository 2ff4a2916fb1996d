"""Slack's inbound requests for tests: signed headers and bodies shaped exactly as Slack sends them.

One implementation serves the product and the tests: it lives in `bot.local.outbound`, where the local
workspace uses it to talk to the bot. The signature there is computed with hmac/hashlib so tests check
the bot's verifier against an independent implementation rather than against slack_sdk's own.
"""

from bot.local.outbound import (
    API_APP_ID,
    BOT_USER_ID,
    FORM,
    JSON,
    TEAM_DOMAIN,
    TEAM_ID,
    VERIFICATION_TOKEN,
    block_actions_body,
    event_body,
    headers_for,
    message_action_body,
    new_trigger_id,
    sign,
    signed_headers,
    slash_command_body,
    view_closed_body,
    view_submission_body,
)

__all__ = [
    "API_APP_ID",
    "BOT_USER_ID",
    "FORM",
    "JSON",
    "TEAM_DOMAIN",
    "TEAM_ID",
    "VERIFICATION_TOKEN",
    "block_actions_body",
    "event_body",
    "headers_for",
    "message_action_body",
    "new_trigger_id",
    "sign",
    "signed_headers",
    "slash_command_body",
    "view_closed_body",
    "view_submission_body",
]
