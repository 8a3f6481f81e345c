"""The whole Redis key layout, in one place.

Every key that holds a workspace's data starts with that workspace's namespace, built from the
request being served (team, plus enterprise on Enterprise Grid), so code that serves one
workspace has no way to spell a key of another. Parts that come from people (prompt names,
labeler names) are escaped, so a name containing ``:`` cannot reach into a neighbouring key.

Layout (``{ns}`` is ``alignbot:ws:{enterprise or -}:{team}``)::

    {ns}:names                                hash  name -> "prompt" | "labeler"
    {ns}:prompt:{name}                        hash  current version, created by/at, ...
    {ns}:prompt:{name}:versions               list  append-only JSON prompt versions
    {ns}:prompt:{name}:principles             str   JSON principles (compare-and-set)
    {ns}:prompt:{name}:principle-log          list  JSON notes: what each version changed
    {ns}:prompt:{name}:undone                 set   versions whose change has been undone
    {ns}:prompt:{name}:examples               hash  example id -> JSON saved example
    {ns}:prompt:{name}:examples-next          str   the number of the next example id
    {ns}:prompt:{name}:labels                 hash  label (production, ...) -> version number
    {ns}:deleted:{name}                       list  JSON records of deletions of that name
    {ns}:deleted:{name}:{deletion}:{part}     any   a deleted prompt's keys, kept for restoring
    {ns}:offer:{channel}:{ts}:{user}:{emoji}  hash  suggested reasons offered for one reaction
    {ns}:awaiting-rewrite:{channel}:{thread}:{user}  str  JSON run asked to be rewritten by a reply
    {ns}:audit                                list  append-only JSON audit log (who, what, when)
    {ns}:budget:user:{user}                   str   model calls this person started (window TTL)
    {ns}:budget:workspace                     str   model calls the workspace started (window TTL)
    {ns}:budget:apikey:{name}                 str   prompt API requests of one key (window TTL)
    {ns}:apikeys                              hash  API key name -> JSON (hash, made by, when)
    {ns}:run:{run_id}                         str   JSON run (prompt, version, variables, answer)
    {ns}:thread:{channel}:{thread_ts}         str   run id of the run posted in that thread
    {ns}:answer:{channel}:{ts}                str   JSON pointer from an answer message to its run
    {ns}:pending:{token}                      str   JSON state behind buttons/modals (with TTL)
    {ns}:labeler:{name}                       hash  labeler metadata
    {ns}:labeler:{name}:checkpoints           list  append-only JSON checkpoints
    {ns}:labeler:{name}:training              str   id of the labeler's running training
    {ns}:labeler:{name}:cache:{scope}:{hash}  str   a model answer cached for training (TTL)
    {ns}:dataset:{dataset_id}                 str   JSON uploaded training data (TTL)
    {ns}:dataset-sizes                        hash  dataset id -> bytes, for the workspace limit
    {ns}:training:{run_id}                    str   JSON state of one training run
    {ns}:training:{run_id}:lease              str   owner of the running step (TTL, heartbeat)
    {ns}:training:{run_id}:cancel             str   set when someone cancels the run
    {ns}:training:{run_id}:progress           str   when the progress message was last edited
    {ns}:training:{run_id}:posted             hash  closing message kind -> its ts (TTL)
    {ns}:upload:{file_id}                     str   JSON facts about an uploaded CSV
    {ns}:job:{job_id}                         str   JSON progress of a background job
    {ns}:compare:{compare_id}                 str   JSON state and summary of one comparison
    {ns}:compare:{compare_id}:cancel          str   set when someone cancels the comparison
    {ns}:compare:{compare_id}:lease           str   owner of the running comparison (TTL, heartbeat)
    {ns}:compare:{compare_id}:progress        str   when the progress message was last edited
    {ns}:compare-answer:{request_hash}        str   a model answer cached for comparisons (TTL)
    {ns}:seen:event:{event_id}                str   apply-once marker (TTL)
    {ns}:seen:message:{channel}:{ts}          str   apply-once marker (TTL)
    {ns}:seen:file:{file_id}                  str   apply-once marker (TTL)
    {ns}:seen:{kind}:{id}                     str   apply-once markers of other kinds (TTL)

Outside every namespace, only pointers (no workspace data)::

    alignbot:trainings:active                 set   JSON {team, enterprise, run} of live runs
    alignbot:comparisons:active               set   JSON {team, enterprise, compare} of live ones
    alignbot:ratelimit:model:{spec}           zset  times of recent requests to one model (TTL)
    alignbot:metrics:{family}                 hash  deployment-wide metric counts (no ids)
    alignbot:apikey:{sha256 of the key}       str   JSON {team, enterprise, name}: whose key it is

Installations (OAuth mode, ``bot.installs``), outside the workspaces' namespaces because a
workspace's data outlives its installation by the uninstall grace period::

    alignbot:install:{e}:{t}:bot              str   JSON latest bot of a workspace or org (tokens)
    alignbot:install:{e}:{t}:bot-history      list  JSON earlier bots, newest first (capped)
    alignbot:install:{e}:{t}:installation     str   JSON latest installation
    alignbot:install:{e}:{t}:installer:{user} str   JSON latest installation by that person
    alignbot:install:{e}:{t}:history          list  JSON earlier installations, newest first
    alignbot:install:{e}:{t}:refreshing       str   held while a process refreshes the token
    alignbot:oauth-state:{digest}             str   an issued OAuth state, single-use (TTL)
    alignbot:uninstalled                      zset  JSON {enterprise, team} -> when uninstalled

(``{e}`` and ``{t}`` are the enterprise and team ids, ``-`` when absent: an org-wide install
has no team.)

And one queue in transit, whose entries name their own workspace::

    alignbot:events:queue                     list  Events API deliveries acked, not yet taken
    alignbot:events:processing:{consumer}     list  deliveries one event process took, unfinished
    alignbot:events:consumers                 zset  event processes by id, scored by last beat
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from slack_bolt.request.internals import extract_enterprise_id, extract_team_id

PREFIX = "alignbot"
# Lets any worker find the runs to watch over without scanning every workspace's keys.
ACTIVE_TRAININGS_KEY = f"{PREFIX}:trainings:active"
# The same for comparisons, so the reaper finds one whose worker died.
ACTIVE_COMPARISONS_KEY = f"{PREFIX}:comparisons:active"
# Every bot process queues the events it acks here and any event process may apply them, so
# the queue is one for the deployment; each entry is a Slack delivery that names its team.
EVENT_QUEUE_KEY = f"{PREFIX}:events:queue"
EVENT_CONSUMERS_KEY = f"{PREFIX}:events:consumers"
# What each event process has taken and not finished, under the process's id (made by the
# process, never from a request): moved back to the queue when that process is gone.
EVENT_PROCESSING_PREFIX = f"{PREFIX}:events:processing:"
# The RQ queue of training steps (RQ adds its own ``rq:queue:`` prefix).
TRAINING_QUEUE = "alignbot-training"


# Which workspaces were uninstalled and when; their data is removed after the grace period.
UNINSTALLED_KEY = f"{PREFIX}:uninstalled"


def install_key(enterprise_id: str | None, team_id: str | None, *parts: str) -> str:
    """A key of the installation of one workspace, or of an org (``team_id`` None)."""
    owner = [escape_part(enterprise_id) if enterprise_id else "-"]
    owner.append(escape_part(team_id) if team_id else "-")
    return ":".join([PREFIX, "install", *owner, *(escape_part(part) for part in parts)])


def oauth_state_key(digest: str) -> str:
    """An issued OAuth state, stored under a digest of its value (never the value itself)."""
    return f"{PREFIX}:oauth-state:{escape_part(digest)}"


def namespace_of(enterprise_id: str | None, team_id: str | None) -> str:
    """The key prefix of one workspace's data, or of every workspace of an org when
    ``team_id`` is None (what an org-wide uninstall leaves behind)."""
    if team_id:
        return Workspace(team_id, enterprise_id).namespace
    if not enterprise_id:
        raise UnknownWorkspaceError("an org-wide namespace needs an enterprise id")
    return f"{PREFIX}:ws:{escape_part(enterprise_id)}"


def is_bookkeeping(key: str) -> bool:
    """True for keys about how the deployment runs (metric counts, which event processes are
    alive, model calls spent against budgets), which change without anyone storing anything."""
    # Budget counters too: they count what was spent, and expire with their window.
    return key.startswith(f"{PREFIX}:metrics:") or key == EVENT_CONSUMERS_KEY or ":budget:" in key


def model_rate_limit_key(model_spec: str) -> str:
    """The requests-per-minute window shared by every process calling ``model_spec``."""
    return f"{PREFIX}:ratelimit:model:{escape_part(model_spec)}"


def api_key_pointer(key_hash: str) -> str:
    """Which workspace's key has this hash: the only way in from a bare key, so it lives
    outside every namespace and holds a pointer, never a prompt."""
    return f"{PREFIX}:apikey:{escape_part(key_hash)}"


def shared_metric_key(family: str) -> str:
    """Counts of one metric family that every process (bot or worker) adds to."""
    return f"{PREFIX}:metrics:{escape_part(family)}"


class UnknownWorkspaceError(ValueError):
    """A request carried no team id, so there is no workspace to keep its data under."""


def escape_part(part: str) -> str:
    """Make ``part`` safe as one key component: ``%`` and ``:`` are percent-encoded."""
    return part.replace("%", "%25").replace(":", "%3A")


@dataclass(frozen=True)
class Workspace:
    """One Slack workspace; all of its data lives under :attr:`namespace`."""

    team_id: str
    enterprise_id: str | None = None

    def __post_init__(self) -> None:
        if not self.team_id:
            raise UnknownWorkspaceError("a workspace needs a team id")

    @classmethod
    def from_context(cls, context: Mapping[str, Any]) -> Workspace:
        """The workspace of the request a Bolt listener is serving (its ``context``)."""
        team_id = context.get("team_id")
        if not team_id:
            raise UnknownWorkspaceError("the request carries no team id")
        return cls(team_id=team_id, enterprise_id=context.get("enterprise_id") or None)

    @classmethod
    def from_body(cls, body: Mapping[str, Any]) -> Workspace:
        """The workspace of a raw request body: event, slash command or interactivity payload."""
        payload = dict(body)
        team_id = extract_team_id(payload)
        if not team_id:
            raise UnknownWorkspaceError("the request carries no team id")
        return cls(team_id=team_id, enterprise_id=extract_enterprise_id(payload) or None)

    @property
    def namespace(self) -> str:
        enterprise = escape_part(self.enterprise_id) if self.enterprise_id else "-"
        return f"{PREFIX}:ws:{enterprise}:{escape_part(self.team_id)}"

    @property
    def keys(self) -> WorkspaceKeys:
        return WorkspaceKeys(self)


@dataclass(frozen=True)
class WorkspaceKeys:
    """Key names for one workspace's data. Only builds strings; never touches Redis."""

    workspace: Workspace

    def key(self, *parts: str) -> str:
        """A key under this workspace; each part is escaped."""
        return ":".join([self.workspace.namespace, *(escape_part(p) for p in parts)])

    # Prompts and labelers share one name space per workspace.
    def names(self) -> str:
        return self.key("names")

    def prompt(self, name: str) -> str:
        return self.key("prompt", name)

    def prompt_versions(self, name: str) -> str:
        return f"{self.prompt(name)}:versions"

    def principles(self, name: str) -> str:
        return f"{self.prompt(name)}:principles"

    def prompt_examples(self, name: str) -> str:
        return f"{self.prompt(name)}:examples"

    def prompt_examples_next(self, name: str) -> str:
        return f"{self.prompt(name)}:examples-next"

    def compare(self, compare_id: str) -> str:
        return self.key("compare", compare_id)

    def compare_cancel(self, compare_id: str) -> str:
        return f"{self.compare(compare_id)}:cancel"

    def compare_lease(self, compare_id: str) -> str:
        return f"{self.compare(compare_id)}:lease"

    def compare_progress(self, compare_id: str) -> str:
        return f"{self.compare(compare_id)}:progress"

    def compare_answer(self, request_key: str) -> str:
        return self.key("compare-answer", request_key)

    def principle_log(self, name: str) -> str:
        return f"{self.prompt(name)}:principle-log"

    def run(self, run_id: str) -> str:
        return self.key("run", run_id)

    def thread(self, channel: str, thread_ts: str) -> str:
        return self.key("thread", channel, thread_ts)

    def answer_message(self, channel: str, ts: str) -> str:
        return self.key("answer", channel, ts)

    def pending(self, token: str) -> str:
        return self.key("pending", token)

    def labeler(self, name: str) -> str:
        return self.key("labeler", name)

    def labeler_checkpoints(self, name: str) -> str:
        return f"{self.labeler(name)}:checkpoints"

    def labeler_training(self, name: str) -> str:
        return f"{self.labeler(name)}:training"

    def labeler_cache(self, name: str, scope: str, request_key: str) -> str:
        return f"{self.labeler(name)}:cache:{escape_part(scope)}:{escape_part(request_key)}"

    def dataset_sizes(self) -> str:
        return self.key("dataset-sizes")

    def dataset(self, dataset_id: str) -> str:
        return self.key("dataset", dataset_id)

    def training(self, run_id: str) -> str:
        return self.key("training", run_id)

    def training_lease(self, run_id: str) -> str:
        return f"{self.training(run_id)}:lease"

    def training_cancel(self, run_id: str) -> str:
        return f"{self.training(run_id)}:cancel"

    def training_progress(self, run_id: str) -> str:
        return f"{self.training(run_id)}:progress"

    def training_posted(self, run_id: str) -> str:
        return f"{self.training(run_id)}:posted"

    def upload(self, file_id: str) -> str:
        return self.key("upload", file_id)

    def job(self, job_id: str) -> str:
        return self.key("job", job_id)

    def seen(self, kind: str, *ids: str) -> str:
        """Apply-once marker for one thing of ``kind`` (event, message, file, ...)."""
        return self.key("seen", kind, *ids)

    def seen_event(self, event_id: str) -> str:
        return self.seen("event", event_id)

    def seen_message(self, channel: str, ts: str) -> str:
        return self.seen("message", channel, ts)

    def seen_file(self, file_id: str) -> str:
        return self.seen("file", file_id)

    def prompt_labels(self, name: str) -> str:
        return f"{self.prompt(name)}:labels"

    def api_keys(self) -> str:
        return self.key("apikeys")

    def api_key_budget(self, name: str) -> str:
        return self.key("budget", "apikey", name)

    # Feedback, versions and audit.
    def undone_changes(self, name: str) -> str:
        return f"{self.prompt(name)}:undone"

    def deletions(self, name: str) -> str:
        return self.key("deleted", name)

    def deleted_part(self, name: str, deletion: str, part: str) -> str:
        """Where one key of a deleted prompt is kept (``part``: versions, meta, log, undone)."""
        return self.key("deleted", name, deletion, part)

    def reaction_offer(self, channel: str, ts: str, user: str, reaction: str) -> str:
        return self.key("offer", channel, ts, user, reaction)

    def awaiting_rewrite(self, channel: str, thread_ts: str, user: str) -> str:
        return self.key("awaiting-rewrite", channel, thread_ts, user)

    def user_budget(self, user: str) -> str:
        return self.key("budget", "user", user)

    def workspace_budget(self) -> str:
        return self.key("budget", "workspace")

    def audit(self) -> str:
        return self.key("audit")
