import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isoDate } from '../../runtime/harmony/system.js';
import { GPTOSS } from '../helpers/cli.js';
import { REFERENCE_TEXTS } from '../runtime/harmony/referenceTexts.js';

const scratch = mkdtempSync(join(tmpdir(), 'gptoss-render-'));
const HI = JSON.stringify({ messages: [{ role: 'user', content: 'Hi' }] });
const QUIET = ['--current-date', 'none', '--reasoning-effort', 'low'];

/** `gptoss render <args>`, with `input` on stdin. */
function render(args: string[], input = '') {
  const r = spawnSync(process.execPath, [GPTOSS, 'render', ...args], { input, encoding: 'utf8', timeout: 60_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('gptoss render as a process: no model, no server', () => {
  it("prints the reference's rendering of a request file, and nothing else", () => {
    const file = join(scratch, 'hi.json');
    writeFileSync(file, HI);
    expect(render([file, ...QUIET])).toEqual({
      status: 0,
      stdout: REFERENCE_TEXTS['no current date, low effort'],
      stderr: '',
    });
  });

  it('reads the request from stdin without a file; the date defaults to today (UTC)', () => {
    expect(render(QUIET, HI)).toEqual({
      status: 0,
      stdout: REFERENCE_TEXTS['no current date, low effort'],
      stderr: '',
    });
    const before = isoDate(new Date());
    const r = render([], HI);
    // the day may turn while the command runs
    const after = isoDate(new Date());
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`\nCurrent date: (${before}|${after})\n\nReasoning: medium\n`));
  });

  it.each([
    [[], 'not json', /^gptoss render: the request is not valid JSON: Unexpected token/],
    [[], '{"messages": []}', /^gptoss render: messages: must contain at least one message$/],
    [
      [],
      '{"messages": [{"role": "user", "content": "Hi"}], "frobnicate": 1}',
      /^gptoss render: frobnicate: unknown field$/,
    ],
    [['--current-date', 'yesterday'], HI, /^gptoss render: --current-date must be today, none or a date YYYY-MM-DD$/],
    [['--reasoning-effort', 'extreme'], HI, /^gptoss render: --reasoning-effort must be low, medium or high$/],
    [
      [join(scratch, 'absent.json')],
      '',
      /^gptoss render: cannot read .*absent\.json: ENOENT: no such file or directory, open '.*absent\.json'$/,
    ],
  ])('bad input %j %j: one line on stderr, exit 2', (args, input, message) => {
    const r = render(args, input);
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
    const lines = r.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(message);
  });
});
