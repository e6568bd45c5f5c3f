// `--name=value` command-line options of the benchmark scripts, as an object.
export function optionsFromArgv(argv = process.argv.slice(2)) {
  return Object.fromEntries(
    argv
      .map((a) => /^--([^=]+)=(.*)$/.exec(a))
      .filter(Boolean)
      .map((m) => [m[1], m[2]]),
  );
}
