"""The emulator answers the bot's real WebClient the way Slack does."""

from __future__ import annotations

import urllib.error
import urllib.request

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from tests.fakes.slack_emulator import BOT_TOKEN, SlackEmulator, StoredFile
from tests.fakes.slack_interactions import message_shortcut, overflow_choice, view_submission
from tests.fakes.slack_limits import message_problems, view_problems


@pytest.fixture
def client(slack: SlackEmulator) -> WebClient:
    return WebClient(token=BOT_TOKEN, base_url=slack.api_url)


def test_messages_threads_and_updates(slack: SlackEmulator, client: WebClient) -> None:
    root = client.chat_postMessage(
        channel="C1",
        text="root",
        metadata={"event_type": "run", "event_payload": {"run_id": "r1"}},
    )
    reply = client.chat_postMessage(channel="C1", text="reply", thread_ts=root["ts"])
    client.chat_postMessage(channel="C1", text="elsewhere")
    client.chat_update(channel="C1", ts=reply["ts"], text="edited reply")

    thread = client.conversations_replies(channel="C1", ts=root["ts"])["messages"]
    assert [m["text"] for m in thread] == ["root", "edited reply"]
    assert "metadata" not in thread[0]  # only for callers that ask, as Slack does
    with_metadata = client.conversations_replies(
        channel="C1", ts=root["ts"], include_all_metadata=True
    )["messages"]
    assert with_metadata[0]["metadata"]["event_payload"] == {"run_id": "r1"}
    assert root["ts"] < reply["ts"]

    client.chat_delete(channel="C1", ts=reply["ts"])
    assert [m["text"] for m in slack.channel_messages("C1")] == ["root", "elsewhere"]


def test_errors_on_demand_and_token_checks(slack: SlackEmulator, client: WebClient) -> None:
    slack.fail_next("chat.postMessage", "not_in_channel")

    with pytest.raises(SlackApiError) as refused:
        client.chat_postMessage(channel="C1", text="first")
    assert refused.value.response["error"] == "not_in_channel"
    assert client.chat_postMessage(channel="C1", text="second")["ok"]

    with pytest.raises(SlackApiError) as bad_token:
        WebClient(token="xoxb-wrong", base_url=slack.api_url).auth_test()
    assert bad_token.value.response["error"] == "invalid_auth"
    with pytest.raises(SlackApiError) as bot_token_for_socket:
        client.apps_connections_open(app_token=BOT_TOKEN)
    assert bot_token_for_socket.value.response["error"] == "invalid_auth"


def test_upload_flow_and_private_download(slack: SlackEmulator, client: WebClient) -> None:
    uploaded = client.files_upload_v2(
        channel="C1", content=b"step,accuracy\n1,0.5\n", filename="report.csv", title="Report"
    )
    file_id = uploaded["files"][0]["id"]

    info = client.files_info(file=file_id)["file"]
    assert info["title"] == "Report"
    assert slack.files[file_id].content == b"step,accuracy\n1,0.5\n"
    assert slack.channel_messages("C1")[-1]["files"][0]["id"] == file_id

    slack.add_file(StoredFile(id="F0DATA", name="data.csv", content=b"text,label\n"))
    url = client.files_info(file="F0DATA")["file"]["url_private"]
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {BOT_TOKEN}"})
    with urllib.request.urlopen(request) as response:
        assert response.read() == b"text,label\n"
    with pytest.raises(urllib.error.HTTPError):
        urllib.request.urlopen(url)


def test_views_and_ephemeral_messages(slack: SlackEmulator, client: WebClient) -> None:
    view = {"type": "modal", "title": {"type": "plain_text", "text": "T"}, "blocks": []}
    opened = client.views_open(trigger_id="1.trigger", view=view)["view"]
    updated = client.views_update(
        view_id=opened["id"], view={**view, "blocks": [{"type": "divider"}]}
    )
    client.views_publish(user_id="U1", view={"type": "home", "blocks": []})
    client.chat_postEphemeral(channel="C1", user="U1", text="only you")

    assert slack.views[opened["id"]]["blocks"] == [{"type": "divider"}]
    assert updated["view"]["id"] == opened["id"]
    assert slack.home_views["U1"]["type"] == "home"
    assert [e["text"] for e in slack.ephemerals] == ["only you"]
    assert slack.channel_messages("C1") == []


def _code(call: object) -> str:
    with pytest.raises(SlackApiError) as raised:
        call()  # type: ignore[operator]
    return str(raised.value.response["error"])


def test_chat_streams_grow_one_message_and_record_each_piece(
    slack: SlackEmulator, client: WebClient
) -> None:
    root = client.chat_postMessage(channel="C1", text="run")["ts"]
    streamer = client.chat_stream(
        channel="C1",
        thread_ts=root,
        recipient_user_id="U1",
        recipient_team_id="T1",
        buffer_size=1,
    )
    streamer.append(markdown_text="**Three** uses")
    streamer.append(markdown_text=": cut, ")
    metadata = {"event_type": "answer", "event_payload": {"run_id": "r1"}}
    streamer.stop(markdown_text="trim.", metadata=metadata)

    (record,) = slack.stream_records()
    assert record.text == "**Three** uses: cut, trim." and record.stopped_at is not None
    assert [method for _, method, _ in record.pieces] == [
        "chat.startStream",
        "chat.appendStream",
        "chat.stopStream",
    ]
    assert record.pieces[0][0] <= record.pieces[1][0] <= record.pieces[2][0]
    (reply,) = [m for m in slack.channel_messages("C1") if m.get("thread_ts") == root]
    assert reply["blocks"] == [{"type": "markdown", "text": "**Three** uses: cut, trim."}]
    assert reply["metadata"] == metadata and "streaming" not in reply
    # A stopped stream takes no more text, and cannot be stopped twice.
    code = _code(lambda: client.chat_appendStream(channel="C1", ts=reply["ts"], markdown_text="x"))
    assert code == "message_not_in_streaming_state"
    assert _code(lambda: client.chat_stopStream(channel="C1", ts=reply["ts"])) == (
        "message_not_in_streaming_state"
    )


def test_chat_stream_errors_are_slacks(slack: SlackEmulator, client: WebClient) -> None:
    root = client.chat_postMessage(channel="C1", text="run")["ts"]
    assert _code(lambda: client.chat_startStream(channel="C1", thread_ts=root)) == (
        "missing_recipient_user_id"
    )
    assert (
        _code(lambda: client.chat_startStream(channel="C1", thread_ts=root, recipient_user_id="U1"))
        == "missing_recipient_team_id"
    )
    # A direct message needs no recipient.
    started = client.chat_startStream(channel="D1", thread_ts=root, markdown_text="hi")
    assert _code(lambda: client.chat_appendStream(channel="D1", ts=started["ts"])) == "no_text"
    bad_chunk = [{"type": "banner", "text": "x"}]
    assert (
        _code(lambda: client.chat_appendStream(channel="D1", ts=started["ts"], chunks=bad_chunk))
        == "invalid_chunks"
    )
    too_long = "x" * 12_001
    assert (
        _code(
            lambda: client.chat_appendStream(channel="D1", ts=started["ts"], markdown_text=too_long)
        )
        == "msg_too_long"
    )
    assert _code(
        lambda: client.chat_appendStream(channel="D1", ts="1.000001", markdown_text="x")
    ) == ("message_not_found")
    plain = client.chat_postMessage(channel="D1", text="not a stream")["ts"]
    assert _code(lambda: client.chat_appendStream(channel="D1", ts=plain, markdown_text="x")) == (
        "message_not_in_streaming_state"
    )
    slack.refuse_streaming("not_allowed")
    assert _code(lambda: client.chat_startStream(channel="D1", thread_ts=root)) == "not_allowed"


def test_a_trigger_opens_one_view_and_text_inputs_and_menus_are_held_to_slack_limits(
    slack: SlackEmulator, client: WebClient
) -> None:
    view = {"type": "modal", "title": {"type": "plain_text", "text": "T"}, "blocks": []}
    client.views_open(trigger_id="7.trigger", view=view)
    with pytest.raises(SlackApiError) as again:
        client.views_open(trigger_id="7.trigger", view=view)
    assert again.value.response["error"] == "exchanged_trigger_id"

    def with_input(**element: object) -> dict[str, object]:
        field = {"type": "plain_text_input", "action_id": "a", **element}
        block = {"type": "input", "block_id": "b", "label": {"type": "plain_text", "text": "L"}}
        return {**view, "blocks": [{**block, "element": field}]}

    assert view_problems(with_input(initial_value="x" * 3000)) == []
    assert view_problems(with_input(initial_value="x" * 3001)) == [
        "block 0 (input) initial_value: 3001 chars > 3000"
    ]
    assert view_problems(with_input(max_length=10, initial_value="x" * 11)) == [
        "block 0 (input) initial_value: 11 chars > 10"
    ]
    assert "max_length" in view_problems(with_input(max_length=3001))[0]
    with pytest.raises(SlackApiError) as refused:
        client.views_open(trigger_id="8.trigger", view=with_input(initial_value="x" * 3001))
    assert refused.value.response["error"] == "invalid_arguments"

    def overflow(count: int) -> list[dict[str, object]]:
        options = [
            {"text": {"type": "plain_text", "text": f"o{n}"}, "value": f"v{n}"}
            for n in range(count)
        ]
        menu = {"type": "overflow", "action_id": "m", "options": options}
        return [{"type": "section", "text": {"type": "mrkdwn", "text": "t"}, "accessory": menu}]

    assert message_problems("t", overflow(5)) == []
    assert "2 to 5 options" in message_problems("t", overflow(6))[0]
    assert "2 to 5 options" in message_problems("t", overflow(1))[0]


def test_interactions_are_built_from_what_a_person_sees(slack: SlackEmulator) -> None:
    mine = slack.add_message("C1", "lunch?", "U0BEN", thread_ts="1.000001")
    assert slack.channel_messages("C1") == [mine] and mine["user"] == "U0BEN"

    shortcut = message_shortcut({**mine, "metadata": {"x": 1}}, "cb", "U0ANA", "T1")
    assert shortcut["type"] == "message_action" and shortcut["callback_id"] == "cb"
    assert shortcut["message"]["ts"] == mine["ts"] and "metadata" not in shortcut["message"]
    assert shortcut["channel"]["id"] == "C1" and shortcut["user"]["team_id"] == "T1"

    options = [{"text": {"type": "plain_text", "text": "A"}, "value": "a"}] * 2
    menu = {"type": "overflow", "action_id": "m", "options": options}
    posted = {
        "channel": "C1",
        "ts": "2.000001",
        "blocks": [{"type": "section", "block_id": "s", "accessory": menu}],
    }
    picked = overflow_choice(posted, "m", "a", "U0ANA", "T1")
    assert picked["actions"][0]["selected_option"]["value"] == "a"
    assert picked["container"]["message_ts"] == "2.000001"
    with pytest.raises(AssertionError, match="offers no option"):
        overflow_choice(posted, "m", "forged", "U0ANA", "T1")

    field = {"type": "plain_text_input", "action_id": "v", "max_length": 5, "initial_value": "hi"}
    form = {"type": "modal", "blocks": [{"type": "input", "block_id": "b", "element": field}]}
    sent = view_submission(form, {}, "U0ANA", "T1")
    assert sent["view"]["state"]["values"] == {
        "b": {"v": {"type": "plain_text_input", "value": "hi"}}
    }
    with pytest.raises(AssertionError, match="at most 5"):
        view_submission(form, {"b": "too long"}, "U0ANA", "T1")
