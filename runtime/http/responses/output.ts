import { randomUUID } from 'node:crypto';
import type { Channel, Delta, ToolArgumentsDelta, ToolCallDelta } from '../../engine/types.js';
import type { FunctionCallItem, ItemStatus, MessageItem, OutputItem, OutputText, ReasoningItem } from './items.js';

/** One streamed event of the Responses API, less its sequence_number (the writer numbers them). */
export type ResponseEvent = { type: string } & Record<string, unknown>;

/** An id as OpenAI writes them: a prefix for the kind (resp, rs, msg, fc) and 32 hex digits. */
export const newId = (prefix: string): string => `${prefix}_${randomUUID().replaceAll('-', '')}`;

interface Open {
  item: OutputItem;
  outputIndex: number;
  /** The channel a text item holds (analysis: reasoning; final or commentary: a message). */
  channel?: Channel;
}

/**
 * The engine's deltas as the Responses API's output items, and the events that stream them: a run
 * of one channel's text is one item (analysis a reasoning item, final or commentary a message), each
 * function call one function_call item. An item is done when the next one starts or the answer
 * ends; every item is announced (output_item.added), filled (its part, its deltas) and closed
 * (the .done events) in OpenAI's order, so the openai SDK's ResponseStream accumulates it.
 */
export class OutputBuilder {
  readonly items: OutputItem[] = [];
  private open: Open | null = null;
  private readonly calls = new Map<number, Open>();

  constructor(private readonly emit: (event: ResponseEvent) => void) {}

  push(delta: Delta): void {
    switch (delta.type) {
      case 'text':
        return this.text(delta.channel, delta.text);
      case 'toolCall':
        return this.call(delta);
      case 'toolArguments':
        return this.callArguments(delta);
    }
  }

  /** Closes the item still open: completed, or incomplete when the answer was cut short. */
  finish(status: Exclude<ItemStatus, 'in_progress'>): void {
    if (this.open) this.close(this.open, status);
    this.open = null;
  }

  private add(item: OutputItem, channel?: Channel): Open {
    if (this.open) this.close(this.open, 'completed');
    const outputIndex = this.items.push(item) - 1;
    this.emit({ type: 'response.output_item.added', output_index: outputIndex, item });
    this.open = { item, outputIndex, ...(channel && { channel }) };
    return this.open;
  }

  private text(channel: Channel, text: string): void {
    const open = this.open?.channel === channel ? this.open : this.startText(channel);
    const { item, outputIndex } = open;
    if (item.type === 'function_call') return;
    item.content[0]!.text += text;
    const at = { item_id: item.id, output_index: outputIndex, content_index: 0, delta: text };
    this.emit(
      item.type === 'reasoning'
        ? { type: 'response.reasoning_text.delta', ...at }
        : { type: 'response.output_text.delta', ...at, logprobs: [] },
    );
  }

  private startText(channel: Channel): Open {
    if (channel === 'analysis') {
      const item: ReasoningItem = {
        type: 'reasoning',
        id: newId('rs'),
        summary: [],
        content: [],
        status: 'in_progress',
      };
      return this.withPart(this.add(item, channel), item.content, { type: 'reasoning_text', text: '' });
    }
    const item: MessageItem = {
      type: 'message',
      id: newId('msg'),
      role: 'assistant',
      status: 'in_progress',
      content: [],
    };
    const part: OutputText = { type: 'output_text', text: '', annotations: [], logprobs: [] };
    return this.withPart(this.add(item, channel), item.content, part);
  }

  /** A text item's one content part: announced empty, then filled by the deltas. */
  private withPart<P extends object>(open: Open, content: P[], part: P): Open {
    this.emit({ type: 'response.content_part.added', ...partOf(open), part });
    content.push({ ...part });
    return open;
  }

  private call(delta: ToolCallDelta): void {
    const item: FunctionCallItem = {
      type: 'function_call',
      id: newId('fc'),
      call_id: delta.id,
      name: delta.name,
      arguments: '',
      status: 'in_progress',
    };
    this.calls.set(delta.index, this.add(item));
  }

  private callArguments(delta: ToolArgumentsDelta): void {
    const open = this.calls.get(delta.index);
    if (!open || open.item.type !== 'function_call') return;
    open.item.arguments += delta.text;
    this.emit({
      type: 'response.function_call_arguments.delta',
      item_id: open.item.id,
      output_index: open.outputIndex,
      delta: delta.text,
    });
  }

  private close(open: Open, status: Exclude<ItemStatus, 'in_progress'>): void {
    const { item, outputIndex } = open;
    if (item.type === 'function_call') {
      const { id, name, arguments: args } = item;
      this.emit({
        type: 'response.function_call_arguments.done',
        item_id: id,
        output_index: outputIndex,
        name,
        arguments: args,
      });
    } else {
      const part = item.content[0]!;
      this.emit(
        item.type === 'reasoning'
          ? { type: 'response.reasoning_text.done', ...partOf(open), text: part.text }
          : { type: 'response.output_text.done', ...partOf(open), text: part.text, logprobs: [] },
      );
      this.emit({ type: 'response.content_part.done', ...partOf(open), part });
    }
    item.status = status;
    this.emit({ type: 'response.output_item.done', output_index: outputIndex, item });
  }
}

const partOf = ({ item, outputIndex }: Open) => ({ item_id: item.id, output_index: outputIndex, content_index: 0 });
