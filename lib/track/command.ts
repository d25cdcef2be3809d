/**
 * Splitting a configured script string into argv the way keepalived does: words separated by
 * blanks, "double" and 'single' quotes group words, a backslash escapes the next character
 * (not inside single quotes). Nothing goes through a shell. Pure.
 */

/** argv, or why the string cannot be split. */
export type SplitResult = { ok: true; argv: string[] } | { ok: false; error: string };

/** Splits `command` into argv; never throws. */
export function splitCommand(command: string): SplitResult {
  const argv: string[] = [];
  let word = "";
  let inWord = false;
  let quote: '"' | "'" | null = null;
  for (let i = 0; i < command.length; i++) {
    const ch = command[i];
    if (quote === "'") {
      if (ch === "'") quote = null;
      else word += ch;
      continue;
    }
    if (ch === "\\") {
      if (i + 1 >= command.length) return { ok: false, error: "trailing backslash" };
      word += command[++i];
      inWord = true;
      continue;
    }
    if (quote === '"') {
      if (ch === '"') quote = null;
      else word += ch;
      continue;
    }
    if (ch === '"' || ch === "'") {
      quote = ch;
      inWord = true;
    } else if (ch === " " || ch === "\t" || ch === "\n") {
      if (inWord) argv.push(word);
      word = "";
      inWord = false;
    } else {
      word += ch;
      inWord = true;
    }
  }
  if (quote !== null) return { ok: false, error: `unterminated ${quote} quote` };
  if (inWord) argv.push(word);
  if (argv.length === 0) return { ok: false, error: "empty command" };
  return { ok: true, argv };
}

/** Quotes argv for logs and `--dry-run` output so it can be pasted into a POSIX shell. */
export function shellQuote(argv: string[]): string {
  return argv.map((a) => /^[A-Za-z0-9_@%+=:,./-]+$/.test(a) ? a : `'${a.replaceAll("'", `'\\''`)}'`)
    .join(" ");
}
