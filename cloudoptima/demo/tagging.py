"""Plant the tagging gaps: about 15 % of cost-bearing resources miss a required tag."""

from __future__ import annotations

import random

from cloudoptima.demo.catalog import REQUIRED_TAGS
from cloudoptima.demo.estate import Estate, Resource
from cloudoptima.demo.ledger import Ledger

UNTAGGED_SHARE = 0.15
# Roles kept fully tagged so that no other rule's verdict depends on tags.
ALWAYS_TAGGED = frozenset({"reserved", "asr"})


def cost_bearing(estate: Estate, ledger: Ledger) -> list[Resource]:
    """Return the listed resources billed more than zero over the last 30 days."""
    billed = {id(line.resource) for line in ledger.lines}
    return [
        resource
        for resource in estate.listed
        if id(resource) in billed and ledger.last_days(resource) > 0
    ]


def plant_tag_gaps(estate: Estate, ledger: Ledger) -> list[Resource]:
    """Remove one to three required tags from a deterministic sample; return the sample."""
    rng = random.Random(f"tags-{estate.seed}")
    candidates = sorted(
        (r for r in cost_bearing(estate, ledger) if r.role not in ALWAYS_TAGGED),
        key=lambda resource: resource.id.lower(),
    )
    chosen = rng.sample(candidates, round(UNTAGGED_SHARE * len(candidates)))
    for resource in sorted(chosen, key=lambda r: r.id.lower()):
        missing = rng.sample(REQUIRED_TAGS, rng.choice((1, 1, 1, 2, 3)))
        for tag in missing:
            resource.tags.pop(tag, None)
    return chosen
