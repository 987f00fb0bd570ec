"""The harmony oracle: OpenAI's own renderer (openai-harmony) renders chats for our tests to compare with.

Reads one JSON list of cases on stdin, each {"name", "prompt", "settings", "pieces"}: "prompt" a
ChatPrompt (contract/api/chat.ts), "settings" {"reasoningEffort", "currentDate"} as our renderer
takes them, "pieces" what our renderer made of it ({"token": "<|start|>"} or {"text": "..."}).
Writes one JSON list on stdout, a result per case: {"name", "text", "tokens", "piecesTokens"}:
the reference's rendering as text (decode_utf8) and as token ids, and our pieces encoded the way the
reference encodes (formatting tokens as special tokens, text as ordinary text), so a test compares
both the text and every token boundary.

The chat is mapped to harmony messages here, on its own, with the reference's API only; the
reference then renders them (render_conversation_for_completion). Two things the reference cannot
do are done here, each as docs/harmony.md describes: the chain of thought before the last final
answer is dropped (OpenAI's chat template and vLLM do this; the reference only drops what comes
before the first final answer), and a json_schema response format is appended to the developer
message as the format guide lays it out (the reference has no response formats).

Run with TIKTOKEN_ENCODINGS_BASE naming the folder that holds o200k_base.tiktoken (no network).
"""

import json
import sys

from openai_harmony import (
    Author,
    Conversation,
    DeveloperContent,
    HarmonyEncodingName,
    Message,
    ReasoningEffort,
    Role,
    SystemContent,
    TextContent,
    ToolDescription,
    load_harmony_encoding,
)

EFFORTS = {"low": ReasoningEffort.LOW, "medium": ReasoningEffort.MEDIUM, "high": ReasoningEffort.HIGH}


def system_message(prompt, settings):
    content = SystemContent.new().with_reasoning_effort(
        EFFORTS[prompt.get("reasoningEffort") or settings["reasoningEffort"]]
    )
    if settings.get("currentDate"):
        content = content.with_conversation_start_date(settings["currentDate"])
    return Message.from_role_and_content(Role.SYSTEM, content)


def text_lines(text):
    """Lines as Rust's str::lines gives them (the reference's tool descriptions): no last empty line."""
    lines = text.split("\n")
    if lines[-1] == "":
        lines.pop()
    return [line[:-1] if line.endswith("\r") else line for line in lines]


def response_format_section(fmt):
    """docs/format.md's "Structured output": # Response Formats, ## name, // description, schema."""
    if not fmt or fmt["type"] != "json_schema":
        return None
    description = ["// " + line for line in text_lines(fmt.get("description") or "")]
    schema = json.dumps(fmt["schema"], separators=(",", ":"), ensure_ascii=False)
    return "# Response Formats\n\n## " + fmt["name"] + "\n\n" + "\n".join(description + [schema])


def developer_message(prompt):
    instructions = [m["content"] for m in prompt["messages"] if m["role"] in ("system", "developer")]
    tools = prompt.get("tools") or []
    response_format = response_format_section(prompt.get("responseFormat"))
    if not instructions and not tools and response_format is None:
        return None
    content = DeveloperContent.new()
    if instructions:
        content = content.with_instructions("\n\n".join(instructions))
    if tools:
        descriptions = [
            ToolDescription.new(t["name"], t.get("description") or "", parameters=t.get("parameters")) for t in tools
        ]
        content = content.with_function_tools(descriptions)
    message = Message.from_role_and_content(Role.DEVELOPER, content)
    if response_format is not None:
        separator = "\n\n" if instructions or tools else ""
        message = message.adding_content(TextContent(text=separator + response_format))
    return message


def assistant(text, channel):
    return Message.from_role_and_content(Role.ASSISTANT, text).with_channel(channel)


def turn_messages(m):
    role = m["role"]
    if role == "user":
        return [Message.from_role_and_content(Role.USER, m["content"])]
    if role == "tool":
        result = Message.from_author_and_content(Author.new(Role.TOOL, "functions." + m["name"]), m["content"])
        return [result.with_recipient("assistant").with_channel("commentary")]
    if role != "assistant":
        return []
    out = [assistant(m["reasoning"], "analysis")] if m.get("reasoning") else []
    calls = m.get("toolCalls") or []
    if not calls:
        return out + [assistant(m["content"], "final")]
    if m["content"]:
        out.append(assistant(m["content"], "commentary"))
    for call in calls:
        message = assistant(call["arguments"], "commentary").with_recipient("functions." + call["name"])
        out.append(message.with_content_type("<|constrain|>json"))
    return out


def drop_settled_reasoning(messages):
    """Analysis before the last final answer goes (vLLM's auto_drop_analysis_messages)."""
    finals = [i for i, m in enumerate(messages) if m.author.role == Role.ASSISTANT and m.channel == "final"]
    last = finals[-1] if finals else -1
    return [m for i, m in enumerate(messages) if not (i < last and m.channel == "analysis")]


def conversation(prompt, settings):
    developer = developer_message(prompt)
    turns = drop_settled_reasoning([t for m in prompt["messages"] for t in turn_messages(m)])
    head = [system_message(prompt, settings)] + ([developer] if developer else [])
    return Conversation.from_messages(head + turns)


def pieces_tokens(encoding, pieces):
    tokens = []
    for piece in pieces:
        if "token" in piece:
            special = encoding.encode(piece["token"], allowed_special={piece["token"]})
            if len(special) != 1:
                raise ValueError("not one special token: " + piece["token"])
            tokens += special
        else:
            tokens += encoding.encode(piece["text"], disallowed_special=())
    return tokens


def render(encoding, case):
    tokens = encoding.render_conversation_for_completion(
        conversation(case["prompt"], case["settings"]), Role.ASSISTANT
    )
    return {
        "name": case["name"],
        "text": encoding.decode_utf8(tokens),
        "tokens": tokens,
        "piecesTokens": pieces_tokens(encoding, case.get("pieces") or []),
    }


def main():
    encoding = load_harmony_encoding(HarmonyEncodingName.HARMONY_GPT_OSS)
    cases = json.loads(sys.stdin.buffer.read())
    json.dump([render(encoding, case) for case in cases], sys.stdout)


if __name__ == "__main__":
    main()
