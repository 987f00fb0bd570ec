import { lstatSync, mkdirSync, readdirSync, readlinkSync, rmdirSync, symlinkSync, unlinkSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { V1PersistentVolumeClaim } from '@kubernetes/client-node';
import { pvcDir } from './agent/volumes.js';
import { claimFolder } from './provisioning.js';

/**
 * A dev agent mounts a claim by name from its own folder, <state>/pvcs/<ns>/<claim>. For a claim
 * of the gptoss-shared class that folder is a symlink to the claim's shared folder under the
 * class's root, so every agent node sees the same files.
 */

/** A symlink at `link` to `target`: made, already there, or blocked by a non-empty folder of the agent's own. */
function ensureLink(link: string, target: string): 'linked' | 'present' | 'blocked' {
  let existing;
  try {
    existing = lstatSync(link);
  } catch {
    existing = null;
  }
  if (existing?.isSymbolicLink()) {
    if (readlinkSync(link) === target) return 'present';
    unlinkSync(link);
  } else if (existing?.isDirectory()) {
    // an empty folder the agent made for a pod that came first: replaced
    if (readdirSync(link).length > 0) return 'blocked';
    rmdirSync(link);
  } else if (existing) {
    return 'blocked';
  }
  mkdirSync(dirname(link), { recursive: true });
  symlinkSync(target, link, 'dir');
  return 'linked';
}

const entries = (dir: string) => {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
};

/** The agent's claim folders that are links into root, by namespace/name. */
function linksInto(stateDir: string, root: string): Map<string, string> {
  const links = new Map<string, string>();
  const base = join(stateDir, 'pvcs');
  for (const namespace of entries(base)) {
    for (const name of entries(join(base, namespace))) {
      const path = join(base, namespace, name);
      try {
        if (lstatSync(path).isSymbolicLink() && readlinkSync(path).startsWith(`${root}/`))
          links.set(`${namespace}/${name}`, path);
      } catch {
        // removed meanwhile
      }
    }
  }
  return links;
}

/**
 * Links each claim's shared folder (created unless the claim is being deleted) into the agent's
 * state folder and removes the links of claims that are gone; returns the claims whose agent folder
 * is a non-empty folder of its own, which stays (pods here then do not see the shared files).
 */
export function syncLinks(
  stateDir: string,
  root: string,
  claims: readonly V1PersistentVolumeClaim[],
): V1PersistentVolumeClaim[] {
  const wanted = new Set<string>();
  const blocked: V1PersistentVolumeClaim[] = [];
  for (const claim of claims) {
    const { namespace, name } = claim.metadata!;
    wanted.add(`${namespace}/${name}`);
    const target = claimFolder(root, claim);
    if (!claim.metadata?.deletionTimestamp) mkdirSync(target, { recursive: true });
    if (ensureLink(pvcDir(stateDir, namespace!, name!), target) === 'blocked') blocked.push(claim);
  }
  for (const [key, path] of linksInto(stateDir, root)) if (!wanted.has(key)) unlinkSync(path);
  return blocked;
}
