"""``cloudoptima ask``: a question in plain language, answered from the workspace."""

from __future__ import annotations

import click

from cloudoptima.cli.base import main, open_workspace
from cloudoptima.cli.output import render


@main.command()
@click.argument("question")
@click.option(
    "--format", "fmt", type=click.Choice(("text", "json")), default="text", show_default=True
)
@click.pass_context
def ask(ctx: click.Context, question: str, fmt: str) -> None:
    """Answer QUESTION (LLM when configured, else the offline engine), with its SQL and table.

    JSON: an object with answer, sql, table (row objects), chart and engine.
    """
    answer = open_workspace(ctx).ask(question)
    if fmt == "json":
        click.echo(answer.to_json())
        return
    click.echo(answer.full_text)
    if not answer.table.is_empty():
        money = tuple(c for c, t in answer.table.schema.items() if t.is_float() or t.is_decimal())
        click.echo("\n" + render(answer.table, "table", money=money))
    if answer.sql:
        click.echo(f"\nSQL ({answer.engine} engine):\n{answer.sql}")
    else:
        click.echo(f"\n({answer.engine} engine)")
