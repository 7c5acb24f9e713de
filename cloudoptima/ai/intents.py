"""What a question asks for, read deterministically: an intent, periods, filters, a dimension.

A follow-up ("and the month before?", "what about storage?", "and by resource group?")
starts from the question before it and changes only what it names, so the offline
engine can follow a conversation without remembering anything but the questions.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import date, timedelta

from cloudoptima.ai.dates import Period, find_periods, month_period
from cloudoptima.ai.entities import Catalog, Filter, Matcher, normalise

Intent = str  # total | top | trend | compare | increase | forecast | savings | untagged | count

# Rule ids of the findings catalogue and the words that name them, most specific first.
RULE_WORDS: tuple[tuple[str, str], ...] = (
    ("idle_vm", r"idle\s+(?:vms?|virtual\s+machines?|compute)"),
    ("rightsize_vm", r"right[\s-]?siz|oversized|resiz|downsiz"),
    ("stopped_vm_not_deallocated", r"stopped(?!.*\bdeallocated\s+for)|not\s+deallocated"),
    ("long_deallocated_vm", r"deallocated"),
    ("underused_premium_disk", r"premium\s+disks?"),
    ("unattached_disk", r"unattached|detached|orphaned\s+disks?"),
    ("old_snapshot", r"snapshots?"),
    ("orphaned_public_ip", r"public\s+ips?|ip\s+address"),
    ("orphaned_nic", r"\bnics?\b|network\s+interfaces?"),
    ("idle_load_balancer", r"load\s+balancers?"),
    ("idle_app_gateway", r"gateways?"),
    ("empty_app_service_plan", r"empty\s+(?:app\s+service\s+)?plans?"),
    ("underused_app_service_plan", r"(?:underused|underutili[sz]ed)\s+(?:app\s+service\s+)?plans?"),
    ("storage_tiering", r"tiering|cool\s+tier|archive\s+tier|hot\s+tier"),
    ("idle_sql_database", r"idle\s+(?:sql\s+)?databases?"),
    ("reservation_candidate", r"reservations?|reserved\s+instances?|commitments?"),
)
_SAVINGS = r"\bsav(?:e|es|ed|ing|ings)\b|\bwaste|\brecommendations?\b|\bidle\b|\bunattached\b|\borphan|\bright[\s-]?siz|\boversized\b|\bunderused\b|\boptimi[sz]|\bcleanup\b|\bclean up\b"
_FORECAST = r"\bforecast|\bproject(?:ed|ion)\b|\bpredict|\bwill\s+(?:we|it|i)\s+(?:spend|cost|pay)|\bgoing\s+to\s+(?:spend|cost)|\bend\s+of\s+(?:the\s+)?month\b|\bmonth[\s-]end\b|\bexpected\s+(?:spend|cost)|\bon\s+(?:course|track)\b|\bnext\s+month\b"
_UNTAGGED = r"\buntagged\b|\bnot\s+tagged\b|\bwithout\s+(?:a\s+|an\s+|any\s+)?tags?\b|\bmissing\s+(?:a\s+)?tags?\b|\bno\s+tags?\b|\bwithout\s+(?:a|an)\s+\w+\s+tag\b|\bmissing\s+(?:a|an|the)\s+\w+\s+tag\b"
_COMPARE = r"\bcompare|\bcompared\b|\bvs\.?\b|\bversus\b|\bagainst\b|\bmonth\s+over\s+month\b"
_INCREASE = r"\bincreas|\bgrew\b|\bgrow|\bwent\s+up\b|\brose\b|\brising\b|\bjump|\bbiggest\s+changes?\b|\bmovers?\b|\bgo(?:ne)?\s+up\b"
_TREND = r"\btrend|\bdaily\b|\bper\s+day\b|\bby\s+day\b|\beach\s+day\b|\bday\s+by\s+day\b|\bover\s+time\b|\bweekly\b|\bper\s+week\b|\bby\s+week\b|\bmonthly\b|\bper\s+month\b|\bby\s+month\b|\beach\s+month\b|\bover\s+the\s+(?:last|past)\b|\bhistory\b"
_TOP = r"\btop\b|\bbiggest\b|\blargest\b|\bmost\s+expensive\b|\bhighest\b|\bcost(?:s)?\s+the\s+most\b|\bspen[dt]\s+the\s+most\b|\bmost\b|\branking\b|\bbreakdown\b|\bbroken\s+down\b|\bsplit\b"
_COUNT = r"\bhow\s+many\b|\bnumber\s+of\b|\bcount\s+of\b"
_TOTAL = r"\bhow\s+much\b|\bspen[dt]\b|\bspending\b|\bcost(?:s|ing)?\b|\btotal\b|\bbill(?:ed)?\b|\bpa(?:y|id)\b|\bcharges?\b|\bwhat\s+did\b"
_FOLLOW_UP = r"^(?:and|what\s+about|how\s+about|same|also|now|then|or|what\s+of|for)\b"
_DIMENSIONS: tuple[tuple[str, str], ...] = (
    ("resource_group", r"resource\s+groups?|\brgs?\b"),
    ("subscription_name", r"subscriptions?|\bsubs\b"),
    ("service_category", r"(?:service\s+)?categor(?:y|ies)"),
    ("service_name", r"services?"),
    ("region", r"regions?|locations?"),
    ("resource_type", r"resource\s+types?|\btypes?\b"),
    ("resource_name", r"resources?|\bvms\b|virtual\s+machines|\bdisks\b|\bmachines\b"),
)
_DIMENSION_CUE = r"\b(?:by|per|each|top|which|what|most|largest|biggest|highest|across|between)\b"
_NUMBERS = {"three": 3, "five": 5, "ten": 10, "twenty": 20, "one": 1, "two": 2, "four": 4}
DEFAULT_TOP = 10


@dataclass(frozen=True)
class Query:
    """A question read into its parts; the offline engine turns it into SQL."""

    intent: Intent | None
    periods: tuple[Period, ...] = ()
    filters: tuple[Filter, ...] = ()
    dimension: str | None = None  # a daily_costs column, or "tag:KEY"
    top: int = DEFAULT_TOP
    grain: str = "day"
    metric: str = "effective_cost"
    rule: str | None = None
    listing: bool = False
    missing_tag: str | None = None
    unknown: str | None = None
    shift_back: bool = False  # "the month before": move the conversation's period back
    next_month: bool = False


def read_question(text: str, catalog: Catalog, context: Query | None = None) -> Query:
    """``text`` read against the data's names; a follow-up extends ``context``."""
    clean = normalise(text)
    found = find_periods(clean, catalog.last_day)
    matcher = Matcher(catalog, clean)
    filters = matcher.run()
    rest = _blank(clean, [*matcher.used, *(f.span for f in found)])
    query = Query(
        intent=_intent(clean),
        periods=tuple(f.period for f in found if f.period is not None),
        filters=tuple(filters),
        dimension=_dimension(rest, catalog),
        top=_top(clean),
        grain=_grain(clean),
        metric="billed_cost"
        if re.search(r"\bbilled\b|\binvoiced?\b|\bactual\s+cost", clean)
        else "effective_cost",
        rule=_rule(clean),
        listing=bool(re.search(r"\b(?:list|show|which|what\s+are|find|name)\b", clean)),
        missing_tag=_missing_tag(clean, catalog),
        unknown=_unknown_subject(rest),
        shift_back=any(f.period is None for f in found),
        next_month=bool(re.search(r"\bnext\s+month\b", clean)),
    )
    if context is not None and _is_follow_up(clean, query):
        return _merge(context, query)
    return query


def _blank(text: str, spans: list[tuple[int, int]]) -> str:
    chars = list(text)
    for start, end in spans:
        chars[start:end] = " " * (end - start)
    return "".join(chars)


def _intent(text: str) -> Intent | None:
    if re.search(_FORECAST, text):
        return "forecast"
    if re.search(_UNTAGGED, text):
        return "untagged"
    if re.search(_SAVINGS, text) or _rule(text):
        return "savings"
    if re.search(_COUNT, text) and not re.search(r"\bhow\s+much\b", text):
        return "count"
    if re.search(_COMPARE, text):
        return "compare"
    if re.search(_INCREASE, text):
        return "increase"
    if re.search(_TREND, text):
        return "trend"
    if re.search(_TOP, text):
        return "top"
    if re.search(_TOTAL, text):
        return "total"
    return None


def _rule(text: str) -> str | None:
    if not re.search(_SAVINGS + r"|\blist\b|\bwhich\b|\bshow\b", text):
        return None
    return next((rule for rule, words in RULE_WORDS if re.search(words, text)), None)


def _dimension(rest: str, catalog: Catalog) -> str | None:
    candidates: list[tuple[int, str, bool]] = []
    for column, pattern in _DIMENSIONS:
        for match in re.finditer(pattern, rest):
            cue = re.search(_DIMENSION_CUE, rest[max(0, match.start() - 30) : match.start()])
            plural = match.group().endswith("s") or column == "resource_group"
            candidates.append((match.start(), column, bool(cue) or plural))
    for key in catalog.tags:
        words = re.escape(key.lower()) + ("|environments?" if key.lower() == "env" else "")
        words += "|cost\\s+cent(?:er|re)s?" if key.lower() == "costcenter" else ""
        for match in re.finditer(
            rf"\b(?:by|per|each)\s+(?:tag\s+)?(?:{words}|{re.escape(key.lower())}s)\b", rest
        ):
            candidates.append((match.start(), f"tag:{key}", True))
    cued = sorted((c for c in candidates if c[2]), key=lambda c: c[0])
    return cued[0][1] if cued else None


def _top(text: str) -> int:
    match = re.search(
        r"\b(?:top|biggest|largest|highest|first)\s+(\d{1,3}|three|five|ten|twenty|one|two|four)\b",
        text,
    )
    if not match:
        return DEFAULT_TOP
    word = match.group(1)
    return max(1, min(100, _NUMBERS.get(word) or int(word)))


def _grain(text: str) -> str:
    if re.search(r"\bmonthly\b|\bper\s+month\b|\bby\s+month\b|\beach\s+month\b", text):
        return "month"
    if re.search(r"\bweekly\b|\bper\s+week\b|\bby\s+week\b|\beach\s+week\b", text):
        return "week"
    return "day"


def _missing_tag(text: str, catalog: Catalog) -> str | None:
    match = re.search(r"\b(?:without|missing|no)\s+(?:a\s+|an\s+|the\s+)?([\w-]+)\s+tags?\b", text)
    if not match:
        return None
    word = {"environment": "env", "cost": "costcenter"}.get(match.group(1), match.group(1))
    return next((k for k in catalog.tags if k.lower() == word), None)


# Words a question may hold that name no subject of the data.
_KNOWN = frozenset(
    """a an the of on for in at to by per each and or with without from our my we us i me you it is
    are was were be been do did does have has had how much many what which who whose where when
    show list find give tell total cost costs costing spend spent spending spends money bill billed
    invoice paid pay charges charge amount sum top biggest largest most highest expensive all every
    month months day days week weeks year years quarter quarters today yesterday daily weekly monthly
    this last past previous next current so far date over time trend trends compare compared versus vs
    increase increases increased biggest change changes growth grew up down forecast projected will
    going save saving savings can could should idle unattached untagged tags tag tagged missing
    service services subscription subscriptions resource resources group groups rg rgs region regions
    type types category categories please about than there that those these them only just per cent
    percent effective actual amortized amortised cloud azure everything overall whole entire our
    workspace data be get got spend? number count running stopped deallocated before after same also
    now then latest recently recent period periods end start breakdown broken split ranking rank""".split()  # noqa: SIM905  (a word list reads better as text)
)


def _unknown_subject(rest: str) -> str | None:
    for match in re.finditer(r"\b(?:on|for|of|about)\s+((?:[\w\-.]+\s*){1,3})", rest):
        words = [w for w in match.group(1).split() if w not in _KNOWN and not w.isdigit()]
        if words:
            return " ".join(words)
    return None


def _is_follow_up(text: str, query: Query) -> bool:
    if re.search(_FOLLOW_UP, text):
        return True
    return query.intent is None and bool(
        query.periods or query.filters or query.dimension or query.shift_back
    )


def _merge(context: Query, new: Query) -> Query:
    """The context query changed by what the follow-up names."""
    periods = new.periods or context.periods
    if new.shift_back and context.periods:
        periods = tuple(p.before() for p in context.periods)
    intent = new.intent if new.intent not in (None, "total") else context.intent
    if new.dimension and intent in ("total", None):
        intent = "top"
    return replace(
        context,
        intent=intent,
        periods=periods,
        filters=new.filters or context.filters,
        dimension=new.dimension or context.dimension,
        top=new.top if new.top != DEFAULT_TOP else context.top,
        rule=new.rule or context.rule,
        unknown=new.unknown,
        shift_back=False,
    )


def default_period(query: Query, last: date) -> Period:
    """The period a question means when it names none (said in the answer)."""
    if query.intent == "trend":
        if query.grain == "month":
            return month_period(_months_back(last, 11), 12).clipped(last)
        days = 84 if query.grain == "week" else 30
        return Period(last - timedelta(days=days - 1), last, f"the last {days} days", "days", days)
    period = month_period(last).clipped(last)
    return replace(period, label=f"{period.label} to date")


def _months_back(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 - months
    return date(index // 12, index % 12 + 1, 1)
