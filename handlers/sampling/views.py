"""What `/sampling` shows: a plan, a sample size, the help with the configured plans. Neutral chat
model; the figures come from plans.py and cochran.py, never computed here."""

from __future__ import annotations

from bot.chat.model import ContextLine, Header, Markup, Message, Part, Text, channel, command, md
from bot.workspace import Workspace
from handlers.sampling.cochran import CochranSize
from handlers.sampling.iso2859 import TABLES
from handlers.sampling.plans import Plan

PLAN_USAGE = (
    "sampling plan --lot N --aql A [--level I|II|III|S-1…S-4] [--inspection normal|tightened|reduced]"
)
SIZE_USAGE = "sampling size --population N --margin E [--confidence C] [--p P]"
EXAMPLES = ("sampling plan 1000 1.0", "sampling size 5000 0.05")


def percent(value: float) -> str:
    """0.05 → 5%, 0.955 → 95.5%: the way people say margins and confidence."""
    return f"{value * 100:g}%"


def plan_message(plan: Plan) -> Message:
    """The plan's figures first, then the arrow followed and the rule, then where it comes from."""
    title = md("Sampling plan: lot {:,}, AQL {:g}, level {}, {} inspection",
               plan.lot, plan.aql, plan.level, plan.inspection)  # fmt: skip
    figures = md("*Code letter* {} · *sample* {:,} · *Ac* {} · *Re* {}",
                 plan.used_letter, plan.sample_size, plan.accept, plan.reject)  # fmt: skip
    # The note says the arrow followed and the accept/reject rule in the tables' words (plans.py).
    arrow = "↪ " if plan.followed_arrow is not None else ""
    lines = [figures, md("{}{}.", arrow, plan.note[0].upper() + plan.note[1:])]
    if plan.inspect_all:
        lines.append(md("⚠️ *Inspect all {:,} items (100%)*: the sample reaches the lot.", plan.lot))
    table = TABLES[plan.inspection][0]
    source = md("ISO 2859-1 (ANSI/ASQ Z1.4) single sampling, Table I and Table {}. "
                "`tsqa sampling plan --lot {} --aql {:g} --level {} --inspection {} --json` prints the same.",
                table, plan.lot, plan.aql, plan.level, plan.inspection)  # fmt: skip
    return Message.of(title, Header(title), Text(md("\n").join(lines)), ContextLine((source,)))


def size_message(size: CochranSize) -> Message:
    """n first, n0 beside it, and the formula with its inputs in the context line."""
    title = md("Sample size: {:,} of {:,}", size.n, size.population)
    figures = md("*n* = {:,} · *n0* = {:.2f}", size.n, size.n0)
    said = md("Audit {:,} of {:,} items to know a proportion within ±{} at {} confidence (p = {:g}).",
              size.n, size.population, percent(size.margin), percent(size.confidence), size.p)  # fmt: skip
    cli = md("tsqa sampling size --population {} --margin {:g} --confidence {:g} --p {:g} --json",
             size.population, size.margin, size.confidence, size.p)  # fmt: skip
    formula = md("Cochran: n0 = z²·p(1−p)/e² with z = {:.3f}; n = n0 / (1 + (n0 − 1)/N), rounded up. "
                 "`{}` prints the same.", size.z, cli)  # fmt: skip
    return Message.of(title, Header(title), Text(md("{}\n{}", figures, said)), ContextLine((formula,)))


def _queue_line(ws: Workspace, queue_id: str, name: str) -> Markup:
    plan = ws.sampling.plan_for(queue_id)
    own = "" if queue_id in ws.sampling.queues else " (the default plan)"
    return md("• *{}*: AQL {:g}, level {}, starts on {} inspection{}", name, plan.aql, plan.level,
              plan.start, own)  # fmt: skip


def help_message(ws: Workspace, *, configured: bool, draw_channel: str | None = None) -> Message:
    """Both commands; for admins and trainers also each queue's configured plan and where the daily
    draw posts (`draw_channel`: None when it posts nowhere)."""
    lines: list[Markup] = [
        md("`{}`: the ISO 2859-1 plan for a lot (code letter, sample size, Ac/Re)", command(PLAN_USAGE)),
        md("`{}`: Cochran's sample size to estimate a proportion", command(SIZE_USAGE)),
        md("For example `{}` or `{}`. Nothing is stored.", command(EXAMPLES[0]), command(EXAMPLES[1])),
    ]
    parts: list[Part] = [Header("Sampling plans"), Text(md("\n").join(lines))]
    if configured:
        settings = ws.sampling
        queues = [_queue_line(ws, q.id, q.name) for q in ws.queues]
        parts.append(Text(md("*Configured plans*\n{}", md("\n").join(queues or [md("No queues yet.")]))))
        if draw_channel is None:
            draw = md("No daily audit draw is posted: give the workspace file's `sampling:` section a "
                      "`channel`.")  # fmt: skip
        else:
            draw = md("Daily audit draw: at {} ({}) in {}, seed {}, at least {} per labeler ({} in nesting).",
                      settings.time, ws.timezone, channel(draw_channel), settings.seed,
                      settings.per_labeler_min, settings.nesting_min)  # fmt: skip
        parts.append(ContextLine((draw,)))
    return Message.of("Sampling plans", *parts)
