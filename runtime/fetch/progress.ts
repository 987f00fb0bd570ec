/** What `GET /progress` answers: the operator turns it into a percentage in the model's status. */

export type FetchPhase = 'verifying' | 'downloading' | 'done' | 'failed';
export type FileState = 'pending' | 'verifying' | 'downloading' | 'done' | 'failed';

export interface FileProgress {
  name: string;
  /** Bytes on disk that are hashed and accounted for (verified so far while verifying). */
  bytesDone: number;
  /** From Content-Length or Content-Range, or the size of a file already present; null while unknown. */
  bytesTotal: number | null;
  state: FileState;
}

export interface ProgressSnapshot {
  phase: FetchPhase;
  bytesDone: number;
  /** The sum over all files once every file's size is known, else null. */
  bytesTotal: number | null;
  files: FileProgress[];
  /** Why the fetch failed, in one line (phase failed only). */
  error?: string;
}

/** The state of one fetch, updated by the downloader and read by the progress server. */
export class FetchProgress {
  private end: 'done' | 'failed' | undefined;
  private error: string | undefined;
  private readonly files: FileProgress[];

  constructor(names: readonly string[]) {
    this.files = names.map((name) => ({ name, bytesDone: 0, bytesTotal: null, state: 'pending' }));
  }

  /** The entry of one file; the downloader updates it in place. */
  file(name: string): FileProgress {
    const file = this.files.find((f) => f.name === name);
    if (!file) throw new Error(`no file ${name} in this fetch`);
    return file;
  }

  set(name: string, state: FileState): void {
    this.file(name).state = state;
  }

  done(): void {
    this.end = 'done';
  }

  fail(error: string): void {
    this.end = 'failed';
    this.error = error;
    for (const file of this.files)
      if (file.state === 'verifying' || file.state === 'downloading') file.state = 'failed';
  }

  snapshot(): ProgressSnapshot {
    const totals = this.files.map((f) => f.bytesTotal);
    return {
      // until the end, verifying while any file is re-hashed (files already there, a .part), else downloading
      phase: this.end ?? (this.files.some((f) => f.state === 'verifying') ? 'verifying' : 'downloading'),
      bytesDone: this.files.reduce((sum, f) => sum + f.bytesDone, 0),
      bytesTotal: totals.every((t) => t !== null) ? totals.reduce((sum: number, t) => sum + t, 0) : null,
      files: this.files.map((f) => ({ ...f })),
      ...(this.error !== undefined ? { error: this.error } : {}),
    };
  }
}
