"""Test doubles: request bodies and signatures as Slack sends them (the Web API fake is bot.local.webapi)."""
