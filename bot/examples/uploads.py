"""Examples from an uploaded CSV: a file shared with the message `@alignbot examples NAME`.

The upload listeners (``bot.labelers.uploads``) claim each upload once and hand over the ones
whose text says ``examples``; here the file is downloaded within the upload cap and read by the
library (``alignment.compare.read_examples``), then every row is checked and kept, or none.
"""

from __future__ import annotations

from alignment.compare import read_examples
from alignment.errors import DatasetError
from bot.commands.prompts import check_prompt_name
from bot.commands.text import CommandSyntaxError, resolve_text, split_first_word, text_after_mention
from bot.examples.handlers import add_examples
from bot.examples.store import NewExample
from bot.labelers.intake import UPLOAD_MAX_BYTES, IntakeRefusal, fetch_upload
from bot.prompts.store import PromptStore, PromptStoreError
from bot.services import Services
from bot.slack import blocks as block_kit
from bot.slack.blocks import Message
from bot.slack.origin import Origin

EXAMPLES_WORD = "examples"


def examples_upload_text(raw: str, bot_user_id: str | None) -> str | None:
    """What follows ``examples`` in a message that starts with the bot's mention and that word;
    None for any other message."""
    rest = text_after_mention(raw, bot_user_id)
    if rest is None:
        return None
    word, after = split_first_word(rest)
    return after.strip() if resolve_text(word).lower() == EXAMPLES_WORD else None


def add_from_upload(services: Services, origin: Origin, text: str, file_id: str) -> Message:
    """Read the uploaded CSV as examples of the prompt ``text`` names; the message to post."""
    usage = "@alignbot examples NAME (with a CSV file whose columns are the variables)"
    word, rest = split_first_word(text)
    try:
        if not word or rest.strip():
            raise CommandSyntaxError("Name one prompt after `examples`.", usage)
        name = check_prompt_name(resolve_text(word), usage)
    except CommandSyntaxError as error:
        return block_kit.error(error.explain())
    try:
        record = PromptStore(services.redis, origin.workspace).current(name)
        _, data = fetch_upload(services, origin.workspace, file_id)
        rows = read_examples(data, record.variables, UPLOAD_MAX_BYTES)
    except (PromptStoreError, IntakeRefusal, DatasetError) as error:
        return block_kit.error(f"The examples were not added: {error}")
    if not rows:
        return block_kit.error("The file has no rows under its header; nothing was added.")
    examples = [NewExample(dict(row.values), row.ideal) for row in rows]
    return add_examples(services, origin, name, examples, "upload")
