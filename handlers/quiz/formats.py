"""One entry for a bank file, from `tsqa quiz import` or a DM upload: the format from the file's name,
UTF-8 text, and limits that keep a bad upload from costing the bot much.

`.yml`/`.yaml` native YAML, `.gift` GIFT, `.aiken` Aiken, `.csv` CSV; a `.txt` file is Aiken when it
has `ANSWER:` lines and no GIFT answer braces `{…}`, GIFT when it has braces. Aiken, GIFT and CSV
questions that no topic places go to `topic`, or else to a topic named after the file (`tools.aiken`
→ `tools`); a YAML file names its own topic.
"""

from __future__ import annotations

import re
from pathlib import PurePath

from handlers.quiz.aiken import parse_aiken
from handlers.quiz.bank import BankError, ImportedBank, slug
from handlers.quiz.csvbank import parse_csv
from handlers.quiz.native import parse_yaml

MAX_BYTES = 1024 * 1024
MAX_QUESTIONS = 2000
FORMATS = {".yml": "yaml", ".yaml": "yaml", ".gift": "gift", ".aiken": "aiken", ".csv": "csv", ".txt": "txt"}
_AIKEN_ANSWER = re.compile(r"^[ \t]*ANSWER[ \t]*:", re.MULTILINE)
_GIFT_BLOCK = re.compile(r"(?<!\\)\{[^{}]*(?<!\\)\}")


def parse_bank(filename: str, data: bytes, *, topic: str | None) -> ImportedBank:
    """Every question of an uploaded bank file; BankError when it cannot be read at all or is too big."""
    name = PurePath(filename).name
    kind = FORMATS.get(PurePath(name).suffix.lower())
    if kind is None:
        known = ", ".join(FORMATS)
        raise BankError([f"{name}: not a bank file this bot reads ({known})"])
    if len(data) > MAX_BYTES:
        raise BankError([f"{name}: {len(data):,} bytes; a bank file is at most 1 MB (split it by topic)"])
    text = _decode(name, data)
    if kind == "txt":
        kind = _sniff(name, text)
    if kind != "yaml":  # the other formats may leave questions unplaced
        topic = topic or slug(PurePath(name).stem, "default")
    bank = _parse(kind, name, text, topic)
    count = sum(len(questions) for questions in bank.topics.values()) + len(bank.skipped)
    if count > MAX_QUESTIONS:
        raise BankError([f"{name}: {count:,} questions; a bank file holds at most {MAX_QUESTIONS:,}"])
    if count == 0:
        raise BankError([f"{name}: no questions found"])
    return bank


def _decode(name: str, data: bytes) -> str:
    """UTF-8, with or without the BOM a spreadsheet adds; anything else says what it looks like."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise BankError([f"{name}: the file is UTF-16; save it as UTF-8"])
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        # the position is in the bytes after any BOM
        line = exc.object[: exc.start].count(b"\n") + 1
        byte = exc.object[exc.start : exc.start + 1].hex()
        raise BankError([f"{name}: line {line}: not UTF-8 text (byte 0x{byte}); save it as UTF-8"]) from None
    if "\x00" in text:
        line = text[: text.index("\x00")].count("\n") + 1
        raise BankError([f"{name}: line {line}: a NUL byte, so not a text file"])
    return text


def _sniff(name: str, text: str) -> str:
    # Aiken first: an Aiken question may show braces, a GIFT file has no reason to start a line with ANSWER:
    if _AIKEN_ANSWER.search(text):
        return "aiken"
    if _GIFT_BLOCK.search(text):
        return "gift"
    raise BankError([f"{name}: a .txt bank is GIFT (answers in {{…}}) or Aiken (ANSWER: lines), not this"])


def _parse(kind: str, name: str, text: str, topic: str | None) -> ImportedBank:
    if kind == "gift":
        from handlers.quiz.gift import parse_gift  # the GIFT parser is the largest; loaded when needed

        return parse_gift(text, topic=topic, source=name)
    parser = {"yaml": parse_yaml, "aiken": parse_aiken, "csv": parse_csv}[kind]
    return parser(text, topic=topic, source=name)
