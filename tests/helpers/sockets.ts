import { readFileSync, readdirSync, readlinkSync } from 'node:fs';

/** Listening TCP sockets (address:port) that belong to a process, read from /proc as ss does. */
export function listeningSockets(pid: number): string[] {
  const inodes = new Set<string>();
  try {
    for (const fd of readdirSync(`/proc/${pid}/fd`)) {
      const target = (() => {
        try {
          return readlinkSync(`/proc/${pid}/fd/${fd}`);
        } catch {
          return '';
        }
      })();
      const m = /^socket:\[(\d+)\]$/.exec(target);
      if (m) inodes.add(m[1]!);
    }
  } catch {
    return [];
  }
  const sockets: string[] = [];
  for (const table of ['tcp', 'tcp6']) {
    const lines = readFileSync(`/proc/${pid}/net/${table}`, 'utf8').trim().split('\n').slice(1);
    for (const line of lines) {
      const f = line.trim().split(/\s+/);
      if (f[3] !== '0A' || !inodes.has(f[9]!)) continue; // 0A = LISTEN
      const [hexAddr, hexPort] = f[1]!.split(':') as [string, string];
      const address =
        table === 'tcp'
          ? hexAddr
              .match(/../g)!
              .reverse()
              .map((b) => parseInt(b, 16))
              .join('.')
          : `[${hexAddr}]`;
      sockets.push(`${address}:${parseInt(hexPort, 16)}`);
    }
  }
  return sockets;
}
