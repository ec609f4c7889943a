#!/usr/bin/env node
// `node tools/scripts/rename-project.mjs <name>`: makes a fork carry its own name instead of Trustline's.
// Every tracked text file: `trustline` → <name>, `Trustline` → <Name>, `TRUSTLINE` → <NAME> (package scope
// @trustline/…, audiences urn:trustline:…, the NATS subject, metric names, image and Kubernetes names, docs),
// and every path containing the word is renamed the same way. Then `npm install` refreshes node_modules.
// Run it on a clean working tree, so `git diff` shows exactly what it did.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';

const SKIPPED = new Set(['node_modules', 'dist', '.nx', '.git', 'data', 'tmp', 'test-artifacts']);

/** The project's files: git's list in a repository, else every file but dependencies and build output. */
function projectFiles(root) {
  try {
    return execFileSync('git', ['ls-files', '-co', '--exclude-standard', '-z'], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] })
      .split('\0')
      .filter(Boolean);
  } catch {
    const files = [];
    const walk = (dir) => {
      for (const entry of readdirSync(dir, { withFileTypes: true })) {
        if (SKIPPED.has(entry.name)) continue;
        const path = join(dir, entry.name);
        if (entry.isDirectory()) walk(path);
        else if (entry.isFile()) files.push(relative(root, path));
      }
    };
    walk(root);
    return files;
  }
}

export function renameProject(root, name) {
  if (!/^[a-z][a-z0-9]{1,30}$/.test(name)) throw new Error('the new name must be 2–31 lowercase letters and digits, starting with a letter');
  const capital = `${name[0].toUpperCase()}${name.slice(1)}`;
  const replace = (text) => text.replaceAll('trustline', name).replaceAll('Trustline', capital).replaceAll('TRUSTLINE', name.toUpperCase());
  const files = projectFiles(root);
  let changed = 0;
  for (const file of files) {
    const path = join(root, file);
    let content;
    try {
      content = readFileSync(path);
    } catch {
      continue; // listed but deleted in the working tree
    }
    if (content.includes(0)) continue; // binary
    const text = content.toString('utf8');
    const renamed = replace(text);
    if (renamed !== text) {
      writeFileSync(path, renamed);
      changed += 1;
    }
    const target = replace(file);
    if (target !== file) {
      mkdirSync(dirname(join(root, target)), { recursive: true });
      renameSync(path, join(root, target));
    }
  }
  return { changed, name };
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').pop())) {
  const [name] = process.argv.slice(2);
  const root = join(dirname(new URL(import.meta.url).pathname), '../..');
  const { changed } = renameProject(root, name);
  console.log(`renamed to ${name}: ${changed} files changed. Next: npm install && npm test`);
}
