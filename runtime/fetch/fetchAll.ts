import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { PART_SUFFIX, weightsDigest, type FetchConfig, type FetchTarget } from '../../contract/argv/fetch.js';
import { urlPolicy } from '../../contract/fetchUrls.js';
import { removeCompleteMark, writeCompleteMark } from './completeMark.js';
import { downloadFile, probeSize, type DownloadDeps } from './download.js';
import { hashFile } from './hash.js';
import { checkWritable, isRegularFile, local, makeDirectory } from './localFiles.js';
import type { FetchProgress } from './progress.js';

/**
 * A file already under its final name: kept when its SHA-256 matches (an init container that
 * restarts does not download again), removed when it does not. Something there that is not a regular
 * file (a device, a FIFO: reading it would never end) is an error, and is left alone.
 */
async function verifyPresent(
  target: FetchTarget,
  dir: string,
  progress: FetchProgress,
  { clock, log }: DownloadDeps,
): Promise<boolean> {
  const path = join(dir, target.name);
  if (!(await isRegularFile(path))) return false;
  const file = progress.file(target.name);
  const started = clock.now();
  progress.set(target.name, 'verifying');
  const { hash, bytes } = await local('reading', path, () =>
    hashFile(path, (done) => {
      file.bytesDone = done;
    }),
  );
  const sha256 = hash.digest('hex');
  if (sha256 === target.sha256) {
    // a .part beside a verified file is what a crash between commit's rename and its exit can leave
    await local('removing', path + PART_SUFFIX, () => rm(path + PART_SUFFIX, { force: true }));
    file.bytesTotal = bytes;
    progress.set(target.name, 'done');
    log.info({ file: target.name, bytes, seconds: +(clock.now() - started).toFixed(3) }, 'Verified file');
    return true;
  }
  await local('removing', path, () => rm(path));
  file.bytesDone = 0;
  progress.set(target.name, 'pending');
  log.warn({ file: target.name, sha256, expected: target.sha256 }, 'Removed file with wrong checksum');
  return false;
}

/**
 * Every file into `dest`, one after the other; resolves once all are verified, rejects on the first
 * permanent failure. A folder that cannot be created or written fails first, before any request.
 * With markComplete (a shared cache) the completion mark is removed before anything else and written
 * only after every file is verified, so a failed fetch leaves none.
 */
export async function fetchAll(
  config: Omit<FetchConfig, 'listenAddress' | 'port' | 'lingerSeconds'>,
  progress: FetchProgress,
  deps: DownloadDeps,
): Promise<void> {
  const started = deps.clock.now();
  const options = { ...config, policy: urlPolicy(config) };
  if (config.markComplete) await removeCompleteMark(config.dest);
  await makeDirectory(config.dest);
  await checkWritable(config.dest);
  const missing: FetchTarget[] = [];
  for (const target of config.files) {
    if (!(await verifyPresent(target, config.dest, progress, deps))) missing.push(target);
  }
  await Promise.all(
    missing.map(async (target) => {
      const size = await probeSize(target.url, config.timeoutSeconds, options.policy);
      if (size !== null) progress.file(target.name).bytesTotal = size;
    }),
  );
  for (const target of missing) await downloadFile(target, config.dest, options, progress, deps);
  if (config.markComplete) {
    const digest = weightsDigest(config.files);
    await writeCompleteMark(config.dest, digest);
    deps.log.info({ dir: config.dest, digest }, 'Marked weights complete');
  }
  progress.done();
  const { bytesDone } = progress.snapshot();
  deps.log.info(
    {
      files: config.files.length,
      downloaded: missing.length,
      bytes: bytesDone,
      seconds: +(deps.clock.now() - started).toFixed(3),
    },
    'Fetched model files',
  );
}
