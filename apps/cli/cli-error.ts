/** An error the CLI reports as one clear line (no stack) and exits with `exitCode`. */
export class CliError extends Error {
  override readonly name = 'CliError';

  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
  }
}

/** Wrong command line: exit code 2, with a pointer to the help. */
export class UsageError extends CliError {
  constructor(message: string) {
    super(`${message}\nRun \`hone help\` for usage.`, 2);
  }
}
