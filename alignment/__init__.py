"""alignbot's alignment library: shape LLM prompts from feedback, or train them from labelled data.

The seed library's modules keep their names (``from alignment import single_run, labeler,
model_helper``), so code written for it switches by changing one import; the main classes and
functions are also offered here. Modules and packages whose names start with an underscore are
internal and may change without notice. Every exception the library raises on purpose is an
``AlignmentError`` (see ``alignment.errors`` for the whole tree). ``PromptClient`` fetches the
prompt versions a team approved in Slack from alignbot's prompt API.
"""

from __future__ import annotations

from alignment import data, errors, labeler, model_helper, prompt_client, single_run
from alignment.data import DatasetError, DatasetLimits, load_dataset, split_dataset
from alignment.errors import AlignmentError
from alignment.labeler import (
    DEFAULT_HPARAMS,
    Labeler,
    LabelerCheckpoint,
    delete_attribute_from_checkpoint,
    get_attribute_for_id,
    get_attributes_for_label,
    print_checkpoint,
    print_prediction,
)
from alignment.model_helper import (
    GeminiModelHelper,
    GemmaModelHelper,
    ModelHelper,
    OpenAICompatibleModelHelper,
    model_from_spec,
)
from alignment.prompt_client import PromptClient, ServedPrompt
from alignment.single_run import AlignableSingleRun, ConstitutionalPrompt, ConversationTurn

__all__ = [
    "DEFAULT_HPARAMS",
    "AlignableSingleRun",
    "AlignmentError",
    "ConstitutionalPrompt",
    "ConversationTurn",
    "DatasetError",
    "DatasetLimits",
    "GeminiModelHelper",
    "GemmaModelHelper",
    "Labeler",
    "LabelerCheckpoint",
    "ModelHelper",
    "OpenAICompatibleModelHelper",
    "PromptClient",
    "ServedPrompt",
    "data",
    "delete_attribute_from_checkpoint",
    "errors",
    "get_attribute_for_id",
    "get_attributes_for_label",
    "labeler",
    "load_dataset",
    "model_from_spec",
    "model_helper",
    "print_checkpoint",
    "print_prediction",
    "prompt_client",
    "single_run",
    "split_dataset",
]
