#!/usr/bin/env node
// `npx roam …`: the technician CLI, TypeScript run through tsx.
import { register } from 'tsx/esm/api';

// `roam inspect … | head` closes the pipe early: end quietly, not with an EPIPE trace.
process.stdout.on('error', (e) => {
  if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw e;
});
register();
const { main } = await import('./main.ts');
process.exitCode = await main(process.argv.slice(2));
