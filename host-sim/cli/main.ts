// roam, the field technician's tool: keygen, provision, inspect, lookup, build.
import { keygen } from './keygen.js';
import { provision } from './provision.js';
import { inspect } from './inspect.js';
import { lookup } from './lookup.js';
import { build } from './build.js';
import { CliError, EXIT, type Command } from './common.js';

const commands: Record<string, Command> = { keygen, provision, inspect, lookup, build };

const USAGE = `usage: roam <command> [options]

commands:
  keygen      create the backend's token-list signing key pair (backend.hex for provision)
  provision   create a device identity and its NVS settings image
  inspect     show the token table, journal and settings of a flash dump
  lookup      what the device would decide for a UID, from a dump
  build       print or run the mcconfig command for a device build

roam <command> --help for its options.

Exit codes: 0 ok; 1 a verification or check failed; 2 bad input (an argument,
option or file breaks a rule; nothing written); 3 refused (would replace an
identity or write a private key into a git work tree without being told);
4 a tool is missing (the Moddable SDK); 5 an internal error of roam (a bug).`;

export async function main(argv: string[], out: (s: string) => void = (s) => { process.stdout.write(s + '\n'); }, err: (s: string) => void = (s) => { process.stderr.write(s + '\n'); }): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    (name ? out : err)(USAGE);
    return name ? EXIT.ok : EXIT.badInput;
  }
  const command = commands[name];
  if (!command) {
    err(`roam: unknown command ${JSON.stringify(name)}: the commands are ${Object.keys(commands).join(', ')} (roam --help)`);
    return EXIT.badInput;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    out(command.help);
    return 0;
  }
  // Each command validates its input where it parses it and throws a CliError
  // carrying the exit code; anything else is a bug of roam's, reported in one line.
  try {
    return await command.run(rest, out, err);
  } catch (e) {
    if (e instanceof CliError) {
      err(`roam ${name}: ${e.message}`);
      return e.exitCode;
    }
    err(`roam ${name}: internal error (a bug in roam, please report it with the command line): ${e instanceof Error ? `${e.name}: ${e.message.split('\n')[0]}` : String(e)}`);
    return EXIT.internal;
  }
}
