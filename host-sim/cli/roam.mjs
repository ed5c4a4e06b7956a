#!/usr/bin/env node
// `npx roam …`: the technician CLI, TypeScript run through tsx.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('./main.ts');
process.exitCode = await main(process.argv.slice(2));
