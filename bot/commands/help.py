"""`/align help COMMAND`: the usage of one command and a line or two on what it does.

Prompt and labeler commands share one `/align`, so both have topics here; the usage lines
themselves live with each parser, so a topic always shows the syntax the parser accepts.
"""

from __future__ import annotations

from bot.commands.labelers import (
    EXPERTS_HELP,
    THRESHOLD_HELP,
    TRAINING_USAGE,
    UPLOAD_TRAIN_USAGE,
)
from bot.commands.prompts import MAX_CANDIDATES, USAGE

_ABOUT: dict[str, tuple[str, ...]] = {
    "new": (
        "Creates a prompt. Write the parts that change between runs as `{variables}` in braces.",
        "Leave the template out to write it in a form.",
    ),
    "edit": (
        "Saves a new version of a prompt's template; earlier versions stay in its history.",
        "Leave the template out to change the current one in a form.",
    ),
    "list": ("Every prompt and labeler of this workspace, with its current version.",),
    "show": (
        "A prompt's current template, variables and principles; for a labeler, its principles, "
        "last scorecard and accuracy plot.",
    ),
    "run": (
        "Runs a prompt; its answer goes in a thread, where reactions and replies become "
        'feedback. Quote values with spaces: `topic="ice cream"`.',
        f"`--n` asks for up to {MAX_CANDIDATES} answers; missing variables open a form.",
    ),
    "export": ("The prompt as JSON that the `alignment` library can load.",),
    "principles": ("The principles that feedback on the prompt's answers has gathered so far.",),
    "apply": (
        "Folds the principles into the template and saves the result as a new version.",
        "With `--compare` the new version is kept aside (runs go on using the current one) and "
        "compared with it on the saved examples; a *Make current* button on the result makes it "
        "current.",
    ),
    "examples": (
        'The saved inputs of a prompt, each with an optional ideal answer (`ideal="..."`): '
        "list them, add one, or remove one by id. Also added by *Save as example* in a run's "
        "answer's *Feedback* menu or its shortcuts (a rewrite given in that thread becomes its "
        "ideal), or by "
        "uploading a CSV whose columns are the variables (and `ideal`) with the message "
        "`@alignbot examples NAME`.",
    ),
    "compare": (
        "Runs two versions (default: the current one against the newest) on every saved "
        "example in the background; the alignment model judges each pair by the prompt's "
        "principles, in both orders. The result says where B is better, worse or tied, which "
        "principles decided, and comes with a CSV of every example.",
    ),
    "revise": ("Rewrites the template as your feedback asks, as a new version.",),
    "history": (
        "Every version of a prompt: who changed what, and when; and every deletion of its name, "
        "with the id that restores it.",
    ),
    "rollback": (
        "Makes an earlier version current again (for prompts and labelers); nothing is lost.",
    ),
    "delete": ("Deletes a prompt after asking; `/align restore NAME` brings it back.",),
    "restore": (
        "Brings back a deleted prompt with its history. A name deleted more than once has a "
        "deletion for each time: `/align history NAME` lists them with their ids; give one to "
        "restore it, or none for the latest.",
        "The name must be free: delete the prompt that has it now first (it can be restored "
        "later too).",
    ),
    "promote": (
        "Puts a label (`production` unless you name another, e.g. `staging`) on a version. "
        "Applications reading the prompt API by label get that version from then on.",
        "A label is on one version at a time; the channel hears of the move, with a button "
        "that moves the label back.",
    ),
    "config": (
        "Saves a new version that runs with these model settings: `model` (a spec such as "
        "`openai:llama3.1`), `temperature` (0 to 2), `max_tokens`. `setting=default` goes back "
        "to the workspace default. Without settings, shows the current ones.",
    ),
    "apikey": (
        "Keys for applications to read this workspace's prompts over HTTP "
        "(`GET /api/v1/prompts/NAME?label=production`). A new key is shown once, privately; "
        "only its hash is kept. `revoke` stops it at once.",
    ),
    "help": ("Every command. `/align help COMMAND` explains one, e.g. `/align help run`.",),
    "train": (
        "Opens a form for a labelled CSV and trains a labeler from it in the background; "
        "settings typed after the name are filled in, the label and input columns are "
        f"chosen from the file's header. {THRESHOLD_HELP} {EXPERTS_HELP}",
        f"Or upload the CSV with the message `{UPLOAD_TRAIN_USAGE}`.",
    ),
    "cancel": (
        "Stops a labeler's running training (the last finished step is kept), or a prompt's "
        "running comparison (nothing is changed), like its Cancel button.",
    ),
    "notify": (
        "Where accuracy notices go, and when: at the end of a training, and after a step when "
        "accuracy moves by `delta` or crosses `target`. Without settings, shows the current ones.",
    ),
    "label": (
        "The labeler's answer for one example. Upload a CSV with the message "
        '"@alignbot label NAME" to label every row.',
    ),
}

TOPICS = frozenset(_ABOUT)


def topic_help(topic: str) -> str | None:
    """Usage and description of command ``topic``; None when there is no such command."""
    about = _ABOUT.get(topic)
    usage = USAGE.get(topic) or TRAINING_USAGE.get(topic)
    if about is None or usage is None:
        return None
    return "\n".join((f"Usage: `{usage}`", *about))
