/**
 * Groups keepalived-style logical lines into statements: `keyword args` with an optional
 * `{ … }` block, the brace on the same line or the next one.
 */
import type { SourcePos } from "./model.ts";
import type { Diagnostics } from "./diagnostics.ts";
import type { Token } from "./lexer.ts";

/** One statement and, when it opened one, its block. */
export interface Stmt {
  keyword: Token;
  args: Token[];
  block?: Stmt[];
}

/** Builds the statement tree; unbalanced braces become errors. */
export function buildTree(lines: Token[][], diags: Diagnostics): Stmt[] {
  const root: Stmt[] = [];
  // each open block: its statement list and where it was opened
  const stack: { list: Stmt[]; pos: SourcePos }[] = [];
  let list = root;
  let lastOfPrevLine: Stmt | null = null;
  for (const line of lines) {
    let current: Stmt | null = null;
    for (let i = 0; i < line.length; i++) {
      const t = line[i];
      if (t.text === "{" && !t.quoted) {
        const owner = current ?? (i === 0 ? lastOfPrevLine : null);
        const block: Stmt[] = [];
        if (owner === null || owner.block !== undefined) {
          diags.error(t.pos, `"{" without a keyword before it`);
        } else owner.block = block;
        stack.push({ list, pos: t.pos });
        list = block;
        current = null;
        continue;
      }
      if (t.text === "}" && !t.quoted) {
        const top = stack.pop();
        if (top === undefined) diags.error(t.pos, `unmatched "}"`);
        else list = top.list;
        current = null;
        continue;
      }
      if (current === null) {
        current = { keyword: t, args: [] };
        list.push(current);
      } else current.args.push(t);
    }
    lastOfPrevLine = current;
  }
  for (const open of stack.reverse()) diags.error(open.pos, `"{" is never closed (missing "}")`);
  return root;
}
