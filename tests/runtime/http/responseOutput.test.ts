import { describe, expect, it } from 'vitest';
import type { Delta } from '../../../runtime/engine/types.js';
import { assistantTurn } from '../../../runtime/http/responses/conversation.js';
import { OutputBuilder, type ResponseEvent } from '../../../runtime/http/responses/output.js';
import { args, call, text } from './deltas.js';

function build(deltas: Delta[], status: 'completed' | 'incomplete' = 'completed') {
  const events: ResponseEvent[] = [];
  // each event as the wire carries it: serialized when it is sent
  const builder = new OutputBuilder((event) => events.push(JSON.parse(JSON.stringify(event)) as ResponseEvent));
  for (const delta of deltas) builder.push(delta);
  builder.finish(status);
  return { events, items: builder.items };
}

describe("deltas as the Responses API's output items and events", () => {
  const turn = [
    text('analysis', 'Think'),
    text('analysis', '.'),
    text('commentary', 'Looking.'),
    call(0, 'call_1', 'f'),
    args(0, '{"a":'),
    args(0, '1}'),
    call(1, 'call_2', 'g'),
  ];

  it('a run of one channel is one item; each call its own; every item announced, filled and closed', () => {
    const { events, items } = build(turn);
    const [rs, msg, fc1, fc2] = items.map((i) => i.id);
    expect(rs).toMatch(/^rs_[0-9a-f]{32}$/);
    expect(msg).toMatch(/^msg_[0-9a-f]{32}$/);
    expect(fc1).toMatch(/^fc_[0-9a-f]{32}$/);
    expect(events).toEqual([
      {
        type: 'response.output_item.added',
        output_index: 0,
        item: { type: 'reasoning', id: rs, summary: [], content: [], status: 'in_progress' },
      },
      {
        type: 'response.content_part.added',
        item_id: rs,
        output_index: 0,
        content_index: 0,
        part: { type: 'reasoning_text', text: '' },
      },
      { type: 'response.reasoning_text.delta', item_id: rs, output_index: 0, content_index: 0, delta: 'Think' },
      { type: 'response.reasoning_text.delta', item_id: rs, output_index: 0, content_index: 0, delta: '.' },
      { type: 'response.reasoning_text.done', item_id: rs, output_index: 0, content_index: 0, text: 'Think.' },
      {
        type: 'response.content_part.done',
        item_id: rs,
        output_index: 0,
        content_index: 0,
        part: { type: 'reasoning_text', text: 'Think.' },
      },
      {
        type: 'response.output_item.done',
        output_index: 0,
        item: {
          type: 'reasoning',
          id: rs,
          summary: [],
          content: [{ type: 'reasoning_text', text: 'Think.' }],
          status: 'completed',
        },
      },
      {
        type: 'response.output_item.added',
        output_index: 1,
        item: { type: 'message', id: msg, role: 'assistant', status: 'in_progress', content: [] },
      },
      {
        type: 'response.content_part.added',
        item_id: msg,
        output_index: 1,
        content_index: 0,
        part: { type: 'output_text', text: '', annotations: [], logprobs: [] },
      },
      {
        type: 'response.output_text.delta',
        item_id: msg,
        output_index: 1,
        content_index: 0,
        delta: 'Looking.',
        logprobs: [],
      },
      {
        type: 'response.output_text.done',
        item_id: msg,
        output_index: 1,
        content_index: 0,
        text: 'Looking.',
        logprobs: [],
      },
      {
        type: 'response.content_part.done',
        item_id: msg,
        output_index: 1,
        content_index: 0,
        part: { type: 'output_text', text: 'Looking.', annotations: [], logprobs: [] },
      },
      {
        type: 'response.output_item.done',
        output_index: 1,
        item: {
          type: 'message',
          id: msg,
          role: 'assistant',
          status: 'completed',
          content: [{ type: 'output_text', text: 'Looking.', annotations: [], logprobs: [] }],
        },
      },
      {
        type: 'response.output_item.added',
        output_index: 2,
        item: { type: 'function_call', id: fc1, call_id: 'call_1', name: 'f', arguments: '', status: 'in_progress' },
      },
      { type: 'response.function_call_arguments.delta', item_id: fc1, output_index: 2, delta: '{"a":' },
      { type: 'response.function_call_arguments.delta', item_id: fc1, output_index: 2, delta: '1}' },
      { type: 'response.function_call_arguments.done', item_id: fc1, output_index: 2, name: 'f', arguments: '{"a":1}' },
      {
        type: 'response.output_item.done',
        output_index: 2,
        item: {
          type: 'function_call',
          id: fc1,
          call_id: 'call_1',
          name: 'f',
          arguments: '{"a":1}',
          status: 'completed',
        },
      },
      {
        type: 'response.output_item.added',
        output_index: 3,
        item: { type: 'function_call', id: fc2, call_id: 'call_2', name: 'g', arguments: '', status: 'in_progress' },
      },
      { type: 'response.function_call_arguments.done', item_id: fc2, output_index: 3, name: 'g', arguments: '' },
      {
        type: 'response.output_item.done',
        output_index: 3,
        item: { type: 'function_call', id: fc2, call_id: 'call_2', name: 'g', arguments: '', status: 'completed' },
      },
    ]);
  });

  it('an answer cut short leaves its last item incomplete, the earlier ones completed', () => {
    const { items } = build([text('analysis', 'a'), text('final', 'b')], 'incomplete');
    expect(items.map((i) => i.status)).toEqual(['completed', 'incomplete']);
  });

  it('the output as the assistant message the next turn continues: text, reasoning and calls', () => {
    expect(assistantTurn(build(turn).items)).toEqual({
      role: 'assistant',
      content: 'Looking.',
      reasoning: 'Think.',
      toolCalls: [
        { id: 'call_1', name: 'f', arguments: '{"a":1}' },
        { id: 'call_2', name: 'g', arguments: '' },
      ],
    });
    expect(assistantTurn(build([text('final', 'Hi')]).items)).toEqual({ role: 'assistant', content: 'Hi' });
  });
});
