import * as z from 'zod';
import { quoted } from './limits.js';
import { NOT_SUPPORTED } from './unsupported.js';

/**
 * The Responses API's `include`: extra output OpenAI can add to a response. Those that add to items
 * this runtime never makes (its built-in tools' calls, input images) ask for nothing here; those that
 * ask for what it does not do are not_supported; anything else is unknown.
 */

const ASKS_NOTHING = [
  'file_search_call.results',
  'web_search_call.results',
  'web_search_call.action.sources',
  'message.input_image.image_url',
  'computer_call_output.output.image_url',
  'code_interpreter_call.outputs',
];

const REFUSED: Record<string, string> = {
  'reasoning.encrypted_content':
    'encrypted reasoning is not supported by this runtime; its reasoning items carry the chain of thought in the ' +
    'clear (content), which a client that stores nothing sends back as it is',
  'message.output_text.logprobs': 'log probabilities are not supported by this runtime',
};

export const includeList = z
  .array(
    z.string({ error: 'must be a string' }).superRefine((value, ctx) => {
      if (ASKS_NOTHING.includes(value)) return;
      if (Object.hasOwn(REFUSED, value)) {
        ctx.addIssue({ code: 'custom', message: REFUSED[value]!, params: NOT_SUPPORTED });
      } else {
        ctx.addIssue({ code: 'custom', message: `unknown include value ${quoted(value)}` });
      }
    }),
    { error: 'must be a list of strings' },
  )
  .nullish();
