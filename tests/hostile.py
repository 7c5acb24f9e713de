"""A demo workspace whose imported names are hostile: Markdown images and links, HTML.

What an attacker can put in an inventory or cost export (a resource or group name, a
service name, a tag key or value, a subscription name) must reach the screen as those
characters: never as an image the browser fetches, a link, or markup.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from cloudoptima import Workspace
from cloudoptima.storage.sql import quote_literal

EVIL_HOST = "evil.invalid"
PIXEL = f"![x](http://{EVIL_HOST}/pixel.png)"
LOGIN = f"[Click here to log in again](http://{EVIL_HOST}/login)"
MARKUP = f"<img src=http://{EVIL_HOST}/h.png><b>bold</b>"
RESOURCE = f"vm {PIXEL}"  # vm-sbx-ml-01, an idle VM with a finding
GROUP = LOGIN  # its resource group
SERVICE = f"Azure Data Factory {PIXEL}"  # the service with the demo's biggest spike
SUBSCRIPTION = f"Dev-Test {LOGIN}"
TAG_VALUE = MARKUP  # team of vm-sbx-ml-01 and of the data factories' cost rows
TAG_KEY = f"{PIXEL}key"
HOSTILE = (PIXEL, LOGIN, MARKUP)


def _tags(column: str, team: str) -> str:
    """SQL: ``column`` with team set to ``team`` and the hostile key added."""
    patch = quote_literal('{"team": ' + _json(team) + ", " + _json(TAG_KEY) + ': "x"}')
    return f"json_merge_patch(coalesce({column}, '{{}}'), {patch})"


def _json(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def hostile_workspace(demo: Workspace, target: Path) -> Workspace:
    """A copy of the demo whose names, groups, services and tags are hostile."""
    shutil.copytree(demo.root, target, ignore=shutil.ignore_patterns("demo-source", "raw"))
    ws = Workspace.open(target)
    vm = "name = 'vm-sbx-ml-01'"
    with ws.store.write() as tx:
        con = tx.con
        con.execute(
            f"""UPDATE resources SET name = {quote_literal(RESOURCE)},
                       resource_group = {quote_literal(GROUP)},
                       tags = {_tags("tags", TAG_VALUE)}::JSON WHERE {vm}"""
        )
        con.execute(
            f"""UPDATE costs SET ServiceName = {quote_literal(SERVICE)},
                       x_ResourceGroupName = {quote_literal(GROUP)},
                       Tags = {_tags("Tags", TAG_VALUE)}::JSON
                WHERE ServiceName = 'Azure Data Factory'"""
        )
        con.execute(
            f"""UPDATE costs SET SubAccountName = {quote_literal(SUBSCRIPTION)}
                WHERE SubAccountName = 'Contoso Pharma Dev-Test'"""
        )
    ws.ingest([])  # the findings of the changed data are stored with the next write
    return ws
