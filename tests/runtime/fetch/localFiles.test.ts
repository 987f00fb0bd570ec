import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { LocalFileError } from '../../../runtime/fetch/errors.js';
import { checkWritable, isRegularFile, local, makeDirectory } from '../../../runtime/fetch/localFiles.js';

const scratch = mkdtempSync(join(tmpdir(), 'gptoss-local-files-'));

describe('local file errors name the path and the errno (real files)', () => {
  it('a full disk (/dev/full answers every write with ENOSPC)', async () => {
    const error = await local('writing', '/dev/full', () => writeFile('/dev/full', 'x')).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LocalFileError);
    expect((error as Error).message).toBe('writing /dev/full: ENOSPC (no space left on device)');
  });

  it('an error without an errno passes as it is', async () => {
    const thrown = new Error('not a file error');
    await expect(
      local('writing', '/x', () => {
        throw thrown;
      }),
    ).rejects.toBe(thrown);
  });

  it('mkdir -p under /proc fails at once instead of looping (fs.mkdir recursive never returns there)', async () => {
    await expect(makeDirectory('/proc/gptoss-fetch-test/a/b')).rejects.toThrow(
      new LocalFileError('creating /proc/gptoss-fetch-test: ENOENT (no such file or directory)'),
    );
  });

  it('mkdir -p: creates the parents; a file in the way is ENOTDIR or EEXIST', async () => {
    const deep = join(scratch, 'a', 'b', 'c');
    await makeDirectory(deep);
    await makeDirectory(deep);
    await expect(checkWritable(deep)).resolves.toBeUndefined();
    const file = join(scratch, 'file');
    writeFileSync(file, '');
    await expect(makeDirectory(join(file, 'sub'))).rejects.toThrow(
      new LocalFileError(`creating ${file}/sub: ENOTDIR (not a directory)`),
    );
    await expect(makeDirectory(file)).rejects.toThrow(
      new LocalFileError(`creating ${file}: EEXIST (file already exists)`),
    );
  });

  it('a folder that takes no files', async () => {
    await expect(checkWritable('/proc')).rejects.toThrow(
      new LocalFileError('creating a file in /proc: ENOENT (no such file or directory)'),
    );
  });

  it('a FIFO or a folder where a file is expected is refused, not read (a FIFO would block)', async () => {
    const fifo = join(scratch, 'fifo');
    expect(spawnSync('mkfifo', [fifo]).status).toBe(0);
    await expect(isRegularFile(fifo)).rejects.toThrow(new LocalFileError(`${fifo} is not a regular file`));
    mkdirSync(join(scratch, 'dir'));
    await expect(isRegularFile(join(scratch, 'dir'))).rejects.toThrow(
      new LocalFileError(`${join(scratch, 'dir')} is not a regular file`),
    );
    await expect(isRegularFile('/dev/zero')).rejects.toThrow(new LocalFileError('/dev/zero is not a regular file'));
    await expect(isRegularFile(join(scratch, 'absent'))).resolves.toBe(false);
    writeFileSync(join(scratch, 'present'), 'x');
    await expect(isRegularFile(join(scratch, 'present'))).resolves.toBe(true);
  });
});
