// roam, the field technician's tool: provision, inspect, lookup, build.
import { provision } from './provision.js';
import { inspect } from './inspect.js';
import { lookup } from './lookup.js';
import { build } from './build.js';
import { CliError, type Command } from './common.js';

const commands: Record<string, Command> = { provision, inspect, lookup, build };

const USAGE = `usage: roam <command> [options]

commands:
  provision   create a device identity and its NVS settings image
  inspect     show the token table, journal and settings of a flash dump
  lookup      what the device would decide for a UID, from a dump
  build       print or run the mcconfig command for a device build

roam <command> --help for its options.`;

export async function main(argv: string[], out: (s: string) => void = (s) => { process.stdout.write(s + '\n'); }, err: (s: string) => void = (s) => { process.stderr.write(s + '\n'); }): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    (name ? out : err)(USAGE);
    return name ? 0 : 2;
  }
  const command = commands[name];
  if (!command) {
    err(`roam: unknown command "${name}"\n\n${USAGE}`);
    return 2;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    out(command.help);
    return 0;
  }
  try {
    return await command.run(rest, out);
  } catch (e) {
    if (e instanceof CliError) {
      err(`roam ${name}: ${e.message}`);
      return e.exitCode;
    }
    err(`roam ${name}: unexpected failure: ${(e as Error).message}`);
    return 1;
  }
}
