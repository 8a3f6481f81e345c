"""A simulated model whose classifications depend on the rules it is shown.

``simulated_model.SimulatedModelMixin`` answers a classification from the ticket alone, so every
candidate rule set scores the same: right for measuring the cost of a step, useless for judging
which candidate a step keeps. This model reads the rules instead. Each ticket belongs to one of a
few topics (by a hash of its key, some topics larger than others); each rule the model writes
carries a tag, and the tag decides which topic the rule is about and whether it is a good rule
(it gets that topic right) or a misleading one (it gets that topic wrong). A classification is:

- about a topic with a good rule in the rulebook: right, for most tickets of the topic (a rule
  never covers every case);
- about a topic with only misleading rules: wrong, for most tickets of the topic;
- otherwise the plain model's answer (wrong for about 40 % of tickets).

So adding a good rule for an uncovered topic really raises accuracy, a misleading rule really
lowers it, and two rule sets about the same topics score alike. Standard library only.
"""

from __future__ import annotations

from simulated_model import (
    KEY_PATTERN,
    RULE_TAG_PATTERN,
    SimulatedModelMixin,
    _unit_hash,
    gold_label,
    model_label,
)

TOPICS = 8
GOOD_RULE_SHARE = 0.6
# How often a rule about a ticket's topic decides its label (the rest fall to the plain model).
RULE_REACH = 0.8


def topic_of(key: str) -> int:
    """A ticket's topic; squaring the hash makes low-numbered topics larger than the others."""
    return int(_unit_hash("topic", key) ** 2 * TOPICS)


def rule_topic(tag: str) -> int:
    return int(_unit_hash("rule-topic", tag) * TOPICS)


def rule_is_good(tag: str) -> bool:
    return _unit_hash("rule-good", tag) < GOOD_RULE_SHARE


class RuleReadingModelMixin(SimulatedModelMixin):
    """``SimulatedModelMixin`` with classifications that follow the rules in the prompt."""

    def _classify(self, prompt: str) -> str:
        keys = KEY_PATTERN.findall(prompt)
        if not keys:
            return self.labels[0]
        key = keys[-1]
        truth = gold_label(key, self.labels)
        topic = topic_of(key)
        about = [tag for tag in RULE_TAG_PATTERN.findall(prompt) if rule_topic(tag) == topic]
        good = [tag for tag in about if self.rule_helps(tag, key)]
        if about and _unit_hash("reach", key, ",".join(sorted(about))) < RULE_REACH:
            if good:
                return truth
            others = [label for label in self.labels if label != truth]
            return others[int(_unit_hash("misled", key) * len(others))]
        return model_label(key, self.labels, self.error_rate)

    def rule_helps(self, tag: str, key: str) -> bool:
        """Whether the rule tagged ``tag`` gets the ticket ``key`` right (when it is about its
        topic): here a good rule helps every ticket; a subclass may decide per ticket."""
        return rule_is_good(tag)
