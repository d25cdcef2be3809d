/** "did you mean …" suggestions for unknown keywords and keys. */

/** Levenshtein edit distance between `a` and `b`. */
export function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost);
    }
    prev = cur;
  }
  return prev[b.length];
}

/**
 * The closest candidate to `word`, or undefined when nothing is close enough
 * (at most a third of the word's length in edits, and at least 1).
 */
export function suggest(word: string, candidates: Iterable<string>): string | undefined {
  const limit = Math.max(1, Math.floor(word.length / 3));
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const c of candidates) {
    const d = editDistance(word.toLowerCase(), c.toLowerCase());
    if (d < bestDistance) {
      best = c;
      bestDistance = d;
    }
  }
  return bestDistance <= limit ? best : undefined;
}

/**
 * `unknown keyword "x" <context>` plus `; did you mean "y"?` when there is a close candidate.
 */
export function unknownMessage(
  what: string,
  word: string,
  candidates: Iterable<string>,
  context = "",
): string {
  const s = suggest(word, candidates);
  const head = `unknown ${what} "${word}"${context === "" ? "" : ` ${context}`}`;
  return head + (s === undefined ? "" : `; did you mean "${s}"?`);
}
