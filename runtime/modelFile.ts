import { open } from 'node:fs/promises';

/**
 * Checks that a model path is a readable GGUF file before anything heavy starts, so a wrong path
 * gives one clear line instead of a native loader's stack.
 */
export async function checkModelFile(path: string): Promise<void> {
  let handle;
  try {
    handle = await open(path, 'r');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const reason =
      code === 'ENOENT'
        ? 'no such file'
        : code === 'EACCES'
          ? 'permission denied'
          : code === 'EISDIR'
            ? 'is a directory'
            : String(code);
    // the reason says all the errno would: no cause, so the CLI prints one short line
    // eslint-disable-next-line preserve-caught-error
    throw new Error(`model file ${path}: ${reason}`);
  }
  try {
    const stats = await handle.stat();
    if (!stats.isFile()) throw new Error(`model file ${path}: not a regular file`);
    const magic = Buffer.alloc(4);
    const { bytesRead } = await handle.read(magic, 0, 4, 0);
    if (bytesRead < 4 || magic.toString('latin1') !== 'GGUF') {
      throw new Error(`model file ${path}: not a GGUF file (it does not start with "GGUF")`);
    }
  } finally {
    await handle.close();
  }
}
